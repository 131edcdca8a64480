import io

import pytest

from mujun.collection import services
from mujun.collection.models import Collection, Conflict, Supplier, Upload
from mujun.collection.tests.conftest import csv
from mujun.core.exports import workbook_bytes
from mujun.core.models import ImportJob
from mujun.core.services import execute_import

import polars as pl

pytestmark = pytest.mark.django_db


def upload(client, collection, supplier, content: bytes, name: str):
    """The upload's answer after its redirect: the import's page, or the form again."""
    return client.post(
        f"/collection/{collection.pk}/upload/", {"supplier": supplier.pk, "file": _file(content, name)}, follow=True
    )


def _file(content, name):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def test_a_department_uploads_an_excel_workbook_and_sees_what_was_stored(client_as, collection, tax_bureau, tax_staff, firms, uscc):
    sheet = pl.DataFrame({"纳税人识别号": [firms[0].uscc, uscc(777)], "入库税收合计(万元)": [12.5, 3.0]})
    client = client_as(tax_staff)
    response = upload(client, collection, tax_bureau, workbook_bytes({"税收": sheet}), "税收.xlsx")
    job = response.context["job"]
    assert response.redirect_chain == [(job.get_absolute_url(), 302)]  # a background import, on its own page
    page = response.content.decode()
    assert job.status == "done" and 'id="import-result"' in page and "国家税务总局湖州市税务局 第1版" in page
    assert job.counts["国家税务总局湖州市税务局 第1版"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert 'id="import-skipped"' in page and "该行数据未入库" in page and uscc(777) in page  # the unknown code, said plainly
    assert job.problem_rows[0][:3] == [3, "纳税人识别号", "uscc"]
    assert job.get_absolute_url() in client.get(collection.get_absolute_url()).content.decode()  # the user's deliveries
    stored = Upload.objects.get()
    assert stored.figures == 1 and stored.original_name == "税收.xlsx"
    download = client_as(tax_staff).get(f"/collection/uploads/{stored.pk}/file/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_a_refused_workbook_lists_every_problem_in_chinese(client_as, collection, tax_bureau, tax_staff, firms):
    content = csv("纳税人识别号,入库税收合计(万元),用电量(万千瓦时)", f"{firms[0].uscc},1,2")
    response = upload(client_as(tax_staff), collection, tax_bureau, content, "t.csv")
    page = response.content.decode()
    assert response.context["job"].status == "failed"
    assert 'id="import-problems"' in page and "不在国家税务总局湖州市税务局的报送范围内" in page and "用电量(万千瓦时)" in page
    assert not Upload.objects.exists()


def test_a_closed_collection_refuses_the_upload_at_once(client_as, collection, tax_bureau, tax_staff, firms, city_admin):
    services.close_collection(collection, city_admin, confirm=True)
    response = upload(client_as(tax_staff), collection, tax_bureau, csv("纳税人识别号,入库税收合计(万元)", f"{firms[0].uscc},1"), "t.csv")
    assert response.redirect_chain == [] and "不再接收报送" in response.content.decode()
    assert not ImportJob.objects.exists() and not Upload.objects.exists()


def test_a_delivery_queued_before_the_collection_closed_is_refused_whole(collection, tax_bureau, tax_staff, firms, city_admin, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # queued, not run
    job = services.start_delivery(collection, tax_bureau, tax_staff, csv("纳税人识别号,入库税收合计(万元)", f"{firms[0].uscc},1"), "t.csv")
    services.close_collection(collection, city_admin, confirm=True)
    execute_import(ImportJob.objects.get(pk=job.pk))
    job.refresh_from_db()
    assert job.status == "failed" and "不再接收报送" in job.problem_rows[0][3] and not Upload.objects.exists()


def test_a_department_sees_only_its_own_deliveries(client_as, collection, tax_bureau, stats_bureau, tax_staff, stats_staff, firms):
    services.upload_workbook(collection, tax_bureau, tax_staff, csv("纳税人识别号,入库税收合计(万元)", f"{firms[0].uscc},1"), "t.csv")
    tax_upload = Upload.objects.get()
    stats = client_as(stats_staff)
    assert stats.get(f"/collection/uploads/{tax_upload.pk}/").status_code == 404
    own_page = client_as(tax_staff).get(f"/collection/uploads/{tax_upload.pk}/")
    assert own_page.status_code == 200 and "实缴税金(万元)" in own_page.content.decode()
    assert stats.get(f"/collection/uploads/{tax_upload.pk}/file/").status_code == 404
    page = stats.get(collection.get_absolute_url()).content.decode()
    assert "国家税务总局湖州市税务局 第1版" not in page and 'id="conflicts"' not in page
    assert upload(stats, collection, tax_bureau, csv("纳税人识别号,入库税收合计(万元)", f"{firms[0].uscc},1"), "t.csv").status_code == 200
    assert Upload.objects.count() == 1  # the statistics bureau cannot deliver for the tax bureau
    assert stats.get("/api/collection-uploads/").json()["count"] == 0
    assert client_as(tax_staff).get("/api/collection-uploads/").json()["count"] == 1


def test_the_operator_sees_completeness_and_resolves_a_conflict(client_as, collection, tax_bureau, stats_bureau, tax_staff, stats_staff, firms, city_admin):
    services.upload_workbook(collection, tax_bureau, tax_staff, csv("纳税人识别号,营业收入(万元)", f"{firms[0].uscc},1000"), "t.csv")
    services.upload_workbook(collection, stats_bureau, stats_staff, csv("统一社会信用代码,营业收入(万元)", f"{firms[0].uscc},1400"), "s.csv")
    admin = client_as(city_admin)
    page = admin.get(collection.get_absolute_url()).content.decode()
    assert 'id="completeness"' in page and "1 / 4" in page and "部门数据不一致" in page
    conflict = Conflict.objects.get()
    response = admin.post(conflict.get_absolute_url(), {"value": "1400", "note": "以统计为准"})
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == "resolved" and conflict.value == 1400


def test_a_county_operator_sees_only_their_countys_enterprises(client_as, collection, tax_bureau, stats_bureau, tax_staff, stats_staff, firms, operator_nanxun):
    services.upload_workbook(collection, tax_bureau, tax_staff, csv("纳税人识别号,营业收入(万元)", f"{firms[0].uscc},1000"), "t.csv")
    services.upload_workbook(collection, stats_bureau, stats_staff, csv("统一社会信用代码,营业收入(万元)", f"{firms[0].uscc},1400"), "s.csv")
    nanxun = client_as(operator_nanxun)
    page = nanxun.get(collection.get_absolute_url()).content.decode()
    assert "0 / 1" in page and firms[0].name not in page  # 南浔区 has one enterprise; the conflict is 吴兴区's
    conflict = Conflict.objects.get()
    assert nanxun.get(conflict.get_absolute_url()).status_code == 403
    assert nanxun.get("/api/collection-conflicts/").json()["count"] == 0
    # Nor may they close the city's collection.
    assert nanxun.post(f"/collection/{collection.pk}/close/", {"confirm": "on"}).status_code == 403
    assert Collection.objects.get().status == "open"


def test_closing_through_the_page_and_the_api(client_as, collection, city_admin, regions, operator_wuxing):
    admin = client_as(city_admin)
    assert admin.post(f"/collection/{collection.pk}/close/", {}).status_code == 200  # not confirmed: the form again
    assert Collection.objects.get(pk=collection.pk).status == "open"
    response = admin.post(f"/collection/{collection.pk}/close/", {"confirm": "on"})
    assert response.status_code == 302
    assert Collection.objects.get(pk=collection.pk).status == "closed"
    api = client_as(operator_wuxing)
    opened = api.post("/api/collections/", {"year": 2023, "region": regions.wuxing.pk, "anomaly_factor": 4})
    assert opened.status_code == 201, opened.content
    assert api.post(f"/api/collections/{opened.json()['id']}/close/", {"confirm": False}, content_type="application/json").status_code == 400
    closed = api.post(f"/api/collections/{opened.json()['id']}/close/", {"confirm": True}, content_type="application/json")
    assert closed.status_code == 200 and Collection.objects.get(pk=opened.json()["id"]).status == "closed"


def test_the_api_refuses_a_bad_delivery_with_every_problem(client_as, collection, tax_bureau, tax_staff, stats_staff, city_admin, firms):
    api = client_as(tax_staff)
    response = api.post("/api/collection-uploads/", {
        "collection": collection.pk, "supplier": tax_bureau.pk,
        "file": _file(csv("纳税人识别号,入库税收合计(万元)", f"{firms[0].uscc},abc"), "t.csv"),
    })  # fmt: skip
    refused = response.json()
    assert response.status_code == 202 and refused["status"] == "failed"
    assert "第2行 入库税收合计(万元)：不是数字" in refused["problems"][0] and not Upload.objects.exists()
    assert api.get(response["Location"]).json() == refused  # the import, to follow while it runs
    assert response["Location"].endswith(f"/api/imports/{refused['id']}/") and refused["page"].endswith(f"/imports/{refused['id']}/")
    ok = api.post("/api/collection-uploads/", {
        "collection": collection.pk, "supplier": tax_bureau.pk,
        "file": _file(csv("纳税人识别号,入库税收合计(万元)", f"{firms[0].uscc},5"), "t.csv"),
    })  # fmt: skip
    assert ok.status_code == 202 and ok.json()["status"] == "done" and ok.json()["rows_total"] == 1
    assert Upload.objects.get().figures == 1
    assert client_as(city_admin).get(ok["Location"]).status_code == 200  # a city administrator sees every import
    assert client_as(stats_staff).get(ok["Location"]).status_code == 404  # nobody else sees another's
    assert client_as(stats_staff).get("/api/imports/").json()["count"] == 0


def test_supplier_pages_and_their_rules(client_as, city_admin, regions, tax_bureau, tax_staff):
    admin = client_as(city_admin)
    assert admin.get("/collection/suppliers/").status_code == 200
    assert "纳税人识别号" in admin.get(tax_bureau.get_absolute_url()).content.decode()
    response = admin.post("/collection/suppliers/add/", {
        "name": "湖州市水务集团", "region": regions.city.pk, "columns": ["water_t"],
        "aliases": "户号信用代码 = uscc\n用水量 = tax", "priorities": "", "members": [tax_staff.pk],
    })  # fmt: skip
    assert response.status_code == 200 and "不在报送范围内" in response.content.decode()
    response = admin.post("/collection/suppliers/add/", {
        "name": "湖州市水务集团", "region": regions.city.pk, "columns": ["water_t"],
        "aliases": "户号信用代码 = uscc\n用水量 = water_t", "priorities": "water_t = 5", "members": [tax_staff.pk],
    })  # fmt: skip
    assert response.status_code == 302
    water = Supplier.objects.get(name="湖州市水务集团")
    assert water.aliases == {"户号信用代码": "uscc", "用水量": "water_t"} and water.priorities == {"water_t": 5}
    api = client_as(city_admin).post(
        "/api/collection-suppliers/", {"name": "x", "region": regions.city.pk, "columns": ["nonsense"]}, content_type="application/json"
    )
    assert api.status_code == 400 and "columns" in api.json()


def test_data_staff_land_on_the_collections(client, tax_staff, regions):
    client.post("/accounts/login/", {"username": "tax_staff", "password": "pw-tax_staff"})
    assert client.get("/accounts/landing/").url == "/collection/"


def test_list_open_and_home_card(client_as, regions, operator_wuxing, city_admin, firms):
    operator = client_as(operator_wuxing)
    assert operator.get("/collection/add/").status_code == 200
    response = operator.post("/collection/add/", {"region": regions.wuxing.pk, "year": 2024, "anomaly_factor": 3})
    opened = Collection.objects.get()
    assert response.status_code == 302 and opened.region == regions.wuxing and opened.opened_by == operator_wuxing
    # 南浔区 is not theirs to open.
    assert operator.post("/collection/add/", {"region": regions.nanxun.pk, "year": 2024, "anomaly_factor": 3}).status_code == 200
    assert Collection.objects.count() == 1
    page = operator.get("/collection/").content.decode()
    assert "吴兴区2024年度数据归集" in page
    assert 'id="dash-collections"' in operator.get("/").content.decode()
    assert client_as(operator_wuxing).get(opened.get_absolute_url()).status_code == 200


def test_figures_entered_on_the_form(client_as, collection, stats_bureau, stats_staff, firms, uscc):
    staff = client_as(stats_staff)
    url = f"/collection/{collection.pk}/entry/?supplier={stats_bureau.pk}"
    assert "工业增加值(万元)" in staff.get(url).content.decode()
    bad = staff.post(url, {"supplier": stats_bureau.pk, "uscc": firms[0].uscc, "revenue": "很多"})
    assert "不是数字" in bad.content.decode() and not Upload.objects.exists()
    unknown = staff.post(url, {"supplier": stats_bureau.pk, "uscc": uscc(555), "revenue": "10"})
    assert f"本次归集中没有统一社会信用代码为{uscc(555)}的企业" in unknown.content.decode() and not Upload.objects.exists()
    good = staff.post(url, {"supplier": stats_bureau.pk, "uscc": firms[0].uscc, "revenue": "1234"})
    assert good.status_code == 302
    assert Upload.objects.get().kind == "form" and Upload.objects.get().figures == 1


def test_the_enterprise_page_shows_each_delivered_figure_with_its_source(client_as, collection, tax_bureau, tax_staff, stats_staff, firms, viewer):
    delivery = services.upload_workbook(collection, tax_bureau, tax_staff, csv("纳税人识别号,入库税收合计(万元)", f"{firms[0].uscc},77.5"), "t.csv")
    page = client_as(viewer).get(firms[0].get_absolute_url()).content.decode()
    assert 'id="enterprise-collected-figures"' in page and "77.5" in page and delivery.upload.source_label in page
    # Another department's staff do not see the tax bureau's figures.
    assert 'id="enterprise-collected-figures"' not in client_as(stats_staff).get(firms[0].get_absolute_url()).content.decode()
