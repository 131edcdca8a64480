"""A run being evaluated cannot be deleted, a run deleted anyway stays deleted, the worker's changes name the
user who started the run, and a deactivated enterprise is left out of new runs."""

from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from mujun.enterprises.services import set_active
from mujun.evaluation import services
from mujun.evaluation.models import Result, Run
from mujun.evaluation.tasks import evaluate_run
from mujun.evaluation.tests.conftest import YEAR


@pytest.fixture
def new_run(operator_wuxing, regions, scheme, county_data):
    return Run.objects.create(
        name="吴兴区2024", scheme=scheme, year=YEAR, region=regions.wuxing, created_by=operator_wuxing
    )


@pytest.mark.parametrize("status", [Run.Status.PENDING, Run.Status.RUNNING])
def test_a_run_being_evaluated_cannot_be_deleted(client_as, operator_wuxing, new_run, status):
    Run.objects.filter(pk=new_run.pk).update(status=status)
    client = client_as(operator_wuxing)

    response = client.post(reverse("evaluation:run_delete", args=[new_run.pk]))

    assert response.status_code == 302 and response.url == new_run.get_absolute_url()
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "评价批次“吴兴区2024”正在评价，不能删除；请等待其完成。"
    assert Run.objects.filter(pk=new_run.pk, status=status).exists()
    page = client.get(new_run.get_absolute_url()).content.decode()
    assert reverse("evaluation:run_delete", args=[new_run.pk]) not in page


def test_a_finished_run_is_deleted_with_its_results_and_snapshot(client_as, operator_wuxing, new_run):
    services.start_run(new_run, operator_wuxing)
    snapshot = Path(new_run.input_snapshot.path)
    assert new_run.status == Run.Status.DONE and snapshot.exists()

    response = client_as(operator_wuxing).post(reverse("evaluation:run_delete", args=[new_run.pk]))

    assert response.status_code == 302 and response.url == reverse("evaluation:run_list")
    assert not Run.objects.filter(pk=new_run.pk).exists() and not Result.objects.exists() and not snapshot.exists()


def test_a_run_deleted_before_the_worker_comes_to_it_is_skipped(new_run):
    Run.objects.filter(pk=new_run.pk).delete()
    assert evaluate_run.call(new_run.pk) == "deleted"
    assert not Run.objects.exists()


def test_a_run_deleted_while_it_is_evaluated_is_not_recreated(monkeypatch, settings, operator_wuxing, new_run):
    Run.objects.filter(pk=new_run.pk).update(started_by=operator_wuxing)
    build_input = services.build_input

    def deleted_meanwhile(region, year):
        # The worker has set the run running; now somebody deletes it.
        Run.objects.filter(pk=new_run.pk).delete()
        return build_input(region, year)

    monkeypatch.setattr(services, "build_input", deleted_meanwhile)

    evaluate_run.call(new_run.pk)

    assert not Run.objects.filter(pk=new_run.pk).exists()
    assert not Result.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).glob("runs/*"))  # no orphaned snapshot


def test_worker_changes_name_the_user_who_started_the_run(operator_wuxing, city_admin, new_run):
    # Outside any request, as in the worker.
    services.start_run(new_run, operator_wuxing)
    assert new_run.status == Run.Status.DONE
    worker_rows = new_run.history.filter(status__in=[Run.Status.RUNNING, Run.Status.DONE])
    assert worker_rows.count() == 2
    assert {row.history_user for row in worker_rows} == {operator_wuxing}

    services.start_run(new_run, city_admin)  # run again by somebody else
    assert new_run.history.latest().history_user == city_admin


def test_a_deactivated_enterprise_is_left_out_of_new_runs(regions, city_admin, county_data, new_run):
    gone = county_data["wuxing"][0]
    set_active(gone, False)

    assert gone.pk not in services.build_input(regions.wuxing, YEAR)["enterprise_id"].to_list()
    services.start_run(new_run, city_admin)
    assert new_run.status == Run.Status.DONE
    assert new_run.results.count() == 12 + 8 + 3 + 1 - 1
    assert not new_run.results.filter(enterprise=gone).exists()
