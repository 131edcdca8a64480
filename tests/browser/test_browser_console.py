"""The main pages run in Chromium under the Content-Security-Policy without a single console error: no
blocked script, style or image, no script failing. Home, a list, a detail, the map and a chart page."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_main_pages_log_no_console_error(page, logged_in, regions, city_admin, make_enterprise):
    from mujun.land.models import Parcel
    from mujun.projects.models import Project

    enterprise = make_enterprise(1)
    ring = [[120.1, 30.85], [120.102, 30.85], [120.102, 30.852], [120.1, 30.852], [120.1, 30.85]]
    Parcel.objects.create(code="ZL-1", region=regions.zhili, area_mu=40, holder=enterprise,
                          approved_on=timezone.localdate() - timedelta(days=900),
                          boundary={"type": "Polygon", "coordinates": [ring]})  # fmt: skip
    Project.objects.create(code="HZ-001", name="智能装备项目", enterprise=enterprise, region=regions.zhili,
                           total_investment=32_000, planned_construction=date(2024, 4, 1))  # fmt: skip
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))

    logged_in("city_admin", "pw-city_admin")
    for url, ready in [
        ("/", "nav"),
        ("/enterprises/", "table"),
        (f"/enterprises/{enterprise.pk}/", "h1"),
        ("/land/map/", "#land-map[data-ready='1']"),
        ("/projects/portfolio/", ".plotly-chart .main-svg"),
    ]:
        page.goto(page.base + url)
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
    assert errors == []
