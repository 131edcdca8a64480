"""The API fuzzed from its own OpenAPI schema with Schemathesis, as a city administrator and as a county
operator: every operation, reads and writes, with valid and invalid input. No answer may be a 5xx, and
every answer the schema documents must match it (body and content type).

Requests go in-process to the WSGI application, signed in by session like a browser (cookie and CSRF
token). Generated ids and related-record fields are often replaced by records of the demo city, so that
requests reach real records (of the operator's county and of others) instead of stopping at 404 or 400.
Each example runs in a savepoint that is rolled back: what one example writes or deletes, the next does
not see. Hypothesis is derandomized and bounded: the same requests on every run.
"""

import traceback

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.urls import resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from werkzeug import Client as WsgiClient

# Examples per operation and generation mode: more for writes, the dangerous ones (20 valid bodies found
# an enterprise year of 1568744 that answered 500; 15 did not). Both users take about 35 s on two cores.
EXAMPLES = {
    "read": {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3},
    "write": {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 4},
}
# Not status_code_conformance: drf-spectacular documents the success answers only, so every refusal
# (400, 403, 404, 409) would fail it; the checks below hold for every answer.
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
CSRF_SECRET = "fuzz" * 8  # 32 characters: a well-formed CSRF secret, sent as cookie and header


@pytest.fixture
def demo_city(db, monkeypatch):
    """The demo city, small: 30 enterprises with published runs, projects, parcels and disposal cases,
    inspection rounds, indicators and service problems; users ``admin`` (city administrator) and
    ``wuxing`` (operator of 吴兴区)."""
    from mujun.core.management.commands._demo_data import load_demo
    from mujun.land import demo as land_demo
    from mujun.projects import demo as projects_demo

    monkeypatch.setattr(land_demo, "PARCELS", 150)
    monkeypatch.setattr(projects_demo, "PROJECTS", 40)
    monkeypatch.setattr(projects_demo, "PROVINCIAL", 5)
    load_demo(20, 10)


@pytest.fixture
def application():
    """The WSGI application, kept on the test's database connection (around each request Django closes a
    connection in a transaction, which would end the test's), as Django's test client does."""
    from django.core.handlers.wsgi import WSGIHandler

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield WSGIHandler()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def server_errors():
    """Tracebacks of the exceptions the application did not handle, shown with the 5xx they caused."""
    errors = []

    def record(sender, request=None, **kwargs):
        errors.append(traceback.format_exc())

    got_request_exception.connect(record)
    yield errors
    got_request_exception.disconnect(record)


def spread(queryset, count: int = 20) -> list[int]:
    """About ``count`` primary keys from all over a table (records of every county, not just the first)."""
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    return pks[:: max(1, len(pks) // count)]


def known_records(operation) -> tuple[list[int], dict[str, tuple[list[int], bool]]]:
    """Records an operation can name: ids for its path, and for each related-record field of its body
    (by name) ids and whether the field takes a list."""
    viewset = resolve(operation.path.replace("{id}", "1")).func.cls
    ids = spread(viewset.queryset) if "{id}" in operation.path else []
    related = {}
    if operation.method.upper() in ("POST", "PUT", "PATCH"):
        for name, field in viewset.serializer_class().fields.items():
            relation = getattr(field, "child_relation", field)
            if not field.read_only and isinstance(relation, serializers.PrimaryKeyRelatedField):
                if pks := spread(relation.get_queryset()):
                    related[name] = (pks, isinstance(field, serializers.ManyRelatedField))
    return ids, related


def fuzz(operation, mode: GenerationMode, send) -> None:
    """Send the operation's generated requests through ``send(case)``, with ids of known records."""
    ids, related = known_records(operation)
    examples = EXAMPLES["read" if operation.method.upper() == "GET" else "write"][mode]

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure shows as generated
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case, data):
        if ids and data.draw(st.integers(0, 3)):
            case.path_parameters["id"] = data.draw(st.sampled_from(ids))
        if mode == GenerationMode.POSITIVE and isinstance(case.body, dict):
            for name, (pks, many) in related.items():
                if name in case.body and data.draw(st.booleans()):
                    pk = data.draw(st.sampled_from(pks))
                    case.body[name] = [pk] if many else pk
        send(case)

    run()


@pytest.mark.parametrize("username", ["admin", "wuxing"])
def test_api_answers_every_fuzzed_request_within_its_schema(username, demo_city, application, server_errors):
    from django.test import Client

    from mujun.core.models import User

    signed_in = Client()  # signs in without a request; the requests go through ``application``
    signed_in.force_login(User.objects.get(username=username))
    cookies = {"sessionid": signed_in.cookies["sessionid"].value, "csrftoken": CSRF_SECRET}
    headers = {"X-CSRFToken": CSRF_SECRET}
    browser = WsgiClient(application)
    browser.set_cookie("sessionid", cookies["sessionid"], domain="localhost")
    published = browser.get("/api/schema/?format=json")
    assert published.status_code == 200
    schema = schemathesis.openapi.from_dict(published.json)

    def send(case):
        server_errors.clear()
        with transaction.atomic():
            response = case.call(app=application, headers=headers, cookies=cookies)
            transaction.set_rollback(True)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as failed:
            raise AssertionError("".join([failed.message, *server_errors])) from None

    failures = []
    for operation in (result.ok() for result in schema.get_all_operations()):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, send)
            except AssertionError as failed:  # fuzz every operation, then report all failures together
                failures.append(f"{username} {mode.value} {operation.label}: {failed}")
    assert not failures, "\n\n".join(failures)
