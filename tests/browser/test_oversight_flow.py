"""Oversight in the browser: a judge scores on a phone, the round closes and its scoreboard ranks the
projects, an enterprise problem goes round the loop from submitted to confirmed."""

import datetime as dt

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_round(regions):
    from mujun.inspections.models import Criterion, Nomination, Round

    round_ = Round.objects.create(
        name="2026年第4季度互看互学互比", year=2026, quarter=4, status=Round.Status.OPEN, visit_date=dt.date(2026, 11, 20),
        route="07:00 市行政中心出发 → 吴兴区 → 南浔区 → 19:30 返回",
    )  # fmt: skip
    for order, (name, weight) in enumerate([("投资规模与强度", 30), ("项目推进速度", 30), ("科技含量与产业链水平", 40)]):
        Criterion.objects.create(round=round_, name=name, weight=weight, order=order)
    for stop, (region, name) in enumerate(
        [(regions.wuxing, "吴兴高性能新材料项目"), (regions.nanxun, "南浔智能装备项目"), (regions.nanxun, "南浔生物医药项目")], 1
    ):
        Nomination.objects.create(round=round_, region=region, project_name=name, stop=stop, visit_time=dt.time(8 + stop))
    return round_


def login(page, username, password, lands="/"):
    page.goto(page.base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(page.base + lands)


def test_judge_scores_on_a_phone_then_the_round_closes(browser, live_server, open_round, screenshot, django_user_model):
    from mujun.inspections.models import Score
    from mujun.inspections.services import submit_scores

    judges = [django_user_model.objects.create_user(f"judge{i}", role="judge", first_name=f"评委{i}") for i in range(2, 6)]
    django_user_model.objects.create_user("judge1", password="pw-judge-2026", role="judge", first_name="王建国")
    django_user_model.objects.create_user("cityadmin", password="pw-city-2026", role="city_admin")
    criteria = list(open_round.criteria.all())
    # Four judges have scored already: 南浔医药 best, then 吴兴, then 南浔装备.
    for judge in judges:
        for nomination, value in zip(open_round.nominations.order_by("stop"), (85, 70, 90)):
            submit_scores(nomination, judge, {c.pk: value for c in criteria})

    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    login(page, "judge1", "pw-judge-2026", lands=f"/inspections/{open_round.pk}/judge/")  # a judge lands on scoring
    screenshot(page, "oversight-01-judge-round-phone")
    page.click("text=吴兴高性能新材料项目")
    inputs = page.locator("#score-form input[type=number]")
    assert inputs.count() == 3
    for i, value in enumerate(["86", "88", "84"]):
        inputs.nth(i).fill(value)
    screenshot(page, "oversight-02-judge-score-phone")
    # The page fits the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#score-form button[type=submit]")
    page.wait_for_url(f"{page.base}/inspections/{open_round.pk}/judge/")
    assert page.locator("[data-project='吴兴高性能新材料项目'] .badge.bg-success").inner_text() in ("已评分", "scored")
    assert Score.objects.filter(judge__username="judge1").count() == 3
    phone.close()

    desktop = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = desktop.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    login(page, "cityadmin", "pw-city-2026")
    page.goto(f"{page.base}/inspections/{open_round.pk}/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#close-round")
    page.wait_for_url(f"{page.base}/inspections/{open_round.pk}/scoreboard/")
    projects = [row.inner_text().split("\t")[:3] for row in page.locator("#project-ranking tbody tr").all()]
    # 吴兴: 4×85 and judge1's 85.8 (weighted) → five judges, 85.8 and one 85 dropped → 85.
    assert [p[2] for p in projects] == ["南浔生物医药项目", "吴兴高性能新材料项目", "南浔智能装备项目"]
    assert [p[0] for p in projects] == ["1", "2", "3"]
    counties = [row.inner_text().split("\t")[:3] for row in page.locator("#county-ranking tbody tr").all()]
    assert counties == [["1", "吴兴区", "85.00"], ["2", "南浔区", "80.00"]]
    screenshot(page, "oversight-03-scoreboard")
    page.goto(f"{page.base}/inspections/{open_round.pk}/scoreboard/print/")
    screenshot(page, "oversight-04-scoreboard-print")
    desktop.close()


def test_a_problem_goes_from_submitted_to_confirmed(page, logged_in, screenshot, regions, make_enterprise, django_user_model):
    from mujun.services.models import Department, Problem

    enterprise = make_enterprise(1, name="湖州织里童装有限公司")
    operator = django_user_model.objects.create_user("wuxing", password="pw-wx-2026", role="county_operator", region=regions.wuxing)
    handler = django_user_model.objects.create_user("handler", password="pw-hd-2026", role="handler")
    department = Department.objects.create(name="市自然资源和规划局", region=regions.city)
    department.handlers.add(handler)
    assert operator.can_edit

    logged_in("wuxing", "pw-wx-2026")
    page.goto(page.base + "/services/problems/add/")
    page.fill("input[name=enterprise]", enterprise.uscc)
    page.select_option("select[name=category]", "land")
    page.fill("input[name=title]", "厂房扩建用地报批")
    page.click("form button[type=submit]")
    page.wait_for_selector("#problem-status")
    problem = Problem.objects.get()
    page.select_option("select[name=department]", str(department.pk))
    page.fill("input[name=deadline]", (dt.date.today() + dt.timedelta(days=15)).isoformat())
    page.click("button[value=assign]")
    page.wait_for_selector("#problem-status:has-text('已交办'), #problem-status:has-text('Assigned')")
    page.click("form[action$='/logout/'] button")

    logged_in("handler", "pw-hd-2026", lands="/services/problems/")  # a handler lands on their problems
    page.goto(page.base + problem.get_absolute_url())
    page.click("#problem-actions button:text-matches('开始办理|Start working on it')")
    page.fill("#answer-text", "已纳入年度供地计划，下月挂牌。")
    page.click("#problem-actions form:has(#answer-text) button")
    page.wait_for_selector("#problem-answer:has-text('已纳入年度供地计划')")
    screenshot(page, "oversight-05-problem-answered")
    page.click("form[action$='/logout/'] button")

    logged_in("wuxing", "pw-wx-2026")
    page.goto(page.base + problem.get_absolute_url())
    page.fill("#feedback-text", "企业确认，满意。")
    page.click("button[value=confirm]")
    page.wait_for_selector("#problem-status.bg-success")
    problem.refresh_from_db()
    assert problem.status == Problem.Status.CLOSED
    screenshot(page, "oversight-06-problem-closed")
    page.goto(page.base + "/services/")
    screenshot(page, "oversight-07-services-overview")
