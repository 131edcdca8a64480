"""Publishing a run is one service (mujun.evaluation.services.publish_run), used by the page and the demo
loader: only a city administrator publishes, only a run posted for public notice, once its window has ended
and every objection is decided."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mujun.evaluation.models import Run
from mujun.evaluation.services import post_run, publish_run

TODAY = timezone.localdate


def post_past(run, user):
    yesterday = TODAY() - dt.timedelta(days=1)
    return post_run(run, user, yesterday - dt.timedelta(days=6), yesterday)


def test_only_a_city_administrator_publishes(city_admin, operator_wuxing, finished_run):
    post_past(finished_run, city_admin)
    with pytest.raises(PermissionDenied):
        publish_run(finished_run, operator_wuxing)
    with pytest.raises(PermissionDenied):
        publish_run(finished_run, None)
    finished_run.refresh_from_db()
    assert finished_run.status == Run.Status.POSTED and finished_run.published_at is None


def test_a_finished_run_is_posted_before_it_is_published(city_admin, finished_run):
    with pytest.raises(ValidationError, match="公示"):
        publish_run(finished_run, city_admin)
    finished_run.refresh_from_db()
    assert finished_run.status == Run.Status.DONE and finished_run.published_at is None


@pytest.mark.parametrize("status", [Run.Status.PENDING, Run.Status.RUNNING, Run.Status.FAILED, Run.Status.PUBLISHED])
def test_only_a_posted_run_is_published(city_admin, finished_run, status):
    Run.objects.filter(pk=finished_run.pk).update(status=status)
    with pytest.raises(ValidationError):
        publish_run(finished_run, city_admin)
    finished_run.refresh_from_db()
    assert finished_run.status == status and finished_run.published_at is None


def test_publishing_records_who_and_when(city_admin, finished_run):
    post_past(finished_run, city_admin)
    publish_run(finished_run, city_admin)
    assert finished_run.status == Run.Status.PUBLISHED and finished_run.published_at is not None
    latest = finished_run.history.first()
    assert (latest.status, latest.history_user, latest.published_at) == (
        Run.Status.PUBLISHED, city_admin, finished_run.published_at,
    )  # fmt: skip
