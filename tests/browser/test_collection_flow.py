"""Data collection in the browser: the statistics bureau's staff upload their workbook (a refused one first,
then a good one), and the city's operator sees the completeness per department and column and the conflict
with the tax bureau's revenue, and resolves it."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def collection_setup(regions, make_enterprise, django_user_model):
    from mujun.collection import services
    from mujun.collection.models import Supplier
    from mujun.enterprises.models import EnterpriseYear

    admin = django_user_model.objects.create_user("cityadmin", password="pw-city-2026", role="city_admin", region=regions.city)
    stats_staff = django_user_model.objects.create_user("data_stats", password="pw-stats-2026", role="data_supplier", first_name="姚静")
    tax_staff = django_user_model.objects.create_user("data_tax", role="data_supplier")
    firms = []
    for n in range(1, 5):
        firm = make_enterprise(n, region=regions.zhili, name=f"湖州测试企业{n}有限公司")
        EnterpriseYear.objects.create(enterprise=firm, year=2024, land_mu=20, revenue=1000 * n, value_added=200 * n)
        firms.append(firm)
    tax = Supplier.objects.create(name="国家税务总局湖州市税务局", region=regions.city, columns=["tax", "revenue"],
                                  aliases={"纳税人识别号": "uscc", "开票销售收入(万元)": "revenue"})  # fmt: skip
    tax.members.add(tax_staff)
    stats = Supplier.objects.create(name="湖州市统计局", region=regions.city, columns=["revenue", "value_added"],
                                    aliases={"单位名称": "name"}, priorities={"revenue": 10})  # fmt: skip
    stats.members.add(stats_staff)
    collection = services.open_collection(regions.city, 2024, admin)
    workbook = "纳税人识别号,开票销售收入(万元)\n" + "".join(f"{f.uscc},{1000 * n}\n" for n, f in enumerate(firms, 1))
    services.upload_workbook(collection, tax, tax_staff, workbook.replace(",2000", ",2600").encode(), "税务.csv")
    return collection, firms


def test_a_department_uploads_and_the_operator_sees_completeness_and_the_conflict(page, logged_in, screenshot, collection_setup, tmp_path):
    collection, firms = collection_setup
    bad = tmp_path / "统计局2024年度数据.csv"
    bad.write_text("统一社会信用代码,单位名称,营业收入(万元),用电量(万千瓦时)\n" + f"{firms[0].uscc},x,1000,5\n", encoding="utf-8")
    good = tmp_path / "统计局2024年度数据（更正）.csv"
    good.write_text(
        "统一社会信用代码,单位名称,营业收入(万元),工业增加值(万元)\n"
        + "".join(f"{f.uscc},{f.name},{1000 * n},{200 * n}\n" for n, f in enumerate(firms[:3], 1)),
        encoding="utf-8",
    )

    logged_in("data_stats", "pw-stats-2026", lands="/collection/")  # department staff land on the collections
    page.click(f"text={collection}")
    page.set_input_files("input[name=file]", str(bad))
    with page.expect_navigation():
        page.click("#upload-submit")  # the workbook is imported in the background, on its own page
    problems = page.locator("#import-problems")
    assert "用电量(万千瓦时)" in problems.inner_text() and "不在湖州市统计局的报送范围内" in problems.inner_text()
    screenshot(page, "collection-01-refused-workbook")

    with page.expect_navigation():
        page.click("text=导入另一个文件")  # back to the collection, which lists the user's deliveries
    assert page.locator("#import-jobs").count() == 1
    assert page.locator("#conflicts").count() == 0  # a department sees its own part only
    page.set_input_files("input[name=file]", str(good))
    with page.expect_navigation():
        page.click("#upload-submit")
    result = page.locator("#import-result")
    assert "湖州市统计局 第1版" in result.inner_text() and "湖州市统计局报送" in page.locator("h1").inner_text()
    screenshot(page, "collection-02-stored-workbook")
    page.context.clear_cookies()

    logged_in("cityadmin", "pw-city-2026")
    page.goto(page.base + collection.get_absolute_url())
    stats_revenue = page.locator("#completeness td[data-column=revenue]").nth(1)
    assert stats_revenue.inner_text().strip() == "3 / 4"
    conflicts = page.locator("#conflicts .conflict-row")
    assert conflicts.count() == 1 and "湖州测试企业2有限公司" in conflicts.inner_text() and "部门数据不一致" in conflicts.inner_text()
    screenshot(page, "collection-03-operator-completeness-and-conflict")
    conflicts.locator("a").click()
    page.click("#resolve button:has-text('采用 2000')")
    assert "已裁定" in page.locator("#conflicts").inner_text()
    screenshot(page, "collection-04-conflict-resolved")
