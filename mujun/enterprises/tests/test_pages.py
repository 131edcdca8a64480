"""Enterprise pages: list with filters, detail with yearly figures and history, scoped editing, export."""

import io

import openpyxl
import pytest
from django.urls import reverse

from mujun.engine.io import INPUT_COLUMNS
from mujun.enterprises.models import YEAR_FIGURES, YEAR_RATIOS, Enterprise, EnterpriseYear


@pytest.fixture
def enterprises(regions, make_enterprise):
    return [
        make_enterprise(1, name="湖州丝绸有限公司", above_scale=True, land_mu=50, industry_code="1751"),
        make_enterprise(2, name="织里童装有限公司", region=regions.zhili, land_mu=8, industry_code="1811"),
        make_enterprise(3, name="南浔木业有限公司", region=regions.nanxun, above_scale=True, land_mu=20, industry_code="2021"),
    ]


def listed(client, **params) -> set[str]:
    response = client.get(reverse("enterprises:enterprise_list"), params)
    assert response.status_code == 200
    return {row.record.name for row in response.context["table"].page.object_list}


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({}, {"湖州丝绸有限公司", "织里童装有限公司", "南浔木业有限公司"}),
        ({"q": "童装"}, {"织里童装有限公司"}),
        ({"q": "91330500MA0000003"}, {"南浔木业有限公司"}),
        ({"above_scale": "true"}, {"湖州丝绸有限公司", "南浔木业有限公司"}),
        ({"industry": "17"}, {"湖州丝绸有限公司"}),
        ({"land_mu_min": "10", "land_mu_max": "30"}, {"南浔木业有限公司"}),
    ],
)
def test_list_filters(client_as, viewer, enterprises, params, names):
    assert listed(client_as(viewer), **params) == names


def test_region_filter_includes_towns(client_as, viewer, regions, enterprises):
    assert listed(client_as(viewer), region=regions.wuxing.pk) == {"湖州丝绸有限公司", "织里童装有限公司"}


def test_list_links_names_to_details(client_as, viewer, enterprises):
    page = client_as(viewer).get(reverse("enterprises:enterprise_list")).content.decode()
    assert f'href="{enterprises[0].get_absolute_url()}"' in page


def test_detail_shows_yearly_figures_with_tax_per_mu(client_as, viewer, enterprises):
    EnterpriseYear.objects.create(enterprise=enterprises[0], year=2023, land_mu=50, tax=1200, value_added=8000)
    response = client_as(viewer).get(enterprises[0].get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "<td>24.00</td>" in page  # 1200 / 50
    assert "<td>160.00</td>" in page  # 8000 / 50
    assert reverse("regions:region_detail", args=[enterprises[0].region_id]) in page
    assert reverse("enterprises:enterprise_edit", args=[enterprises[0].pk]) not in page  # a viewer


def test_yearly_figures_table_has_each_declared_figure_and_ratio_once_in_chinese(client_as, viewer, enterprises):
    EnterpriseYear.objects.create(enterprise=enterprises[0], year=2023, land_mu=50, tax=1200, employees=40)
    page = client_as(viewer).get(enterprises[0].get_absolute_url()).content.decode()
    table = page.split('id="years"')[1].split("</thead>")[0]
    headers = [INPUT_COLUMNS[name] for name in YEAR_FIGURES] + ["亩均税收", "全员劳动生产率", "单位电耗税收"]
    assert "employees" in YEAR_FIGURES and "bonus" in YEAR_FIGURES  # figures the hand-written table left out
    for header in headers:
        assert table.count(f">{header}</th>") == 1, header
    assert table.count("<th class=\"year-figure\">") == len(YEAR_FIGURES) + len(YEAR_RATIOS)  # and no other column
    row = page.split('id="years"')[1].split("</tbody>")[0]
    assert "<td>24.00</td>" in row and "<td>40.00</td>" in row and "<td>是</td>" not in row  # tax/mu, employees


def test_operator_edits_own_county_and_history_shows_who_and_what(client_as, operator_wuxing, enterprises, regions):
    client = client_as(operator_wuxing)
    silk = enterprises[0]
    url = reverse("enterprises:enterprise_edit", args=[silk.pk])
    assert client.get(url).status_code == 200
    data = {"uscc": silk.uscc, "name": "湖州真丝有限公司", "region": regions.zhili.pk, "above_scale": "on", "land_mu": "55"}
    response = client.post(url, data)
    assert response.status_code == 302

    silk.refresh_from_db()
    assert (silk.name, silk.region, silk.land_mu) == ("湖州真丝有限公司", regions.zhili, 55)
    record = silk.history.first()
    assert record.history_user == operator_wuxing
    page = client.get(silk.get_absolute_url()).content.decode()
    assert "湖州丝绸有限公司 → 湖州真丝有限公司" in page
    assert "50.0 → 55.0" in page and "operator_wuxing" in page


def test_operator_cannot_edit_another_county(client_as, operator_wuxing, enterprises, regions):
    client = client_as(operator_wuxing)
    timber = enterprises[2]
    url = reverse("enterprises:enterprise_edit", args=[timber.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"uscc": timber.uscc, "name": "x", "region": regions.wuxing.pk, "land_mu": 1}).status_code == 403
    assert client.get(reverse("enterprises:enterpriseyear_add", args=[timber.pk])).status_code == 403
    timber.refresh_from_db()
    assert timber.name == "南浔木业有限公司"


def test_operator_cannot_move_an_enterprise_to_another_county(client_as, operator_wuxing, enterprises, regions):
    silk = enterprises[0]
    data = {"uscc": silk.uscc, "name": silk.name, "region": regions.nanxun.pk, "land_mu": "50"}
    response = client_as(operator_wuxing).post(reverse("enterprises:enterprise_edit", args=[silk.pk]), data)
    assert response.status_code == 200 and response.context["form"].errors["region"]
    silk.refresh_from_db()
    assert silk.region == regions.wuxing


def test_viewer_cannot_edit_or_add(client_as, viewer, enterprises):
    client = client_as(viewer)
    assert client.get(reverse("enterprises:enterprise_edit", args=[enterprises[0].pk])).status_code == 403
    assert client.get(reverse("enterprises:enterprise_add")).status_code == 403


def test_add_enterprise_checks_the_credit_code(client_as, city_admin, regions):
    data = {"uscc": "91330500MA0000001X", "name": "新企业", "region": regions.wuxing.pk, "land_mu": "3"}
    response = client_as(city_admin).post(reverse("enterprises:enterprise_add"), data)
    assert "校验位错误" in str(response.context["form"].errors["uscc"])
    assert not Enterprise.objects.exists()


def test_add_and_edit_yearly_figures_leave_history(client_as, city_admin, enterprises):
    client = client_as(city_admin)
    silk = enterprises[0]
    data = {"year": 2023, "land_mu": 50, "tax": 1000, "coefficient": 1, "bonus": 0}
    assert client.post(reverse("enterprises:enterpriseyear_add", args=[silk.pk]), data).status_code == 302
    figures = EnterpriseYear.objects.get(enterprise=silk, year=2023)
    response = client.post(reverse("enterprises:enterpriseyear_edit", args=[figures.pk]), {**data, "tax": 1100})
    assert response.status_code == 302

    again = client.post(reverse("enterprises:enterpriseyear_add", args=[silk.pk]), data)
    assert "该企业已有2023年度数据" in str(again.context["form"].errors["year"])
    page = client.get(silk.get_absolute_url()).content.decode()
    assert "1000.0 → 1100.0" in page and f"{silk} 2023" in page


def test_export_rows_match_the_filtered_list(client_as, viewer, regions, enterprises):
    client = client_as(viewer)
    params = {"region": regions.wuxing.pk}
    response = client.get(reverse("enterprises:enterprise_export"), params)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("统一社会信用代码", "企业名称", "所属区域")
    assert {row[1] for row in rows[1:]} == listed(client, **params)
    silk = next(row for row in rows if row[1] == "湖州丝绸有限公司")
    assert silk[2:7] == ("吴兴区", "330502", "1751", "是", 50)
