"""The form renderer writes selects in Python (mujun/core/renderers.py): the markup must be Django's own,
character for character, on every list page's filter form and for the cases no page shows."""

import re

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from mujun.core.renderers import FormRenderer

from .city import page_path, shown_list_names

SELECT = re.compile(r"<select\b.*?</select>", re.DOTALL)
DJANGO = "django.forms.renderers.DjangoTemplates"


def selects(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    return SELECT.findall(response.content.decode())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_list_page_s_selects_are_django_s_markup(demo_city, db, client, settings, language):
    client.force_login(get_user_model().objects.get(username="admin"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    paths = [page_path(name) for name in shown_list_names()]
    ours = {path: selects(client, path) for path in paths}
    settings.FORM_RENDERER = DJANGO  # Django's setting_changed handler forgets the renderer it had made
    django = {path: selects(client, path) for path in paths}
    assert ours == django
    options = sum(select.count("<option") for found in ours.values() for select in found)
    assert sum(map(len, ours.values())) > 50 and options > 500, "too few selects on the demo city's pages to tell"


def test_optgroups_attributes_safe_lazy_and_numeric_values_are_django_s_markup():
    choices = [
        ("", "---------"),
        (gettext_lazy("Region"), [(1, mark_safe("<b>安吉县</b>")), (2, "德清县 & <i>")]),
        (2024, 2024),
        (1234567, 1234567.5),
        (mark_safe("a&amp;b"), "a & b"),
    ]
    attributes = {"class": "form-select", "required": True, "disabled": False, "data-x": None, "title": '"q" & <t>'}
    values = (None, "", 2, [1, 2024], "a&amp;b", True, "unknown")
    widgets = [
        (forms.Select(attrs=attributes, choices=choices), values),
        (forms.SelectMultiple(attrs={"class": "form-select"}, choices=choices), values),
        (forms.NullBooleanSelect(), (None, True, False, "unknown")),
    ]
    for language in ("zh-hans", "en"):
        with override(language):
            for widget, values in widgets:
                for value in values:
                    ours = widget.render("field", value, attrs={"id": "id_field"}, renderer=FormRenderer())
                    django = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())
                    assert ours == django, (widget, value)


def test_a_select_whose_option_has_a_template_of_its_own_is_left_to_the_templates():
    class MarkedOptions(forms.Select):
        option_template_name = "django/forms/widgets/input.html"  # any other template than Django's option

    widget = MarkedOptions(choices=[(1, "一"), (2, "二")])
    ours = widget.render("field", 1, renderer=FormRenderer())
    assert ours == widget.render("field", 1, renderer=DjangoTemplates()) and "<option" not in ours
