"""The land map and a disposal case in the browser: a county operator opens the map of their county,
clicks a parcel and sees its figures, opens a disposal case from its finding, notes progress with
evidence and closes the case."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mujun.land.models import DisposalCase, Parcel, Thresholds
from mujun.land.services import classify_parcels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def square(lon: float, lat: float, size: float = 0.002) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_map_click_opens_parcel_then_a_case_runs_to_closure(page, logged_in, screenshot, tmp_path, regions, django_user_model):
    django_user_model.objects.create_user("wx", password="pw-wuxing-2026", role="county_operator", region=regions.wuxing)
    regions.wuxing.boundary = square(120.0, 30.8, 0.3)
    regions.wuxing.save()
    today = timezone.localdate()
    for i in range(30):
        Parcel.objects.create(
            code=f"ZL-{i:02d}", region=regions.zhili, area_mu=40, boundary=square(120.1 + (i % 6) * 0.003, 30.85 + (i // 6) * 0.003),
            approved_on=today - timedelta(days=900), supplied_on=today - timedelta(days=800) if i % 2 else None,
            agreed_start_on=today - timedelta(days=700) if i % 2 else None,
        )  # fmt: skip
    Thresholds.objects.create(region=regions.wuxing)
    classify_parcels()

    logged_in("wx", "pw-wuxing-2026")
    page.goto(page.base + f"/land/map/?region={regions.wuxing.pk}")
    page.wait_for_selector("#land-map[data-ready='1']")
    assert "30" in page.inner_text("#map-status")
    target = Parcel.objects.get(code="ZL-07")
    point = page.evaluate(
        """(id) => { let p = null; window.parcelLayer.eachLayer((l) => { if (l.feature.properties.id === id) {
             const c = window.landMap.latLngToContainerPoint(l.getBounds().getCenter());
             const r = document.getElementById('land-map').getBoundingClientRect();
             p = {x: r.left + c.x, y: r.top + c.y}; } }); return p; }""",
        target.pk,
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector(f"#parcel-panel [data-parcel='{target.pk}']")
    panel = page.inner_text("#parcel-panel")
    assert "ZL-07" in panel and "供而未用" in panel
    screenshot(page, "land-map")

    page.click("#parcel-panel h6 a")
    page.wait_for_selector("#findings")
    page.click("a.open-case")
    page.select_option("select[name=measure]", "urge_start")
    page.fill("input[name=responsible_unit]", "吴兴区自然资源和规划分局")
    page.fill("input[name=deadline]", (today - timedelta(days=1)).isoformat())
    page.click("button[type=submit].btn-primary")
    page.wait_for_selector("#overdue-badge")
    evidence = tmp_path / "催告函.pdf"
    evidence.write_bytes(b"%PDF-1.4 demo")
    page.fill("#progress-form textarea[name=note]", "已向企业发出开工催告函")
    page.set_input_files("#progress-form input[name=evidence]", str(evidence))
    page.click("#progress-form button[type=submit]")
    page.wait_for_selector("#progress >> text=已向企业发出开工催告函")
    screenshot(page, "land-case")
    page.fill("#close-form input[name=area_disposed_mu]", "40")
    page.click("#close-form button[type=submit]")
    page.wait_for_selector("#case-status >> text=已办结")
    case = DisposalCase.objects.get()
    assert (case.status, case.area_disposed_mu) == ("closed", 40)
    page.goto(page.base + "/land/cases/")
    assert "40.0" in page.inner_text("#land-overview")
    screenshot(page, "land-cases")
