"""After signing in, a department handler lands on their problems."""

from django.test import Client

from mujun.core.models import User


def test_a_department_handler_lands_on_their_problems(db):
    User.objects.create_user(username="handler", password="pw-handler", role=User.Role.HANDLER)
    response = Client().post("/accounts/login/", {"username": "handler", "password": "pw-handler"}, follow=True)
    assert response.redirect_chain[-1][0] == "/services/problems/"
