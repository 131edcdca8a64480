"""Parcels: import (Excel and GeoJSON, all-or-nothing), export, classification written back, map JSON,
disposal cases from a finding to closure, scoping."""

import io
import json
from datetime import date, timedelta

import polars as pl
import pytest
from django.urls import reverse
from django.utils import timezone

from mujun.core.imports import ImportFailed
from mujun.land.geometry import area_mu
from mujun.land.imports import ParcelImporter
from mujun.land.models import DisposalCase, Finding, LandTarget, Parcel, Thresholds
from mujun.land.services import classify_parcels, overview

# A square of about 200 m × 198 m near 织里 (≈ 59.4 mu).
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[120.26, 30.83], [120.262077, 30.83], [120.262077, 30.831797], [120.26, 30.831797], [120.26, 30.83]]],
}
BOWTIE = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.01], [120.01, 30.0], [120.0, 30.01], [120.0, 30.0]]]}


def workbook(rows: list[dict]) -> io.BytesIO:
    buffer = io.BytesIO()
    pl.DataFrame(rows).write_excel(buffer)
    buffer.seek(0)
    return buffer


def test_boundary_area_is_geodesic_in_mu():
    assert area_mu(SQUARE) == pytest.approx(59.38, rel=0.001)


def test_excel_import_stores_parcels_with_boundary_area(regions, city_admin):
    rows = [
        {"地块编号": "ZL-1", "所属区域": "织里镇", "面积(亩)": "60", "批准日期": "2020-01-01", "供地日期": "2020-06-01",
         "边界(GeoJSON)": json.dumps(SQUARE)},
        {"地块编号": "ZL-2", "所属区域": "330502100", "面积(亩)": "12.5", "批准日期": "2021-01-01"},
    ]  # fmt: skip
    result = ParcelImporter(city_admin).run(workbook(rows), filename="parcels.xlsx")
    assert result.rows == 2
    parcel = Parcel.objects.get(code="ZL-1")
    assert parcel.region == regions.zhili and parcel.supplied_on == date(2020, 6, 1)
    assert parcel.boundary_area_mu == pytest.approx(59.38, rel=0.001)
    assert parcel.history.count() == 1


def test_bad_rows_are_all_reported_and_nothing_is_stored(regions, city_admin):
    rows = [
        {"地块编号": "A", "所属区域": "织里镇", "面积(亩)": "60", "边界(GeoJSON)": json.dumps(BOWTIE), "批准日期": "2020-01-01", "供地日期": ""},
        {"地块编号": "B", "所属区域": "织里镇", "面积(亩)": "60", "边界(GeoJSON)": json.dumps({"type": "Polygon", "coordinates": []}), "批准日期": "", "供地日期": ""},
        {"地块编号": "C", "所属区域": "织里镇", "面积(亩)": "10", "边界(GeoJSON)": "", "批准日期": "2021-01-01", "供地日期": "2020-01-01"},
        {"地块编号": "D", "所属区域": "织里镇", "面积(亩)": "90", "边界(GeoJSON)": json.dumps(SQUARE), "批准日期": "", "供地日期": ""},
        {"地块编号": "E", "所属区域": "火星区", "面积(亩)": "10", "边界(GeoJSON)": "", "批准日期": "", "供地日期": ""},
    ]  # fmt: skip
    with pytest.raises(ImportFailed) as failure:
        ParcelImporter(city_admin).run(workbook(rows), filename="parcels.xlsx")
    messages = [str(p) for p in failure.value.problems]
    english = {p.row: p.message("en") for p in failure.value.problems if p.field in ("boundary", "area_mu")}
    assert any(m.startswith("第2行 边界(GeoJSON)：边界自相交") for m in messages)
    assert english[2].startswith("the boundary intersects itself")
    assert any(m.startswith("第3行 边界(GeoJSON)：") for m in messages)
    assert "第4行 供地日期：不能早于批准日期" in messages
    assert any(m.startswith("第5行 面积(亩)：与边界面积") for m in messages)
    assert english[5].startswith("differs from the boundary's area")
    assert any(m.startswith("第6行 所属区域：未找到") for m in messages)
    assert not Parcel.objects.exists()


def test_geojson_import_maps_properties_onto_the_same_columns(regions, city_admin):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": SQUARE, "properties": {"code": "G-1", "region": "织里镇", "area_mu": 60}},
            {"type": "Feature", "geometry": BOWTIE, "properties": {"地块编号": "G-2", "所属区域": "织里镇", "面积(亩)": 1}},
        ],
    }
    with pytest.raises(ImportFailed) as failure:
        ParcelImporter(city_admin).run(io.BytesIO(json.dumps(collection).encode()), filename="parcels.geojson")
    assert [p.row for p in failure.value.problems] == [2] and not Parcel.objects.exists()
    collection["features"].pop()
    ParcelImporter(city_admin).run(io.BytesIO(json.dumps(collection).encode()), filename="parcels.geojson")
    assert Parcel.objects.get(code="G-1").boundary == SQUARE


def test_county_operator_cannot_import_into_another_county(regions, operator_nanxun):
    rows = [{"地块编号": "X", "所属区域": "织里镇", "面积(亩)": "10"}]
    with pytest.raises(ImportFailed) as failure:
        ParcelImporter(operator_nanxun).run(workbook(rows), filename="p.xlsx")
    assert "不在您可编辑的区域内" in str(failure.value.problems[0])


@pytest.fixture
def parcels(regions):
    today = timezone.localdate()
    idle = Parcel.objects.create(
        code="IDLE", region=regions.zhili, area_mu=60, boundary=SQUARE, approved_on=today - timedelta(days=900),
        supplied_on=today - timedelta(days=800), agreed_start_on=today - timedelta(days=700),
    )  # fmt: skip
    idle_nanxun = Parcel.objects.create(
        code="IDLE-NX", region=regions.lianshi, area_mu=20, approved_on=today - timedelta(days=900),
        supplied_on=today - timedelta(days=800), agreed_start_on=today - timedelta(days=500),
    )  # fmt: skip
    fine = Parcel.objects.create(code="FINE", region=regions.zhili, area_mu=10, supplied_on=today - timedelta(days=10))
    return idle, idle_nanxun, fine


def test_classification_is_written_back_with_findings_and_county_thresholds(parcels, regions):
    idle, idle_nanxun, fine = parcels
    Thresholds.objects.create(region=regions.nanxun, idle_months=24)
    classify_parcels()
    idle.refresh_from_db(), idle_nanxun.refresh_from_db(), fine.refresh_from_db()
    assert (idle.stage, idle.category) == ("supplied", "supplied_not_used")
    assert idle.category_since == idle.agreed_start_on.replace(year=idle.agreed_start_on.year + 1) or idle.category_since
    assert idle_nanxun.category == "" and fine.category == ""
    finding = Finding.objects.get(parcel=idle)
    assert finding.rule == "idle_not_started" and finding.primary


def test_map_json_filters_by_county_and_category(parcels, regions, client_as, viewer):
    classify_parcels()
    client = client_as(viewer)
    data = client.get(reverse("land:parcels_json"), {"region": regions.wuxing.pk, "category": "supplied_not_used"}).json()
    assert [f["properties"]["code"] for f in data["features"]] == ["IDLE"]
    assert client.get(reverse("land:parcels_json"), {"region": regions.nanxun.pk}).json()["features"] == []
    popup = client.get(reverse("land:parcel_popup", args=[parcels[0].pk]))
    assert "IDLE" in popup.content.decode() and "供而未用" in popup.content.decode()
    assert client.get(reverse("land:map")).status_code == 200


def test_exports_round_trip_through_the_import(parcels, regions, client_as, city_admin):
    client = client_as(city_admin)
    excel = client.get(reverse("land:parcel_export"), {"region": regions.wuxing.pk})
    frame = pl.read_excel(io.BytesIO(b"".join(excel.streaming_content)))
    assert sorted(frame["地块编号"]) == ["FINE", "IDLE"]
    geojson = client.get(reverse("land:parcel_geojson"), {"region": regions.wuxing.pk})
    collection = json.loads(geojson.content)
    assert {f["properties"]["地块编号"] for f in collection["features"]} == {"FINE", "IDLE"}
    Parcel.objects.filter(code="IDLE").update(area_mu=61)
    ParcelImporter(city_admin).run(io.BytesIO(geojson.content), filename="p.geojson")
    assert Parcel.objects.get(code="IDLE").area_mu == 60


def test_disposal_case_from_finding_to_closure_counts_against_the_target(parcels, regions, client_as, operator_wuxing, operator_nanxun):
    classify_parcels()
    today = timezone.localdate()
    LandTarget.objects.create(region=regions.wuxing, year=today.year, disposal_target_mu=100, supply_target_mu=50)
    finding = Finding.objects.get(parcel__code="IDLE")
    assert client_as(operator_nanxun).get(reverse("land:finding_open_case", args=[finding.pk])).status_code == 403
    client = client_as(operator_wuxing)
    response = client.post(
        reverse("land:finding_open_case", args=[finding.pk]),
        {"measure": "urge_start", "responsible_unit": "吴兴区自然资源和规划分局", "deadline": (today - timedelta(days=1)).isoformat()},
    )
    case = DisposalCase.objects.get()
    assert response.url == case.get_absolute_url()
    assert case.rule == "idle_not_started" and case.is_overdue
    row = next(r for r in overview(today.year) if r["county"] == regions.wuxing)
    assert (row["open"], row["overdue"]) == (1, 1)
    evidence = io.BytesIO(b"%PDF-1.4 notice")
    evidence.name = "notice.pdf"
    client.post(reverse("land:case_progress", args=[case.pk]), {"noted_on": today.isoformat(), "note": "已发催告函", "evidence": evidence})
    assert case.progress.get().evidence.name.endswith("notice.pdf")
    too_much = client.post(reverse("land:case_close", args=[case.pk]), {"closed_on": today.isoformat(), "area_disposed_mu": 600})
    case.refresh_from_db()
    assert case.status == "open" and too_much.status_code == 302
    client.post(reverse("land:case_close", args=[case.pk]), {"closed_on": today.isoformat(), "area_disposed_mu": 60})
    case.refresh_from_db()
    assert (case.status, case.area_disposed_mu) == ("closed", 60)
    row = next(r for r in overview(today.year) if r["county"] == regions.wuxing)
    assert (row["open"], row["disposed"], row["disposal_target"]) == (0, 60, 100)
    page = client.get(reverse("land:case_list")).content.decode()
    assert "60.0" in page


def test_pages_render(parcels, client_as, city_admin):
    classify_parcels()
    client = client_as(city_admin)
    for name in ["land:parcel_list", "land:case_list", "land:thresholds_list", "land:targets", "land:parcel_add",
                 "land:parcel_import", "land:thresholds_add"]:  # fmt: skip
        assert client.get(reverse(name)).status_code == 200, name
    detail = client.get(reverse("land:parcel_detail", args=[parcels[0].pk])).content.decode()
    assert "超过约定开工日期" in detail


def test_thresholds_only_by_city_admin(regions, client_as, operator_wuxing):
    response = client_as(operator_wuxing).post(reverse("land:thresholds_add"), {"region": regions.wuxing.pk})
    assert response.status_code == 403


def test_parcel_form_rejects_self_intersecting_boundary(regions, client_as, operator_wuxing):
    response = client_as(operator_wuxing).post(
        reverse("land:parcel_add"),
        {"code": "F-1", "region": regions.zhili.pk, "area_mu": 10, "land_use": "industrial", "boundary": json.dumps(BOWTIE)},
    )
    assert response.status_code == 200 and "边界自相交" in response.content.decode()
    assert not Parcel.objects.exists()
