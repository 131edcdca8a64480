"""After signing in, a judge lands on the scoring page of the round open for scoring."""

from django.test import Client

from mujun.core.models import User
from mujun.inspections.models import Round


def _sign_in(username: str) -> str:
    response = Client().post("/accounts/login/", {"username": username, "password": "pw-" + username}, follow=True)
    return response.redirect_chain[-1][0]


def test_a_judge_lands_on_their_scoring_page_and_a_viewer_at_home(db, viewer):
    Round.objects.create(name="2026年第2季度", year=2026, quarter=2, status=Round.Status.CLOSED)
    open_round = Round.objects.create(name="2026年第3季度", year=2026, quarter=3, status=Round.Status.OPEN)
    User.objects.create_user(username="judge", password="pw-judge", role=User.Role.JUDGE)
    assert _sign_in("judge") == f"/inspections/{open_round.pk}/judge/"
    assert _sign_in("viewer") == "/"
