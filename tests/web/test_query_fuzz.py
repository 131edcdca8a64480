"""Hostile query strings on every page: a clear message or 400, never a 5xx (issue 8, item 9).

Walks the URLconf: every GET page without path arguments, and every page of one record (each record
route resolved to its model, the first record of a small demo city), as a city administrator and as a
county operator. Each page is asked with the parameters it reads (recorded on a first request) and the
usual filter names, each set to hostile values: all at once, then each name read alone. A page that
reads none is asked once. About 40 s on SQLite.
"""

import logging
import re
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver

from mujun.core.management.commands._demo_data import COUNTY_OPERATORS, load_demo
from mujun.core.models import User
from mujun.core.queries import MAX_PER_PAGE

SKIPPED_PREFIXES = ("admin/", "api/", "i18n/", "accounts/logout/")
USUAL_NAMES = [
    "year", "region", "scheme", "stage", "status", "page", "sort", "q", "month", "holder", "enterprise",
    "project", "category", "county", "period", "run",
]  # fmt: skip
HOSTILE_VALUES = [
    "99999999999999999999",
    "-99999999999999999999",
    "-1",
    "abc",
    "1e400",
    "[2024, 2025]",
    "9999-12",
    "0001-01-01",
    "\x00\x01\x1b",
    "'\"<script>%_" + "长" * 3000,
]
# Alone (others masking nothing), each name read gets a value a form takes and a query may not.
LONE_VALUE = "99999999999999999999"
PROBE_NAME = "_"
PROBE = PROBE_NAME + "="
INT_PARAMETER = re.compile(r"<int:(\w+)>")


def routes(patterns=None, prefix=""):
    """(route, pattern) for every URL pattern, routes written like ``land/<int:pk>/edit/``."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and not route.startswith(SKIPPED_PREFIXES) and "^" not in route:
            yield route, pattern


def record_model(route: str, by_route: dict):
    """The model whose records a route's ``<int:pk>`` names: the record page's (``…/<int:pk>/``) or its
    edit page's model, else the view's own."""
    record_route = route[: route.index("<int:pk>/") + len("<int:pk>/")]
    for candidate in (record_route, record_route + "edit/", route):
        model = getattr(getattr(by_route.get(candidate), "callback", None), "view_class", None)
        if getattr(model, "model", None) is not None:
            return model.model
    return None


def page_paths() -> list[str]:
    """Every page to ask: without path arguments, or with the first record of the model each names."""
    by_route = dict(routes())
    paths = []
    for route, pattern in by_route.items():
        parameters = set(pattern.pattern.converters)
        if not parameters:
            paths.append("/" + route)
            continue
        if parameters != set(INT_PARAMETER.findall(route)):
            continue  # a string argument (a grade): not a record
        path = route
        for name in INT_PARAMETER.findall(route):
            # ``<int:project_pk>`` names the record of ``…/<int:pk>/`` one level up.
            as_pk = route[: route.index(f"<int:{name}>")] + "<int:pk>/"
            model = record_model(as_pk if name != "pk" else route, by_route)
            record = model._default_manager.order_by("pk").first() if model is not None else None
            if record is None:
                break
            path = path.replace(f"<int:{name}>", str(record.pk))
        else:
            paths.append("/" + path)
    return paths


@pytest.fixture
def read_names(monkeypatch):
    """Records the names requests read from their query strings (and forms)."""
    names: set[str] = set()
    for method in ("__getitem__", "__contains__", "get", "getlist"):
        original = getattr(QueryDict, method)

        def recording(self, key, *args, _original=original, **kwargs):
            if isinstance(key, str):
                names.add(key)
            return _original(self, key, *args, **kwargs)

        monkeypatch.setattr(QueryDict, method, recording)
    return names


def queries(read: set[str]) -> list[str]:
    """Hostile query strings for a page that reads ``read`` (a page that reads nothing gets one)."""
    names = sorted(read | set(USUAL_NAMES))
    if not read:
        return [urlencode({name: HOSTILE_VALUES[i % len(HOSTILE_VALUES)] for i, name in enumerate(names)})]
    everything = [urlencode({name: value for name in names}) for value in HOSTILE_VALUES]
    repeated = urlencode([(name, value) for name in names for value in ("2024", "2025")])
    arrays = urlencode([(f"{name}[]", "2024") for name in names] + [(f"{name}[0]", "x") for name in names])
    alone = [urlencode({name: LONE_VALUE}) for name in sorted(read)]
    return [*everything, repeated, arrays, *alone]


@pytest.mark.django_db
def test_no_page_answers_a_hostile_query_with_a_server_error(client_as, read_names, caplog):
    caplog.set_level(logging.ERROR, logger="django.request")  # thousands of refusals: log only errors
    load_demo(20, 10)
    users = [User.objects.get(username="admin"), User.objects.get(username=next(iter(COUNTY_OPERATORS.values())))]
    paths = page_paths()
    assert len(paths) > 60 and "/projects/portfolio/" in paths and any(p.startswith("/land/cases/") for p in paths)
    failures, asked = [], 0
    for user in users:
        client = client_as(user)
        client.raise_request_exception = False  # a server error is what we count, not what stops us
        for path in paths:
            read_names.clear()
            probe = client.get(f"{path}?{PROBE}")  # not empty: a filter form reads a query that has names
            for query in [PROBE, *queries(read_names - {PROBE_NAME})]:
                response = probe if query == PROBE else client.get(f"{path}?{query}")
                asked += 1
                if response.status_code >= 500:
                    failures.append((path, f"{user.username} {response.status_code} {path}?{query[:300]}"))
    pages = {path for path, _ in failures}
    assert not failures, "\n".join(next(f for p, f in failures if p == page) for page in sorted(pages)) + (
        f"\n({len(failures)} of {asked} requests, first of each page shown)"
    )


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/evaluation/runs/add/?scheme=abc", "scheme"),
        ("/evaluation/schemes/add/?copy=abc", "copy"),
        ("/projects/portfolio/?year=99999999999999999999", "year"),
        ("/projects/portfolio/?year=-1", "year"),
    ],
)
def test_a_page_names_the_query_value_it_ignored(city_admin, client_as, url, name):
    response = client_as(city_admin).get(url)
    assert response.status_code == 200
    assert f"已忽略网址中的参数 {name}" in response.content.decode()


def test_a_table_page_holds_a_sensible_number_of_rows(city_admin, client_as, make_enterprise):
    make_enterprise(1)
    for asked, rows in [("-1", 1), ("99999999999999999999", MAX_PER_PAGE)]:
        response = client_as(city_admin).get("/enterprises/", {"per_page": asked})
        assert response.status_code == 200
        assert response.context["table"].paginator.per_page == rows
