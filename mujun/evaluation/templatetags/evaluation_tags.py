from django import template
from django.utils.translation import gettext as _

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
