from io import StringIO

import pytest
from django.core.management import call_command

from mujun.core.management.commands._demo_data import DEMO_PASSWORD
from mujun.core.models import User
from mujun.enterprises.models import Enterprise, EnterpriseYear
from mujun.evaluation.models import Result, Run, Scheme
from mujun.regions.models import Region


def demo(*args) -> str:
    out = StringIO()
    call_command("demo", "--no-serve", "--above", "60", "--below", "40", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_fills_an_empty_database_with_users_data_and_published_runs(client):
    output = demo()

    assert Region.objects.filter(level="county").count() == 5
    assert Region.objects.get(code="330502100").parent.name == "吴兴区"
    assert Enterprise.objects.count() == 100
    assert Enterprise.objects.filter(region__level__in=["town", "park"]).count() == 100
    assert EnterpriseYear.objects.filter(year=2024).count() == 100
    assert set(EnterpriseYear.objects.values_list("year", flat=True).distinct()) == {2022, 2023, 2024}
    assert Scheme.objects.count() == 2

    runs = Run.objects.order_by("year")
    assert [run.year for run in runs] == [2022, 2023, 2024]
    assert all(run.status == Run.Status.PUBLISHED and run.published_at for run in runs)
    assert runs[2].scheme.preset == "huangyan-2022" and runs[0].scheme.preset == "huangyan-2021"
    latest = runs[2]
    assert latest.results.count() == 100
    assert set(latest.results.exclude(grade="").values_list("grade", flat=True)) >= {"A", "B", "C", "D"}

    operator = User.objects.get(username="changxing")
    assert operator.role == User.Role.COUNTY_OPERATOR and operator.region.name == "长兴县"
    assert User.objects.get(username="admin").is_city_admin
    assert User.objects.get(username="leader").role == User.Role.VIEWER
    assert DEMO_PASSWORD in output and "leader" in output
    # Through the log-in page: django-axes needs the request that the test client's login() does not pass.
    assert client.post("/accounts/login/", {"username": "leader", "password": DEMO_PASSWORD}).status_code == 302
    assert client.get(latest.get_absolute_url()).status_code == 200


@pytest.mark.django_db(transaction=True)  # --reset flushes: PostgreSQL truncates only outside a transaction
def test_demo_keeps_existing_data_and_reset_starts_over():
    demo()
    regions = Region.objects.count()

    output = demo()
    assert "未载入演示数据" in output  # the database already holds data
    assert Enterprise.objects.count() == 100
    assert Run.objects.count() == 3

    demo("--reset")
    assert Region.objects.count() == regions
    assert Enterprise.objects.count() == 100
    assert Run.objects.count() == 3
    assert Result.objects.count() == EnterpriseYear.objects.count()  # one result per enterprise-year


@pytest.mark.django_db
def test_demo_records_written_in_bulk_have_their_creation_in_the_history(client_as):
    """The demo writes its rows in bulk: each still gets its creation row, so a first change shows what
    was there before; the projects' history holds the parcels they were created with."""
    from django.apps import apps

    demo()
    admin = User.objects.get(username="admin")
    for model in apps.get_models():
        if hasattr(model._meta, "simple_history_manager_attribute") and model.objects.exists():
            created = model.history.filter(history_type="+").values(model._meta.pk.attname)
            assert not model.objects.exclude(pk__in=created).exists(), f"{model.__name__} created without history"
    from mujun.projects.models import Project

    project = Project.objects.filter(parcels__isnull=False).first()
    creation = project.history.get(history_type="+")
    assert creation.history_user == admin
    assert [row.parcel for row in creation.parcels.all()] == list(project.parcels.all())

    firm = Enterprise.objects.filter(region__parent__code="330502").first()
    data = {"uscc": firm.uscc, "name": "改名后的企业", "region": firm.region_id, "land_mu": firm.land_mu}
    client = client_as(User.objects.get(username="wuxing"))
    assert client.post(f"/enterprises/{firm.pk}/edit/", data).status_code == 302
    changed = client.get(firm.get_absolute_url()).context["history"][0]
    assert {"field": "名称", "old": firm.name, "new": "改名后的企业"} in changed["changes"]


@pytest.mark.django_db
def test_the_demo_reaches_every_state_through_the_services():
    """The demo loader changes no state itself: each state it leaves was reached by the app's services, and
    their records show it (who published a run, how a project got to its stage, who closed a case or a
    problem, who approved a report)."""
    from django.utils import timezone

    from mujun.inspections.models import Round
    from mujun.land.models import DisposalCase
    from mujun.projects.models import MonthlyReport, Project, StageChange
    from mujun.services.models import Problem

    demo()
    admin = User.objects.get(username="admin")
    for run in Run.objects.all():
        assert run.history.first().status == Run.Status.PUBLISHED and run.history.first().history_user == admin

    for project in Project.objects.exclude(stage="planned"):
        assert project.stage_changes.order_by("-date", "-pk").first().to_stage == project.stage, project
    assert StageChange.objects.filter(user=admin).count() >= Project.objects.exclude(stage="planned").count()

    approved = MonthlyReport.objects.filter(status=MonthlyReport.Status.APPROVED)
    assert approved.exists() and not approved.filter(reviewed_by=None).exists()
    assert MonthlyReport.history.filter(status=MonthlyReport.Status.APPROVED, history_user=admin).count() == approved.count()

    closed_cases = DisposalCase.objects.filter(status=DisposalCase.Status.CLOSED)
    assert closed_cases.exists()
    assert all(case.history.first().status == DisposalCase.Status.CLOSED for case in closed_cases)

    closed = Problem.objects.filter(status=Problem.Status.CLOSED)
    assert closed.exists()
    assert all(p.history.first().history_change_reason == "confirm" and p.closed_at for p in closed)

    rounds = Round.objects.all()
    assert rounds.filter(status=Round.Status.OPEN).count() == 1
    assert all(r.history.filter(status=Round.Status.OPEN).exists() for r in rounds)
    closed_rounds = rounds.filter(status=Round.Status.CLOSED)
    assert closed_rounds.exists()
    assert all(timezone.localtime(r.closed_at).date() == r.visit_date for r in closed_rounds)  # closed that evening
