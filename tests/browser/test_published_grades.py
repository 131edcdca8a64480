"""A leader (viewer) sees only published grades: from a parcel the holder's 2024 grade leads to the
enterprise's own result in the published run and on to the enterprise; the 2025 draft is not listed, and
its page answers that it is not published."""

import datetime as dt

import pytest

from mujun.evaluation.models import Result, Run, Scheme
from mujun.evaluation.services import publish_after_past_posting
from mujun.evaluation.tests.conftest import SCHEME_TOML
from mujun.land.models import Parcel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_walks_published_grades_and_never_sees_the_draft(
    page, logged_in, screenshot, regions, make_enterprise, django_user_model
):
    admin = django_user_model.objects.create_user("cityadmin", password="pw-city-2026", role="city_admin")
    django_user_model.objects.create_user("leader", password="pw-leader-2026", role="viewer")
    scheme = Scheme.objects.create(name="方案", year=2024, toml=SCHEME_TOML)
    firm = make_enterprise(1, name="湖州丝绸有限公司")
    runs = {}
    for year, grade in ((2024, "A"), (2025, "D")):
        runs[year] = Run.objects.create(
            name=f"吴兴区{year}年度评价", scheme=scheme, year=year, region=regions.wuxing,
            status=Run.Status.DONE, created_by=admin,
        )  # fmt: skip
        Result.objects.create(run=runs[year], enterprise=firm, region=regions.wuxing, status="evaluated", grade=grade)
    publish_after_past_posting(runs[2024], admin, dt.date(2025, 4, 14), dt.date(2025, 4, 20))  # posted, then published
    parcel = Parcel.objects.create(code="WX-01", region=regions.wuxing, holder=firm, area_mu=20)

    logged_in("leader", "pw-leader-2026")
    page.goto(page.base + parcel.get_absolute_url())
    grades = page.locator("a.parcel-grade")
    assert grades.count() == 1 and grades.first.inner_text().startswith("2024")
    screenshot(page, "published-grades-01-parcel")

    grades.first.click()
    page.wait_for_url(f"**/evaluation/runs/{runs[2024].pk}/results/{firm.pk}/")
    assert "未发布" not in page.inner_text("body")
    screenshot(page, "published-grades-02-result")
    page.click("h1 a")
    page.wait_for_url(f"**{firm.get_absolute_url()}")
    assert runs[2025].name not in page.inner_text("body")

    page.goto(page.base + "/evaluation/runs/")
    listed = page.inner_text("table")
    assert runs[2024].name in listed and runs[2025].name not in listed
    response = page.goto(page.base + runs[2025].get_absolute_url())
    assert response.status == 403 and "尚未发布" in page.inner_text("#permission-denied")
    screenshot(page, "published-grades-03-draft-refused")
