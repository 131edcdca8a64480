"""The yearly evaluation as the people involved walk it (issue 10, items 1 and 3): the tax bureau delivers
its workbook to the year's data collection; the city administrator closes the collection, runs the
evaluation from it, posts the finished run for public notice (公示) and prints the notice; 织里镇's staff
object to an enterprise's grade with a reason and evidence; the city administrator regrades it with a
written reason (a regrade without one is refused); once the window is over the run is published and the
changed grade carries its mark (复核调整) on the results, the enterprise's result and the enterprise page."""

import datetime as dt
import io
import random

import openpyxl
import pytest
from django.utils import timezone

from mujun.engine.uscc import make_uscc
from mujun.evaluation.tests.conftest import SCHEME_TOML

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def enterprises(regions, count: int = 30) -> None:
    """30 规上 firms with 2024 figures, half of them in 织里镇."""
    from mujun.enterprises.models import Enterprise, EnterpriseYear

    rng = random.Random(11)
    for i in range(count):
        region = regions.zhili if i % 2 else regions.wuxing
        firm = Enterprise.objects.create(
            uscc=make_uscc(f"91330502MA{i:07d}"), name=f"湖州测试{i:02d}纺织有限公司", region=region,
            above_scale=True, established_on=dt.date(2010, 1, 1),
        )  # fmt: skip
        land = round(rng.uniform(5, 80), 2)
        EnterpriseYear.objects.create(
            enterprise=firm, year=2024, above_scale=True, land_mu=land, tax=round(land * rng.uniform(2, 40), 2),
            value_added=round(land * rng.uniform(30, 200), 2), revenue=round(rng.uniform(2500, 90000), 1),
            energy_tce=round(rng.uniform(50, 5000), 1), employees=rng.randint(10, 800),
            electricity_10k_kwh=round(rng.uniform(10, 900), 1),
        )  # fmt: skip


def tax_workbook(path, firms) -> None:
    """The tax bureau's delivery in its own headers: a tax figure per credit code."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["纳税人识别号", "入库税收合计(万元)"])
    for firm, tax in firms:
        sheet.append([firm.uscc, tax])
    book.save(path)


def test_collect_evaluate_post_object_regrade_publish_and_see_the_mark(
    page, logged_in, screenshot, start_city_run, tmp_path, regions, django_user_model
):
    from mujun.collection.models import Collection, Supplier
    from mujun.collection.services import open_collection
    from mujun.enterprises.models import EnterpriseYear
    from mujun.evaluation.models import Objection, Run, Scheme

    admin = django_user_model.objects.create_user("cityadmin", password="pw-city-2026", role="city_admin")
    django_user_model.objects.create_user("zhili", password="pw-zhili-2026", role="county_operator", region=regions.zhili)
    tax_staff = django_user_model.objects.create_user("tax_staff", password="pw-tax-2026", role="data_supplier")
    enterprises(regions)
    tax_bureau = Supplier.objects.create(
        name="国家税务总局湖州市税务局", region=regions.city, columns=["tax"],
        aliases={"纳税人识别号": "uscc", "入库税收合计(万元)": "tax"},
    )  # fmt: skip
    tax_bureau.members.add(tax_staff)
    collection = open_collection(regions.city, 2024, admin)
    Scheme.objects.create(name="湖州市2024年度亩均效益评价", year=2024, toml=SCHEME_TOML)
    today = timezone.localdate()

    # The tax bureau delivers its workbook to the 2024 collection.
    years = list(EnterpriseYear.objects.filter(year=2024).select_related("enterprise").order_by("pk"))
    delivered = [(year.enterprise, round(year.tax * 1.05, 2)) for year in years]
    workbook = tmp_path / "税务局2024年度入库税收.xlsx"
    tax_workbook(workbook, delivered)
    logged_in("tax_staff", "pw-tax-2026", lands="/collection/")
    page.goto(page.base + collection.get_absolute_url())
    page.select_option("#upload-card select[name=supplier]", label=tax_bureau.name)
    page.set_input_files("#upload-card input[name=file]", str(workbook))
    with page.expect_navigation():
        page.click("#upload-submit")
    assert page.locator("#import-result").count() == 1
    screenshot(page, "cycle-00a-tax-delivered")

    # The city administrator closes the collection (its figures merge into the enterprises' years) ...
    page.context.clear_cookies()
    logged_in("cityadmin", "pw-city-2026")
    page.goto(page.base + f"/collection/{collection.pk}/close/")
    page.check("input[name=confirm]")
    with page.expect_navigation():
        page.click("#close-submit")
    assert Collection.objects.get(pk=collection.pk).status == "closed"
    first, tax = delivered[0]
    assert EnterpriseYear.objects.get(enterprise=first, year=2024).tax == pytest.approx(tax)
    screenshot(page, "cycle-00b-collection-closed")

    # ... and runs the evaluation from it.
    run = start_city_run()

    # The city administrator posts the run for a week, from yesterday.
    page.goto(page.base + run.get_absolute_url())
    page.fill("input[name=posting_starts_on]", (today - dt.timedelta(days=1)).isoformat())
    page.fill("input[name=posting_ends_on]", (today + dt.timedelta(days=5)).isoformat())
    page.once("dialog", lambda dialog: dialog.accept())  # "posting makes the results public": yes
    with page.expect_navigation():
        page.click("#posting-card button")
    assert "公示中" in page.inner_text("h1")
    assert (today + dt.timedelta(days=5)).isoformat() in page.inner_text("#posting-window")
    screenshot(page, "cycle-01-posted")

    # The notice as the county prints it.
    with page.expect_download() as download:
        page.click("#posting-export")
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "湖州市2024年度工业企业亩均效益综合评价结果公示"
    assert rows[1][:3] == ("企业名称", "统一社会信用代码", "评价等级")
    page.goto(page.base + f"/evaluation/runs/{run.pk}/posting/")
    assert page.locator("#posting-list tbody tr").count() == 30
    screenshot(page, "cycle-02-posted-list")

    # 织里镇's staff object to a C grade from the enterprise's result page, with evidence.
    target = run.results.filter(enterprise__region=regions.zhili, grade="C").select_related("enterprise").first()
    page.context.clear_cookies()
    logged_in("zhili", "pw-zhili-2026")
    page.goto(page.base + f"/evaluation/runs/{run.pk}/results/{target.enterprise_id}/")
    page.click("#file-objection")
    page.wait_for_url("**/objections/add/**")
    assert page.input_value("input[name=uscc]") == target.enterprise.uscc
    page.fill("textarea[name=reason]", "企业2024年下半年技改项目投产，亩均增加值明显提升，申请复核。")
    evidence = tmp_path / "技改验收报告.pdf"
    evidence.write_bytes(PDF)
    page.set_input_files("input[name=evidence]", str(evidence))
    with page.expect_navigation():
        page.click("#objection-form button[type=submit]")
    objection = Objection.objects.get()
    assert objection.filed_by.username == "zhili" and objection.filed_as == "town"
    assert "待复核" in page.inner_text("#objection-decision")
    screenshot(page, "cycle-03-objection-filed")

    # The city administrator decides: a regrade needs a reason, then it is taken.
    page.context.clear_cookies()
    logged_in("cityadmin", "pw-city-2026")
    page.goto(page.base + objection.get_absolute_url())
    page.check("input[name=decision][value=regraded]")
    page.select_option("select[name=grade]", "B")
    with page.expect_navigation():
        page.click("#decision-form button[type=submit]")
    assert "调整等级必须填写书面理由" in page.inner_text("#decision-form")
    screenshot(page, "cycle-04-regrade-without-reason-refused")
    page.check("input[name=decision][value=regraded]")
    page.select_option("select[name=grade]", "B")
    page.fill("textarea[name=reason]", "经实地核查，技改项目已投产且数据属实，经复核调整为B档。")
    with page.expect_navigation():
        page.click("#decision-form button[type=submit]")
    assert "C → B" in page.inner_text("#objection-decision")
    screenshot(page, "cycle-05-regraded")

    # Publishing while the window is open is refused, naming it.
    page.goto(page.base + run.get_absolute_url())
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("form[action$='/publish/'] button")
    assert "公示期为" in page.inner_text("body")
    run.refresh_from_db()
    assert run.status == Run.Status.POSTED

    # A week passes: the window is over.
    Run.objects.filter(pk=run.pk).update(
        posting_starts_on=today - dt.timedelta(days=8), posting_ends_on=today - dt.timedelta(days=2)
    )
    page.goto(page.base + run.get_absolute_url())
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("form[action$='/publish/'] button")
    run.refresh_from_db()
    assert run.status == Run.Status.PUBLISHED
    assert "复核调整" in page.inner_text("#changed-on-review")
    screenshot(page, "cycle-06-published")

    # The mark on the results, the enterprise's result and the enterprise page.
    page.goto(page.base + f"/evaluation/runs/{run.pk}/results/?grade=B")
    marks = page.locator("table tbody .review-mark")
    assert marks.count() == 1 and marks.first.inner_text() == "复核调整"
    screenshot(page, "cycle-07-results-mark")
    page.goto(page.base + f"/evaluation/runs/{run.pk}/results/{target.enterprise_id}/")
    assert "复核调整" in page.inner_text("#result-grade")
    page.goto(page.base + target.enterprise.get_absolute_url())
    assert "复核调整" in page.inner_text("#enterprise-evaluation")
    screenshot(page, "cycle-08-enterprise-mark")
