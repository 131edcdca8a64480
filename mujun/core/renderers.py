"""The form renderer: Django's, with the select widget's markup written in Python.

Django renders a select through ``select.html``, which includes ``select_option.html`` (and its
``attrs.html``) once per option: about 0.3 ms an option, 20–30 ms of every list page's filter form (the
region, town, year and status selects). The markup here is Django's, character for character
(``tests/web/test_select_rendering.py`` compares them on every list page's filter form); a select with an
option of another template is left to the templates.
"""

from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _string(value) -> str:
    """``{{ value|stringformat:'s' }}``: the filter keeps a safe value safe, the tag escapes the rest."""
    text = "%s" % value
    return conditional_escape(mark_safe(text) if isinstance(value, SafeData) else text)


def _attributes(attrs: dict) -> str:
    """``attrs.html``: False leaves an attribute out, True writes its bare name."""
    return "".join(
        f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_string(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def render_select(widget: dict) -> str:
    # {{ }} localises and converts time zones as a template does (a year as a label stays 2024, not 2,024).
    context = Context(autoescape=True)
    parts = [f'<select name="{render_value_in_context(widget["name"], context)}"{_attributes(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{render_value_in_context(group_name, context)}">')
        for option in group_choices:
            parts.append(
                f'\n  <option value="{_string(option["value"])}"{_attributes(option["attrs"])}>'
                f"{render_value_in_context(option['label'], context)}</option>\n"  # the option template's last line
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))


class FormRenderer(DjangoTemplates):
    """``FORM_RENDERER``: selects in Python, every other widget through Django's templates."""

    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE and all(
            option["template_name"] == OPTION_TEMPLATE
            for _name, group_choices, _index in context["widget"]["optgroups"]
            for option in group_choices
        ):
            return render_select(context["widget"])
        return super().render(template_name, context, request)
