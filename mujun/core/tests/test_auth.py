"""Signing in: password guessing is cut short, the API takes tokens or a session, its schema needs a login."""

import base64
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

LOGIN = "/accounts/login/"
TOKEN = "/api/token/"
REGIONS = "/api/regions/"
PASSWORD = "pw-operator_wuxing"  # the fixture's password
LOCKED_MESSAGE = "密码错误次数过多"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()  # DRF's throttles count in the cache, which outlives a test
    yield
    cache.clear()


def guess_on_web(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def guess_on_api(client, username, password):
    return client.post(TOKEN, {"username": username, "password": password}, content_type="application/json")


def test_web_login_refuses_the_right_password_after_six_wrong_ones(operator_wuxing):
    client = Client()
    answers = [guess_on_web(client, "operator_wuxing", f"wrong-{n}").status_code for n in range(6)]
    assert answers[:4] == [200] * 4 and answers[4:] == [429, 429]

    response = guess_on_web(client, "operator_wuxing", PASSWORD)
    assert response.status_code == 429
    assert LOCKED_MESSAGE in response.content.decode() and "15" in response.content.decode()
    assert client.get("/").status_code == 302  # not signed in

    # The lock holds this user from this address only: the same user elsewhere still signs in.
    other_address = guess_on_web(Client(), "operator_wuxing", PASSWORD, REMOTE_ADDR="10.1.2.3")
    assert other_address.status_code == 302


def test_web_login_forgives_a_few_typos(operator_wuxing):
    client = Client()
    for _ in range(2):
        for n in range(4):
            assert guess_on_web(client, "operator_wuxing", f"typo-{n}").status_code == 200
        assert guess_on_web(client, "operator_wuxing", PASSWORD).status_code == 302  # and resets the count


def test_api_token_endpoint_refuses_the_right_password_after_six_wrong_ones(operator_wuxing):
    client = Client()
    answers = [guess_on_api(client, "operator_wuxing", f"wrong-{n}").status_code for n in range(6)]
    assert answers[:4] == [400] * 4 and answers[4:] == [429, 429]

    response = guess_on_api(client, "operator_wuxing", PASSWORD)
    assert response.status_code == 429
    assert LOCKED_MESSAGE in response.json()["detail"] and "token" not in response.json()


def test_basic_auth_no_longer_signs_in_to_the_api(operator_wuxing):
    credentials = base64.b64encode(f"operator_wuxing:{PASSWORD}".encode()).decode()
    response = Client().get(REGIONS, HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 401


def test_token_from_the_endpoint_signs_in_to_the_api(operator_wuxing):
    client = Client()
    obtained = guess_on_api(client, "operator_wuxing", PASSWORD)
    assert obtained.status_code == 200
    key = obtained.json()["token"]
    assert guess_on_api(client, "operator_wuxing", PASSWORD).json()["token"] == key  # the same until rotated

    assert client.get(REGIONS, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert client.get(REGIONS, HTTP_AUTHORIZATION="Token not-a-token").status_code == 401


def test_api_schema_and_docs_need_a_login(viewer, client_as):
    anonymous = Client()
    assert anonymous.get(reverse("api-schema")).status_code == 401
    docs = anonymous.get(reverse("api-docs"))
    assert docs.status_code == 302 and docs.url.startswith(LOGIN)

    signed_in = client_as(viewer)
    assert signed_in.get(reverse("api-schema")).status_code == 200
    assert signed_in.get(reverse("api-docs")).status_code == 200


def test_rotating_a_token_retires_the_old_one(operator_wuxing):
    old = Token.objects.create(user=operator_wuxing).key
    call_command("drf_create_token", "-r", "operator_wuxing", stdout=StringIO())  # as README documents
    new = Token.objects.get(user=operator_wuxing).key
    client = Client()
    assert new != old
    assert client.get(REGIONS, HTTP_AUTHORIZATION=f"Token {old}").status_code == 401
    assert client.get(REGIONS, HTTP_AUTHORIZATION=f"Token {new}").status_code == 200
