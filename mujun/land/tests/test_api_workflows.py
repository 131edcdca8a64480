"""Disposal cases over the API follow the pages' workflow: opened from a finding (one open case per finding),
closed only through the close action with its date and area; the state fields are read-only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mujun.land.models import DisposalCase, Finding, Parcel


@pytest.fixture
def finding(regions):
    today = timezone.localdate()
    parcel = Parcel.objects.create(
        code="IDLE", region=regions.zhili, area_mu=60, supplied_on=today - timedelta(days=800),
        agreed_start_on=today - timedelta(days=700),
    )  # fmt: skip
    return Finding.objects.create(
        parcel=parcel, category="supplied_not_used", rule="idle_not_started", figures={"months": 23}, as_of=today,
        primary=True,
    )  # fmt: skip


def case_data(finding, **extra):
    """A case to open from ``finding``; the parcel, category and rule named too (they come from the finding)."""
    deadline = (timezone.localdate() + timedelta(days=90)).isoformat()
    return {
        "finding": finding.pk, "parcel": finding.parcel_id, "category": finding.category, "rule": finding.rule,
        "measure": "urge_start", "responsible_unit": "吴兴区自然资源和规划分局", "deadline": deadline, **extra,
    }  # fmt: skip


@pytest.fixture
def case(finding):
    return DisposalCase.objects.create(
        parcel=finding.parcel, category=finding.category, rule=finding.rule, measure="urge_start",
        responsible_unit="吴兴区自然资源和规划分局", deadline=timezone.localdate() + timedelta(days=90),
    )  # fmt: skip


def test_a_case_is_opened_from_its_finding_and_open(finding, client_as, operator_wuxing):
    client = client_as(operator_wuxing)
    data = case_data(finding, figures={"months": 1}, status="closed", closed_on="2024-01-01", area_disposed_mu=60)
    opened = client.post("/api/disposal-cases/", data, content_type="application/json")
    assert opened.status_code == 201, opened.json()
    case = DisposalCase.objects.get()
    # What the finding sets comes from the finding; what closing sets is ignored on creation.
    assert (case.parcel, case.category, case.rule, case.figures) == (finding.parcel, "supplied_not_used", "idle_not_started", {"months": 23})
    assert (case.status, case.closed_on, case.area_disposed_mu) == ("open", None, None)

    without_finding = client.post("/api/disposal-cases/", {**case_data(finding), "finding": None}, content_type="application/json")
    assert without_finding.status_code == 400 and "finding" in without_finding.json()


def test_one_finding_opens_one_open_case(finding, client_as, operator_wuxing):
    client = client_as(operator_wuxing)
    assert client.post("/api/disposal-cases/", case_data(finding), content_type="application/json").status_code == 201
    again = client.post("/api/disposal-cases/", case_data(finding), content_type="application/json")
    assert again.status_code == 400 and "已有处置中的任务" in str(again.json())
    page = client.post(reverse("land:finding_open_case", args=[finding.pk]), case_data(finding))
    assert page.status_code == 200 and "已有处置中的任务" in page.content.decode()
    assert DisposalCase.objects.count() == 1


def test_another_countys_operator_cannot_open_a_case(finding, client_as, operator_nanxun):
    response = client_as(operator_nanxun).post("/api/disposal-cases/", case_data(finding), content_type="application/json")
    assert response.status_code == 403 and not DisposalCase.objects.exists()


def test_a_case_is_closed_only_through_the_close_action_with_date_and_area(case, client_as, operator_wuxing):
    client = client_as(operator_wuxing)

    patched = client.patch(f"/api/disposal-cases/{case.pk}/", {"status": "closed"}, content_type="application/json")
    case.refresh_from_db()
    assert patched.status_code == 200 and patched.json()["status"] == "open"
    assert (case.status, case.closed_on, case.area_disposed_mu) == ("open", None, None)

    bare = client.post(f"/api/disposal-cases/{case.pk}/close/", {}, content_type="application/json")
    assert bare.status_code == 400 and {"closed_on", "area_disposed_mu"} <= set(bare.json())
    too_much = client.post(f"/api/disposal-cases/{case.pk}/close/", {"closed_on": timezone.localdate().isoformat(), "area_disposed_mu": 600},
                           content_type="application/json")  # fmt: skip
    assert too_much.status_code == 400 and "area_disposed_mu" in too_much.json()
    case.refresh_from_db()
    assert case.status == "open"

    today = timezone.localdate()
    closed = client.post(f"/api/disposal-cases/{case.pk}/close/", {"closed_on": today.isoformat(), "area_disposed_mu": 45}, content_type="application/json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    case.refresh_from_db()
    assert (case.status, case.closed_on, case.area_disposed_mu) == ("closed", today, 45)
    # As on the page: a closed case is not closed again, nor deleted (it counts against the target).
    assert client.post(f"/api/disposal-cases/{case.pk}/close/", {"closed_on": today.isoformat(), "area_disposed_mu": 50},
                       content_type="application/json").status_code == 400  # fmt: skip
    assert client.delete(f"/api/disposal-cases/{case.pk}/").status_code == 409
    assert client.patch(f"/api/disposal-cases/{case.pk}/", {"measure": "recover"}, content_type="application/json").status_code == 400
    assert DisposalCase.objects.get().area_disposed_mu == 45


def test_the_page_closes_a_case_the_same_way(finding, client_as, operator_wuxing):
    client = client_as(operator_wuxing)
    client.post(reverse("land:finding_open_case", args=[finding.pk]), case_data(finding))
    case = DisposalCase.objects.get()
    client.post(reverse("land:case_close", args=[case.pk]), {"closed_on": "", "area_disposed_mu": ""})
    case.refresh_from_db()
    assert case.status == "open"
    today = timezone.localdate()
    client.post(reverse("land:case_close", args=[case.pk]), {"closed_on": today.isoformat(), "area_disposed_mu": 45})
    case.refresh_from_db()
    assert (case.status, case.closed_on, case.area_disposed_mu) == ("closed", today, 45)
    assert client.get(reverse("land:case_edit", args=[case.pk])).status_code == 403
    # Once closed, the finding may be followed by a new case.
    assert client.post("/api/disposal-cases/", case_data(finding), content_type="application/json").status_code == 201


def test_parcel_state_is_read_only_and_its_rules_hold_in_the_api(finding, client_as, operator_wuxing):
    client = client_as(operator_wuxing)
    parcel = finding.parcel
    response = client.patch(f"/api/parcels/{parcel.pk}/", {"category": "approved_not_supplied", "stage": "commissioned"},
                            content_type="application/json")  # fmt: skip
    parcel.refresh_from_db()
    assert response.status_code == 200 and (parcel.category, parcel.stage) == ("", "")
    backwards = client.patch(f"/api/parcels/{parcel.pk}/", {"approved_on": (parcel.supplied_on + timedelta(days=1)).isoformat()},
                             content_type="application/json")  # fmt: skip
    assert backwards.status_code == 400 and "supplied_on" in backwards.json()
