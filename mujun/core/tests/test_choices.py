"""The platform's ``get_FOO_display`` (mujun.core.choices) says what Django's says, in each language."""

from django.apps import apps
from django.db import models
from django.utils import translation

from mujun.core.choices import choice_display


def choice_fields():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.choices:
                yield model, field


def test_every_choice_field_displays_as_django_does_in_both_languages():
    fields = list(choice_fields())
    assert len(fields) > 20  # stages, statuses, grades, levels … across the apps
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for model, field in fields:
                record = model()
                display = getattr(record, f"get_{field.name}_display")
                for value in [key for key, _label in field.flatchoices] + ["不在选项中", None]:
                    setattr(record, field.attname, value)
                    assert display() == models.Model._get_FIELD_display(record, field), (model, field.name, value)


def test_labels_follow_the_active_language():
    from mujun.core.models import ImportJob

    display = choice_display(ImportJob._meta.get_field("status"))
    job = ImportJob(status="failed")
    with translation.override("zh-hans"):
        chinese = display(job)
    with translation.override("en"):
        english = display(job)
    assert (chinese, english) == ("未导入", "Not imported")
