import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mujun.collection import services
from mujun.collection.models import Collection, CollectedFigure, Conflict, Upload
from mujun.collection.tests.conftest import csv
from mujun.core.imports import ImportFailed
from mujun.enterprises.models import EnterpriseYear

pytestmark = pytest.mark.django_db


def tax_workbook(firms, *taxes, extra=""):
    header = "序号,纳税人识别号,企业名称,入库税收合计(万元)" + extra
    rows = [f"{i + 1},{firm.uscc},{firm.name},{tax}" for i, (firm, tax) in enumerate(zip(firms, taxes))]
    return csv(header, *rows)


def test_a_department_delivers_its_workbook_in_its_own_headers(collection, tax_bureau, tax_staff, firms):
    delivery = services.upload_workbook(collection, tax_bureau, tax_staff, tax_workbook(firms, 110, 220, 330, 440), "税.csv")

    upload = delivery.upload
    assert (upload.version, upload.rows, upload.figures, upload.columns) == (1, 4, 4, ["tax"])
    assert upload.file and upload.original_name == "税.csv"
    stored = dict(CollectedFigure.objects.filter(upload=upload).values_list("enterprise__uscc", "number"))
    assert stored == {firms[0].uscc: 110, firms[1].uscc: 220, firms[2].uscc: 330, firms[3].uscc: 440}
    assert all(f.supplier == tax_bureau and f.recorded_at == upload.uploaded_at for f in upload.figure_set.all())


def test_a_column_outside_the_remit_is_refused_naming_it_and_nothing_is_stored(collection, tax_bureau, tax_staff, firms):
    workbook = tax_workbook(firms, 1, 2, 3, 4, extra=",用电量(万千瓦时)").replace(b"\n", b",5\n").replace(b"),5", b")", 1)
    with pytest.raises(ImportFailed) as failure:
        services.upload_workbook(collection, tax_bureau, tax_staff, workbook, "税.csv")
    [problem] = failure.value.problems
    assert problem.row == 1 and "用电量(万千瓦时)" in problem.zh and "不在国家税务总局湖州市税务局的报送范围内" in problem.zh
    assert not Upload.objects.exists() and not CollectedFigure.objects.exists()


def test_every_bad_row_is_named_and_nothing_is_stored(collection, tax_bureau, tax_staff, firms):
    workbook = csv(
        "纳税人识别号,入库税收合计(万元)", f"{firms[0].uscc},12", "91330500MA0000000X,13", f"{firms[1].uscc},很多", f"{firms[0].uscc},14"
    )
    with pytest.raises(ImportFailed) as failure:
        services.upload_workbook(collection, tax_bureau, tax_staff, workbook, "税.csv")
    messages = [str(p) for p in failure.value.problems]
    assert [p.row for p in failure.value.problems] == [3, 4, 5]
    assert messages[0].startswith("第3行 纳税人识别号：") and "第4行 入库税收合计(万元)：不是数字" in messages[1]
    assert "与第2行重复" in messages[2]
    assert not CollectedFigure.objects.exists()


def test_unknown_credit_codes_are_listed_and_the_known_rows_stored(collection, tax_bureau, tax_staff, firms, uscc):
    stranger = uscc(999)
    workbook = csv("纳税人识别号,入库税收合计(万元)", f"{firms[0].uscc},12", f"{stranger},13")
    delivery = services.upload_workbook(collection, tax_bureau, tax_staff, workbook, "税.csv")
    assert delivery.unknown_codes == [{"row": 3, "uscc": stranger}]
    assert delivery.upload.unknown_codes == [{"row": 3, "uscc": stranger}]
    assert delivery.upload.figures == 1
    assert services.unknown_codes(collection.uploads.all())[0]["uscc"] == stranger


def test_a_second_delivery_is_a_new_version_and_its_changes_are_conflicts(collection, tax_bureau, tax_staff, firms):
    first = services.upload_workbook(collection, tax_bureau, tax_staff, tax_workbook(firms, 110, 220, 330, 440), "税.csv")
    second = services.upload_workbook(collection, tax_bureau, tax_staff, tax_workbook(firms, 110, 225, 330, 440.001), "税.csv")

    assert second.upload.version == 2 and second.upload.changed == 1 and second.conflicts == 1
    conflict = Conflict.objects.get()
    assert (conflict.enterprise, conflict.column, conflict.kind, conflict.status) == (firms[1], "tax", "revised", "open")
    assert [c["value"] for c in conflict.candidates] == [220, 225]
    # Both versions are kept; the later one is current.
    assert CollectedFigure.objects.filter(upload=first.upload).count() == 4
    assert set(CollectedFigure.objects.filter(current=True).values_list("upload", flat=True)) == {second.upload.pk}


def test_departments_disagreeing_open_a_conflict_and_the_priority_or_the_choice_wins(
    collection, tax_bureau, stats_bureau, tax_staff, stats_staff, firms, city_admin
):
    services.upload_workbook(collection, tax_bureau, tax_staff, csv("纳税人识别号,营业收入(万元)", f"{firms[0].uscc},1000", f"{firms[1].uscc},1500"), "t.csv")
    delivery = services.upload_workbook(collection, stats_bureau, stats_staff, csv("统一社会信用代码,营业收入(万元),工业增加值(万元)", f"{firms[0].uscc},1003", f"{firms[1].uscc},2000"), "s.csv")
    # 1000 against 1003 is within the tolerance; 1500 against 2000 is not.
    assert delivery.conflicts == 1
    conflict = Conflict.objects.get()
    assert (conflict.enterprise, conflict.kind) == (firms[1], "sources")

    merged = services.merged_figures(collection)
    revenue = dict(merged.filter(merged["column"] == "revenue").select("enterprise_id", "number").iter_rows())
    assert revenue[firms[1].pk] == 2000  # the statistics bureau's revenue has the priority

    services.resolve_conflict(conflict, city_admin, "1600", "核实后以1600为准")
    conflict.refresh_from_db()
    assert conflict.status == "resolved" and conflict.value == 1600 and conflict.resolved_by == city_admin
    assert conflict.history.first().history_user == city_admin
    outcome = services.close_collection(collection, city_admin, confirm=True)
    year = EnterpriseYear.objects.get(enterprise=firms[1], year=2024)
    assert year.revenue == 1600 and outcome.updated == 2
    assert year.history.first().history_user == city_admin


def test_closing_needs_confirmation_merges_and_refuses_further_deliveries(collection, tax_bureau, tax_staff, firms, city_admin, uscc, make_enterprise, regions):
    newcomer = make_enterprise(50, region=regions.zhili, land_mu=8.0)
    services.upload_workbook(collection, tax_bureau, tax_staff, tax_workbook([firms[0], newcomer], 150, 30), "t.csv")
    with pytest.raises(ValidationError):
        services.close_collection(collection, city_admin)
    assert Collection.objects.get().status == "open"

    outcome = services.close_collection(collection, city_admin, confirm=True)
    assert (outcome.updated, outcome.created) == (1, 1)
    assert EnterpriseYear.objects.get(enterprise=firms[0], year=2024).tax == 150
    created = EnterpriseYear.objects.get(enterprise=newcomer, year=2024)
    assert created.tax == 30 and created.land_mu == 8.0 and created.history.filter(history_type="+").exists()
    collection.refresh_from_db()
    assert collection.status == "closed" and collection.closed_by == city_admin and collection.merged_at
    assert collection.history.first().status == "closed"
    with pytest.raises(ValidationError, match="已关闭"):
        services.upload_workbook(collection, tax_bureau, tax_staff, tax_workbook(firms, 1), "t.csv")


def test_an_edit_after_the_merge_is_found_and_resolved(collection, tax_bureau, tax_staff, firms, city_admin):
    services.upload_workbook(collection, tax_bureau, tax_staff, tax_workbook(firms, 110, 220, 330, 440), "t.csv")
    services.close_collection(collection, city_admin, confirm=True)
    EnterpriseYear.objects.filter(enterprise=firms[2], year=2024).update(tax=999)

    [edit] = services.edited_cells(collection)
    assert (edit["enterprise_id"], edit["column"], edit["collected"], edit["stored"]) == (firms[2].pk, "tax", 330, 999)
    conflict = services.resolve_edit(collection, firms[2], "tax", city_admin, "330")
    assert conflict.kind == "edited" and conflict.status == "resolved"
    assert EnterpriseYear.objects.get(enterprise=firms[2], year=2024).tax == 330
    assert services.edited_cells(collection) == []


def test_anomalies_factor_value_added_and_land(collection, stats_bureau, stats_staff, firms):
    services.upload_workbook(
        collection, stats_bureau, stats_staff,
        csv("统一社会信用代码,营业收入(万元),工业增加值(万元),用地面积(亩)",
            f"{firms[0].uscc},5000,300,10", f"{firms[1].uscc},1500,1700,10", f"{firms[2].uscc},3000,900,10"),
        "s.csv",
    )  # fmt: skip
    found = {(a["kind"], a["enterprise_id"], a["column"]) for a in services.anomalies(collection)}
    # 5000 against last year's 1000 is beyond ×3; value added 1700 above revenue 1500.
    assert found == {("factor", firms[0].pk, "revenue"), ("value_added", firms[1].pk, "value_added")}

    services.land_sources.append((lambda ids: {firms[2].pk: 20.0}, 0.1))
    try:
        found = {(a["kind"], a["enterprise_id"]) for a in services.anomalies(collection)}
    finally:
        services.land_sources.pop()
    assert ("land", firms[2].pk) in found


def test_the_land_app_registers_the_parcel_areas():
    from mujun.land.panels import parcel_areas

    assert any(source is parcel_areas for source, _tolerance in services.land_sources)


def test_completeness_per_department_and_column(collection, tax_bureau, stats_bureau, tax_staff, firms, operator_wuxing):
    services.upload_workbook(collection, tax_bureau, tax_staff, tax_workbook(firms[:2] + firms[3:], 1, 2, 4), "t.csv")
    table = services.completeness(collection)
    assert table["total"] == 4
    tax_row = next(r for r in table["suppliers"] if r["supplier"] == tax_bureau)
    assert [(c["column"], c["count"]) for c in tax_row["columns"]] == [("tax", 3), ("revenue", 0)]
    # A county operator counts their county's enterprises only.
    county = services.completeness(collection, services.scope_region_ids(operator_wuxing, collection))
    assert county["total"] == 3
    assert next(r for r in county["suppliers"] if r["supplier"] == tax_bureau)["columns"][0]["count"] == 2


def test_only_the_departments_staff_deliver_and_see_its_deliveries(collection, tax_bureau, stats_bureau, tax_staff, stats_staff, firms, viewer):
    with pytest.raises(PermissionDenied):
        services.upload_workbook(collection, tax_bureau, stats_staff, tax_workbook(firms, 1), "t.csv")
    with pytest.raises(PermissionDenied):
        services.upload_workbook(collection, tax_bureau, viewer, tax_workbook(firms, 1), "t.csv")
    services.upload_workbook(collection, tax_bureau, tax_staff, tax_workbook(firms, 1), "t.csv")
    assert services.visible_uploads(stats_staff).count() == 0
    assert services.visible_uploads(tax_staff).count() == 1


def test_entered_figures_are_checked_like_a_workbook_row(collection, stats_bureau, stats_staff, firms):
    with pytest.raises(ImportFailed) as failure:
        services.enter_figures(collection, stats_bureau, stats_staff, firms[0].uscc, {"revenue": "abc", "land_mu": "-1"})
    assert {p.field for p in failure.value.problems} == {"revenue", "land_mu"}
    delivery = services.enter_figures(collection, stats_bureau, stats_staff, firms[0].uscc, {"revenue": "1200", "value_added": ""})
    assert delivery.upload.kind == "form" and delivery.upload.figures == 1


def test_overlapping_collections_cannot_be_open_together(collection, regions, operator_wuxing, city_admin):
    with pytest.raises(ValidationError):
        services.open_collection(regions.wuxing, 2024, operator_wuxing)
    with pytest.raises(PermissionDenied):
        services.open_collection(regions.nanxun, 2023, operator_wuxing)
    with pytest.raises(ValidationError):
        services.open_collection(regions.zhili, 2023, city_admin)  # a town: a county or the city only
    assert services.open_collection(regions.wuxing, 2023, operator_wuxing).opened_by == operator_wuxing


def test_figure_sources_for_the_run_snapshot(collection, tax_bureau, tax_staff, firms, city_admin, regions):
    import polars as pl

    delivery = services.upload_workbook(collection, tax_bureau, tax_staff, tax_workbook(firms, 110, 220), "t.csv")
    assert services.open_collection_problem(regions.wuxing, 2024) and not services.open_collection_problem(regions.wuxing, 2023)
    services.close_collection(collection, city_admin, confirm=True)
    assert services.open_collection_problem(regions.wuxing, 2024) is None
    EnterpriseYear.objects.filter(enterprise=firms[1], year=2024).update(tax=230)
    frame = pl.DataFrame({"enterprise_id": [f.pk for f in firms], "tax": [110.0, 230.0, 300.0, 400.0]})
    sources = services.add_figure_sources(frame, regions.city, 2024)["来源|tax"].to_list()
    assert sources[0] == delivery.upload.source_label and sources[0].startswith("国家税务总局湖州市税务局 · 报送#")
    assert sources[1].startswith("归集后修改") and sources[2] is None
