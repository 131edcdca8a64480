"""One home per state change: only an app's services.py writes the fields its models declare in
``state_fields``; views, the API, forms, imports, tasks, panels and the demo loaders call the services.

The rule is read from the source (an AST scan of every module but services.py), so a new module is held to
it at once.
"""

import ast
import importlib
import importlib.util
import inspect
from pathlib import Path

import pytest
from django.apps import apps
from rest_framework import serializers

ROOT = Path(__file__).resolve().parent.parent / "mujun"
UPDATE_METHODS = {"update"}


def state_fields_by_model() -> dict[str, set[str]]:
    """Model class name -> the fields it marks as changed only by its app's services."""
    return {model.__name__: set(model.state_fields) for model in apps.get_models() if getattr(model, "state_fields", ())}


def state_fields() -> set[str]:
    return {name for fields in state_fields_by_model().values() for name in fields}


def caller_modules() -> list[Path]:
    """Every module of the platform that must go through a services.py to change state: all but those."""
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if path.name != "services.py" and not {"migrations", "tests"} & set(path.relative_to(ROOT).parts)
    )


def _constant_strings(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [s for element in node.elts for s in _constant_strings(element)]
    return []


def _targets(node):
    if isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


def _model_created(func, by_model: dict[str, set[str]]) -> set[str]:
    """The state fields of the model that ``Model(…)`` or ``Model.objects.create(…)`` makes, else none."""
    if isinstance(func, ast.Name):
        return by_model.get(func.id, set())
    if isinstance(func, ast.Attribute) and func.attr == "create" and isinstance(func.value, ast.Attribute):
        owner = func.value.value
        return by_model.get(owner.id, set()) if isinstance(owner, ast.Name) else set()
    return set()


def state_writes(source: str, fields: set[str], by_model: dict[str, set[str]] | None = None) -> list[tuple[int, str]]:
    """(line, what) for each write of a state field: ``x.status = …`` (plain, augmented, in a tuple),
    ``setattr(x, "status", …)``, ``….update(status=…)``, ``bulk_update(…, ["status"])``, and a record made
    already in a state (``Round(status=…)``, ``Round.objects.create(status=…)``)."""
    by_model = state_fields_by_model() if by_model is None else by_model
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in (t for outer in targets for t in _targets(outer)):
                if isinstance(target, ast.Attribute) and target.attr in fields:
                    found.append((node.lineno, f".{target.attr} ="))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "setattr" and len(node.args) >= 2:
                found += [(node.lineno, f"setattr {s}") for s in _constant_strings(node.args[1]) if s in fields]
            elif name in UPDATE_METHODS:
                found += [(node.lineno, f".{name}({k.arg}=)") for k in node.keywords if k.arg in fields]
            elif name == "bulk_update":
                named = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "fields")]
                found += [(node.lineno, f"bulk_update {s}") for arg in named for s in _constant_strings(arg) if s in fields]
            created = _model_created(func, by_model)
            found += [(node.lineno, f"{name}({k.arg}=)") for k in node.keywords if k.arg in created]
    return found


def test_state_fields_are_declared():
    assert {"status", "stage", "published_at", "closed_at", "active"} <= state_fields()


@pytest.mark.parametrize("path", caller_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_only_services_change_state(path):
    writes = state_writes(path.read_text(encoding="utf-8"), state_fields())
    assert not writes, f"{path.relative_to(ROOT)} writes state fields itself (call its app's services.py): " + ", ".join(
        f"line {line} {what}" for line, what in writes
    )


@pytest.mark.parametrize(
    "source",
    [
        "run.status, run.published_at = 'published', now()",
        "case.closed_on += 1",
        "setattr(project, 'stage', 'signed')",
        "Run.objects.filter(pk=1).update(status='published')",
        "Parcel.objects.bulk_update(parcels, ['stage'])",
        "Round(name='Q1', status='closed')",
        "Round.objects.create(name='Q1', status='closed')",
    ],
)
def test_the_scan_sees_each_kind_of_write(source):
    assert state_writes(source, state_fields())


def api_serializers():
    """Every model serializer of the domain apps' api modules."""
    found = []
    for config in apps.get_app_configs():
        if config.name.startswith("mujun.") and importlib.util.find_spec(f"{config.name}.api"):
            module = importlib.import_module(f"{config.name}.api")
            found += [
                cls
                for _name, cls in inspect.getmembers(module, inspect.isclass)
                if issubclass(cls, serializers.ModelSerializer) and cls.__module__ == module.__name__
            ]
    return found


def test_the_api_cannot_write_a_state_field():
    """A state field is read-only in every serializer that shows it: the API changes state through actions
    that call the services."""
    writable = [
        f"{serializer.__name__}.{name}"
        for serializer in api_serializers()
        for name, field in serializer().fields.items()
        if name in getattr(serializer.Meta.model, "state_fields", ()) and not field.read_only
    ]
    assert api_serializers() and not writable, writable


def test_no_table_renders_a_template_per_cell():
    """django-tables2's DateColumn and TemplateColumn compile and render a template for every cell (a fifth of a
    50-row page); dates go through mujun.core.tables.DateColumn, which the column library also picks."""
    import django_tables2

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for app in apps.get_app_configs():
        if app.name.startswith("mujun.") and importlib.util.find_spec(f"{app.name}.tables"):
            importlib.import_module(f"{app.name}.tables")
    tables = [table for table in subclasses(django_tables2.Table) if table.__module__.startswith("mujun.")]
    assert len(tables) > 20
    slow = [(table.__name__, name) for table in tables for name, column in table.base_columns.items()
            if isinstance(column, django_tables2.TemplateColumn)]  # fmt: skip
    assert slow == []
