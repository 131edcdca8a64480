"""Publishing a run is one service (mujun.evaluation.services.publish_run), used by the page and the demo loader."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mujun.evaluation.models import Run
from mujun.evaluation.services import publish_run


def test_only_a_city_administrator_publishes(operator_wuxing, finished_run):
    with pytest.raises(PermissionDenied):
        publish_run(finished_run, operator_wuxing)
    with pytest.raises(PermissionDenied):
        publish_run(finished_run, None)
    finished_run.refresh_from_db()
    assert finished_run.status == Run.Status.DONE and finished_run.published_at is None


@pytest.mark.parametrize("status", [Run.Status.PENDING, Run.Status.RUNNING, Run.Status.FAILED, Run.Status.PUBLISHED])
def test_only_a_finished_run_is_published(city_admin, finished_run, status):
    Run.objects.filter(pk=finished_run.pk).update(status=status)
    with pytest.raises(ValidationError):
        publish_run(finished_run, city_admin)
    finished_run.refresh_from_db()
    assert finished_run.status == status and finished_run.published_at is None


def test_publishing_records_who_and_when(city_admin, finished_run):
    publish_run(finished_run, city_admin)
    assert finished_run.status == Run.Status.PUBLISHED and finished_run.published_at is not None
    latest = finished_run.history.first()
    assert (latest.status, latest.history_user, latest.published_at) == (
        Run.Status.PUBLISHED, city_admin, finished_run.published_at,
    )  # fmt: skip
