from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mujun.engine.groups import describe_adjustment

from mujun.evaluation.services import policy_name

register = template.Library()


@register.filter
def policy_label(key: str) -> str:
    """A policy's name, or its key when the scheme names one the platform does not know."""
    return policy_name(key)


@register.filter
def policy_value(value) -> str:
    """Yes/no for flags, the number otherwise."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


@register.filter
def selection_words(group) -> str:
    """Which enterprises a scheme group grades, in the user's language (「规上企业；行业代码以17、18开头」)."""
    return group.selection_text().message(get_language())


@register.filter
def adjustment_words(adjustment) -> str:
    """When a penalty or bonus item applies and its points, in the user's language."""
    return describe_adjustment(adjustment).message(get_language())


@register.filter
def group_adjustments(scheme, group) -> tuple:
    """The penalty and bonus items applying to ``group``: the scheme's, then the group's own."""
    return scheme.group_adjustments(group)


@register.filter
def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@register.filter
def list_cell(value) -> str:
    """A policy list's cell on the page: yes/no for flags, money and figures to two decimals, blank for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, float):
        return f"{value:,.2f}"  # grouped in thousands whatever the locale: sums run into the millions
    return str(value)


@register.filter(name="grade_badge")
def grade_badge_filter(grade: str) -> str:
    from mujun.evaluation.tables import grade_badge

    return grade_badge(grade)


@register.filter
def gap_badge(value) -> str:
    """A per-mu figure's gap to a benchmark (%): above in green, below in red; a dash without a benchmark."""
    if value is None:
        return "—"
    if value >= 0:
        return format_html('<span class="text-success gap-above">+{}%</span>', f"{value:.1f}")
    return format_html('<span class="text-danger gap-below">{}%</span>', f"{value:.1f}")
