"""The main pages work under the Content-Security-Policy: charts drawn, the map drawn, thumbnails shown, the
language switch and the confirmations working, and the console without a single CSP violation (the ``page``
fixture fails the test on any)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from mujun.evaluation.tests.conftest import county_data, finished_run, make_enterprises, scheme  # noqa: F401
from mujun.projects.tests.conftest import PDF, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_main_pages_run_under_the_policy(page, logged_in, regions, city_admin, make_enterprise, finished_run):  # noqa: F811
    from mujun.land.models import Parcel
    from mujun.projects.models import Project
    from mujun.projects.services import Upload, advance

    today = timezone.localdate()
    ring = [[120.1, 30.85], [120.102, 30.85], [120.102, 30.852], [120.1, 30.852], [120.1, 30.85]]
    Parcel.objects.create(code="ZL-1", region=regions.zhili, area_mu=40, approved_on=today - timedelta(days=900),
                          boundary={"type": "Polygon", "coordinates": [ring]})  # fmt: skip
    project = Project.objects.create(
        code="HZ-001", name="年产5万台智能装备项目", enterprise=make_enterprise(1), region=regions.zhili,
        total_investment=32_000, planned_construction=date(2024, 4, 1),
    )  # fmt: skip
    advance(project, "signed", date(2024, 1, 10), [Upload("协议.pdf", PDF, "document")], city_admin)
    advance(project, "landed", date(2024, 3, 1), [Upload("土地合同.pdf", PDF, "document")], city_admin)
    advance(project, "construction", date(2024, 4, 15),
            [Upload("工地.png", png_bytes(), "photo"), Upload("许可证.pdf", PDF, "document")], city_admin)  # fmt: skip

    logged_in("city_admin", "pw-city_admin")
    page.goto(page.base + "/land/map/")
    page.wait_for_selector("#land-map[data-ready='1']")
    assert page.inner_text("#map-status").startswith("1 ")

    page.goto(page.base + project.get_absolute_url())
    thumbnail = page.locator("#stages img")
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", thumbnail.element_handle())

    page.goto(page.base + "/projects/portfolio/")
    page.wait_for_selector(".plotly-chart .main-svg")

    page.goto(page.base + finished_run.get_absolute_url())
    page.wait_for_selector(".plotly-chart .main-svg")
    page.goto(page.base + finished_run.get_absolute_url() + "results/")
    page.wait_for_selector("table")

    page.goto(page.base + finished_run.get_absolute_url())
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.click("#posting-card button")
    assert dialogs and "公示" in dialogs[0]
    finished_run.refresh_from_db()
    assert finished_run.status == "done"  # dismissed: nothing posted

    page.goto(page.base + "/")
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("html[lang=en]")
    assert "Log out" in page.inner_text("nav")
