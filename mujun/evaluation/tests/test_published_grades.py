"""Published means frozen, drafts say so: outside its own run page only a published run counts (one grade per
year, from the latest published run, linking to the enterprise's own result), and a draft is seen only by its
author and city administrators, marked 未发布; the D list says why each firm is on it."""

import re

import pytest
from django.urls import reverse

from mujun.evaluation.grades import latest_published_grades, published_grades
from mujun.evaluation.models import Result, Run, Scheme
from mujun.evaluation.services import start_run
from mujun.evaluation.tests.conftest import SCHEME_TOML, YEAR, publish_directly, workbook_rows
from mujun.land.models import Parcel
from mujun.projects.models import Project

DRAFT_REFUSED = "该评价批次尚未发布"


@pytest.fixture
def years(regions, city_admin, operator_wuxing, make_enterprise):
    """An enterprise graded in two published 2024 runs (city-wide B, then 吴兴区 A: the later one counts) and
    in a 2025 draft (D) by operator_wuxing; a project and a parcel of it."""
    scheme = Scheme.objects.create(name="方案", year=2024, toml=SCHEME_TOML)
    firm = make_enterprise(1, name="湖州丝绸有限公司")

    def run(name, year, region, grade, author):
        made = Run.objects.create(
            name=name, scheme=scheme, year=year, region=region, status=Run.Status.DONE, created_by=author
        )
        Result.objects.create(run=made, enterprise=firm, region=regions.wuxing, status="evaluated", grade=grade)
        return made

    city = publish_directly(run("湖州市2024年度评价", 2024, regions.city, "B", city_admin), city_admin)
    county = publish_directly(run("吴兴区2024年度评价", 2024, regions.wuxing, "A", operator_wuxing), city_admin)
    draft = run("吴兴区2025年度评价", 2025, regions.wuxing, "D", operator_wuxing)
    project = Project.objects.create(
        code="P1", name="丝绸项目", enterprise=firm, region=regions.wuxing, total_investment=1000
    )
    parcel = Parcel.objects.create(code="D1", region=regions.wuxing, holder=firm, area_mu=20)
    return {"firm": firm, "city": city, "county": county, "draft": draft, "project": project, "parcel": parcel}


def result_url(run, firm) -> str:
    return reverse("evaluation:result_detail", args=[run.pk, firm.pk])


def test_one_published_grade_per_year_from_the_latest_published_run(years):
    firm = years["firm"]
    [grade] = published_grades([firm.pk])[firm.pk]
    assert (grade.year, grade.grade, grade.run) == (2024, "A", years["county"])
    assert grade.url == result_url(years["county"], firm)
    assert latest_published_grades() == {firm.pk: "A"}  # what classifies the land: never the draft


def test_enterprise_page_shows_the_published_grade_once_and_never_the_draft(client_as, viewer, years):
    firm = years["firm"]
    page = client_as(viewer).get(firm.get_absolute_url()).content.decode()
    assert page.count(result_url(years["county"], firm)) == 1
    assert result_url(years["city"], firm) not in page
    assert result_url(years["draft"], firm) not in page and years["draft"].name not in page


@pytest.mark.parametrize("page", ["project", "parcel", "popup"])
def test_project_parcel_and_map_show_the_published_grade_once(client_as, viewer, years, page):
    firm = years["firm"]
    url = {
        "project": years["project"].get_absolute_url(),
        "parcel": years["parcel"].get_absolute_url(),
        "popup": reverse("land:parcel_popup", args=[years["parcel"].pk]),
    }[page]
    html = client_as(viewer).get(url).content.decode()
    links = re.findall(r'class="[^"]*(?:project|parcel)-grade" href="([^"]+)"[^>]*>([^<]*)', html)
    assert [href for href, _ in links] == [result_url(years["county"], firm)]
    assert links[0][1].startswith("2024")
    assert result_url(years["draft"], firm) not in html


def test_the_result_page_of_a_published_grade(client_as, viewer, years):
    firm = years["firm"]
    page = client_as(viewer).get(result_url(years["county"], firm))
    assert page.status_code == 200
    html = page.content.decode()
    assert firm.get_absolute_url() in html and "未发布" not in html


def test_drafts_are_listed_only_to_their_author_and_city_administrators(
    client_as, viewer, operator_wuxing, operator_nanxun, city_admin, years
):
    draft = years["draft"]
    run_list = reverse("evaluation:run_list")
    for reader in (viewer, operator_nanxun):
        page = client_as(reader).get(run_list).content.decode()
        assert draft.get_absolute_url() not in page and years["county"].get_absolute_url() in page
        assert client_as(reader).get("/api/evaluation/runs/").json()["count"] == 2
        results = client_as(reader).get("/api/evaluation/results/", {"q": years["firm"].uscc}).json()
        assert {r["run"] for r in results["results"]} == {years["city"].pk, years["county"].pk}
    for reader in (operator_wuxing, city_admin):
        page = client_as(reader).get(run_list).content.decode()
        assert draft.get_absolute_url() in page
        row = next(line for line in page.split("<tr") if draft.get_absolute_url() in line)
        assert "未发布" in row
        assert "未发布" in client_as(reader).get(draft.get_absolute_url()).content.decode()


def test_a_viewer_gets_403_on_every_page_and_file_of_a_draft(client_as, viewer, operator_wuxing, years):
    draft, firm = years["draft"], years["firm"]
    urls = [
        draft.get_absolute_url(),
        reverse("evaluation:run_results", args=[draft.pk]),
        reverse("evaluation:run_export", args=[draft.pk]),
        reverse("evaluation:run_policies", args=[draft.pk]),
        reverse("evaluation:run_policy_export", args=[draft.pk, "D"]),
        reverse("evaluation:run_snapshot", args=[draft.pk]),
        reverse("evaluation:run_progress", args=[draft.pk]),
        result_url(draft, firm),
    ]
    for url in urls:
        response = client_as(viewer).get(url)
        assert response.status_code == 403, url
        assert DRAFT_REFUSED in response.content.decode(), url
    assert client_as(operator_wuxing).get(draft.get_absolute_url()).status_code == 200


@pytest.fixture
def violating_run(city_admin, regions, scheme, county_data, make_enterprises):
    """The city-wide draft run, with one above-scale firm forced to D by a major violation."""
    make_enterprises(regions.nanxun, 1, first=501, major_violation=True, tax=10_000)
    run = Run.objects.create(name="湖州市2024", scheme=scheme, year=YEAR, region=regions.city, created_by=city_admin)
    start_run(run, city_admin)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.message
    return run


def test_the_d_list_says_why_each_firm_is_on_it(client_as, viewer, city_admin, violating_run):
    url = reverse("evaluation:run_policy_export", args=[violating_run.pk, "D"])
    refused = client_as(viewer).get(url)
    assert refused.status_code == 403 and DRAFT_REFUSED in refused.content.decode()

    header, *rows = workbook_rows(client_as(city_admin).get(url))
    reasons = {row[header.index("统一社会信用代码")]: row[header.index("定为D档原因")] for row in rows}
    violator = violating_run.results.get(enterprise__name__endswith="测试企业501").enterprise.uscc
    assert reasons.pop(violator) == "重大违法违规，直接定为D档"
    assert reasons and set(reasons.values()) <= {"综合评价排名靠后，定为D档", "综合评价得分低于C档分数线，定为D档"}
