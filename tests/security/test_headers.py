"""Every kind of answer carries the security headers: pages, lists, details, the log-in page, redirects,
API answers (401, list, detail, token), downloads (an export and an uploaded file), static files from
WhiteNoise, the API docs, and the error pages (403, 404, 500, a locked-out log-in). The policy runs scripts
from the platform's own files only: no 'unsafe-inline' or 'unsafe-eval' for scripts."""

from datetime import date

import pytest
from django.test import Client

from mujun.projects.tests.conftest import PDF

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
DISABLED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def policy(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def assert_secured(response, what: str) -> None:
    assert_headers(response, what)
    csp = policy(response)
    if csp == {"default-src": ["'none'"], "sandbox": []}:
        return  # an uploaded file: nothing of it runs, whatever it holds (mujun.core.uploads)
    assert csp["default-src"] == ["'self'"], what
    assert csp["script-src"] == ["'self'"], what  # neither 'unsafe-inline' nor 'unsafe-eval'
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"], what


def assert_headers(response, what: str) -> None:
    for header, value in HEADERS.items():
        assert response.get(header) == value, f"{what}: {header} is {response.get(header)!r}"
    permissions = response.get("Permissions-Policy", "")
    for feature in DISABLED_FEATURES:
        assert f"{feature}=()" in permissions, f"{what}: {feature} not disabled in {permissions!r}"


@pytest.fixture
def world(settings, regions, city_admin, viewer, make_enterprise):
    from mujun.projects.models import Project
    from mujun.projects.services import Upload, advance

    # WhiteNoise serves from the apps' static folders here, as from STATIC_ROOT after collectstatic.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    enterprise = make_enterprise(1)
    project = Project.objects.create(
        code="HZ-001", name="智能装备项目", enterprise=enterprise, region=regions.zhili, total_investment=1000
    )
    advance(project, "signed", date(2024, 1, 10), [Upload("协议.pdf", PDF, "document")], city_admin)
    return {"enterprise": enterprise, "evidence": project.evidence.get()}


def admin_client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_every_kind_of_answer_carries_the_security_headers(world, city_admin, viewer, settings):
    admin = admin_client(city_admin)
    enterprise, evidence = world["enterprise"], world["evidence"]
    answers = {
        "home page": (admin, "get", "/", 200),
        "list page": (admin, "get", "/enterprises/", 200),
        "detail page": (admin, "get", f"/enterprises/{enterprise.pk}/", 200),
        "map page": (admin, "get", "/land/map/", 200),
        "export download": (admin, "get", "/enterprises/export/", 200),
        "uploaded file": (admin, "get", f"/projects/evidence/{evidence.pk}/", 200),
        "API list": (admin, "get", "/api/enterprises/", 200),
        "API detail": (admin, "get", f"/api/enterprises/{enterprise.pk}/", 200),
        "API docs": (admin, "get", "/api/docs/", 200),
        "API schema": (admin, "get", "/api/schema/", 200),
        "forbidden page": (admin_client(viewer), "get", f"/enterprises/{enterprise.pk}/edit/", 403),
        "missing page": (admin, "get", "/no-such-page/", 404),
        "missing record": (admin, "get", "/enterprises/999999/", 404),
        "log-in page": (Client(), "get", "/accounts/login/", 200),
        "redirect to log-in": (Client(), "get", "/enterprises/", 302),
        "API without credentials": (Client(), "get", "/api/enterprises/", 401),
        "API token refused": (Client(), "post", "/api/token/", 400),
        "static script": (Client(), "get", "/static/core/mujun.js", 200),
        "static vendor file": (Client(), "get", "/static/vendor/bootstrap/css/bootstrap.min.css", 200),
        "missing static file": (Client(), "get", "/static/core/none.js", 404),
    }
    for what, (client, method, url, status) in answers.items():
        response = getattr(client, method)(url)
        assert response.status_code == status, f"{what}: {url} answered {response.status_code}"
        assert_secured(response, what)


def test_the_server_error_page_carries_the_security_headers(world, city_admin, settings):
    settings.ROOT_URLCONF = "tests.security.boom_urls"
    response = admin_client(city_admin).get("/boom/")
    assert response.status_code == 500
    assert_secured(response, "server error")


def test_a_locked_out_log_in_carries_the_security_headers(world, settings):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "viewer", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "viewer", "password": "wrong"})
    assert response.status_code == 429
    assert_secured(response, "locked out")
