"""The enterprise export carries each enterprise's years with their figures and the published grade of each
year (the column evaluation registers on the export); a draft's grade never leaves the platform."""

import io

import openpyxl
from django.urls import reverse

from mujun.enterprises.models import EnterpriseYear
from mujun.evaluation.models import Result, Run, Scheme


def test_the_export_has_a_row_per_enterprise_year_with_figures_and_published_grade(
    regions, city_admin, viewer, client_as, make_enterprise
):
    firm = make_enterprise(1, name="湖州丝绸有限公司")
    scheme = Scheme.objects.create(name="方案", year=2024, toml="")
    for year, tax in ((2024, 1000), (2025, 1200)):
        EnterpriseYear.objects.create(enterprise=firm, year=year, land_mu=50, tax=tax)
    for year, grade, status in ((2024, "A", Run.Status.PUBLISHED), (2025, "D", Run.Status.DONE)):
        run = Run.objects.create(name=f"湖州市{year}", scheme=scheme, year=year, region=regions.city, status=status)
        Result.objects.create(run=run, enterprise=firm, region=regions.wuxing, status="evaluated", grade=grade)

    response = client_as(viewer).get(reverse("enterprises:enterprise_export"))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book["年度数据"].iter_rows(values_only=True))
    header = rows[0]
    by_year = {row[header.index("年度")]: dict(zip(header, row)) for row in rows[1:]}
    assert sorted(by_year) == [2024, 2025]
    assert by_year[2024]["统一社会信用代码"] == firm.uscc and by_year[2024]["综合评价等级"] == "A"
    assert by_year[2025]["综合评价等级"] is None  # the 2025 run is a draft
    tax = next(name for name in header if name.startswith("税收") or "税" in name)
    assert (by_year[2024][tax], by_year[2025][tax]) == (1000, 1200)
