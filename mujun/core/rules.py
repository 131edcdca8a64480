"""A model's share of the engine's rules (mujun.engine.rules): its ``clean()`` evaluates them on the record.

The import evaluates the same rules over the file's columns (``Importer.rules``), so form, API and import
refuse a record with the same field and message, in the user's language.
"""

from django.core.exceptions import ValidationError
from django.utils import translation

from mujun.engine.rules import Rule, broken_rules


def rule_errors(instance, rules: list[Rule], **values) -> dict[str, str]:
    """Field -> message for every rule ``instance`` breaks; ``values`` supply columns that are no field."""
    record = {name: getattr(instance, name, None) for rule in rules for name in rule.columns}
    record.update(values)
    return broken_rules(rules, record, translation.get_language())


def in_both_languages(message) -> tuple[str, str]:
    """(中文, English) of a message made by ``message()`` (a model's translated message), for an import problem."""
    with translation.override("zh-hans"):
        zh = str(message())
    with translation.override("en"):
        en = str(message())
    return zh, en


def field_problem(field, value) -> tuple[str, str] | None:
    """(中文, English) of a model field's validators refusing ``value`` (a year out of range), or None: the
    import asks the same validators the form and the API run (through the model's full_clean)."""
    try:
        field.run_validators(value)
    except ValidationError as error:
        refusal = error
    else:
        return None
    return in_both_languages(lambda: " ".join(refusal.messages))


def field_validation(field):
    """A ``Column.validate`` (mujun.core.imports) running ``field``'s validators on a cell's text; text the
    field cannot read is left to the column's typing."""

    def validate(text: str) -> tuple[str, str] | None:
        try:
            value = field.to_python(text)
        except ValidationError:
            return None
        problem = field_problem(field, value)
        return problem

    return validate
