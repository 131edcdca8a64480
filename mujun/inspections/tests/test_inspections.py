"""Inspection rounds: judges score on site, nothing shows until the round closes, the scoreboard."""

import io

import openpyxl
import pytest

from mujun.core.tests.fixtures import plotly_figures
from mujun.inspections.models import Criterion, Nomination, Round, Score


@pytest.fixture
def judges(regions, django_user_model):
    return [
        django_user_model.objects.create_user(f"judge{i}", role="judge", first_name=f"评委{i}")
        for i in range(1, 6)
    ]


@pytest.fixture
def round_(regions):
    round_ = Round.objects.create(name="2026年第3季度互看互学互比", year=2026, quarter=3, status=Round.Status.OPEN)
    Criterion.objects.create(round=round_, name="投资强度", weight=3, order=1)
    Criterion.objects.create(round=round_, name="推进速度", weight=1, order=2)
    Nomination.objects.create(round=round_, region=regions.wuxing, project_name="吴兴新材料项目", stop=1)
    Nomination.objects.create(round=round_, region=regions.nanxun, project_name="南浔装备项目", stop=2)
    Nomination.objects.create(round=round_, region=regions.nanxun, project_name="南浔医药项目", stop=3)
    return round_


def score(client, nomination, first, second):
    ids = list(nomination.round.criteria.values_list("pk", flat=True))
    return client.post(f"/inspections/nominations/{nomination.pk}/score/", {f"criterion-{ids[0]}": first, f"criterion-{ids[1]}": second})


def test_a_judge_scores_each_project_once_within_the_range(round_, judges, client_as):
    client = client_as(judges[0])
    wuxing = round_.nominations.get(project_name="吴兴新材料项目")
    assert client.get(f"/inspections/{round_.pk}/judge/").status_code == 200
    response = score(client, wuxing, "80", "90")
    assert response.status_code == 302
    assert sorted(Score.objects.filter(judge=judges[0]).values_list("value", flat=True)) == [80, 90]
    assert Score.history.filter(judge=judges[0]).count() == 2  # audit history of the scores

    again = score(client, wuxing, "70", "70")
    assert again.status_code == 400
    assert "您已为该项目评过分，不能重复评分" in again.content.decode()
    assert Score.objects.filter(judge=judges[0]).count() == 2

    out_of_range = score(client, round_.nominations.get(stop=2), "101", "50")
    assert out_of_range.status_code == 400
    assert "“投资强度”的得分101超出0.00–100.00分的范围" in out_of_range.content.decode()
    assert not Score.objects.filter(nomination__stop=2).exists()


def test_scores_stay_hidden_until_close_and_are_refused_after(round_, judges, client_as, city_admin):
    for judge in judges:
        score(client_as(judge), round_.nominations.get(stop=1), "80", "80")
    admin = client_as(city_admin)
    assert admin.get(f"/inspections/{round_.pk}/scoreboard/").status_code == 404
    page = admin.get(f"/inspections/{round_.pk}/").content.decode()
    assert "80.00" not in page  # only how many judges scored shows

    assert admin.post(f"/inspections/{round_.pk}/status/", {"action": "close"}).status_code == 302
    round_.refresh_from_db()
    assert round_.is_closed and round_.closed_at is not None
    late = score(client_as(judges[0]), round_.nominations.get(stop=2), "80", "80")
    assert late.status_code == 400
    assert "本轮已关闭，不能再评分" in late.content.decode()
    assert not Score.objects.filter(nomination__stop=2).exists()
    # Locked: the round cannot be edited any more.
    admin.post(f"/inspections/{round_.pk}/edit/", {"name": "改名", "year": 2026, "quarter": 3, "score_min": 0, "score_max": 100})
    round_.refresh_from_db()
    assert round_.name == "2026年第3季度互看互学互比"


def test_scoreboard_ranks_trims_and_exports(round_, judges, client_as, city_admin):
    # 吴兴: totals 90, 80, 80, 80, 0 → the 90 and the 0 are dropped → 80.
    for judge, value in zip(judges, ["90", "80", "80", "80", "0"]):
        score(client_as(judge), round_.nominations.get(stop=1), value, value)
    # 南浔 projects: 70 and 90 (two judges each, plain means) → county 80; ties share rank 1.
    for judge in judges[:2]:
        score(client_as(judge), round_.nominations.get(stop=2), "70", "70")
        score(client_as(judge), round_.nominations.get(stop=3), "90", "90")
    admin = client_as(city_admin)
    admin.post(f"/inspections/{round_.pk}/status/", {"action": "close"})
    page = admin.get(f"/inspections/{round_.pk}/scoreboard/")
    board = page.context["board"]
    assert [(r["nomination"].project_name, r["rank"], r["score"]) for r in board.projects] == [
        ("南浔医药项目", 1, 90.0), ("吴兴新材料项目", 2, 80.0), ("南浔装备项目", 3, 70.0),
    ]  # fmt: skip
    assert [(r["county"].name, r["rank"], r["score"]) for r in board.counties] == [("吴兴区", 1, 80.0), ("南浔区", 1, 80.0)]
    wuxing = board.projects[1]
    assert wuxing["trimmed"] and wuxing["spread"] == 90.0

    download = admin.get(f"/inspections/{round_.pk}/scoreboard/?format=xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook.sheetnames == ["县区排名", "项目排名", "评委"]
    rows = list(workbook["项目排名"].iter_rows(values_only=True))
    assert rows[0][:4] == ("名次", "县区", "项目", "得分") and rows[1][:4] == (1, "南浔区", "南浔医药项目", 90)
    printable = admin.get(f"/inspections/{round_.pk}/scoreboard/print/").content.decode()
    assert "@media print" in printable and "南浔医药项目" in printable

    compare = admin.get("/inspections/compare/")
    (chart,) = plotly_figures(compare.content.decode())
    assert chart["data"][0]["x"] == ["2026年第3季度"] and chart["layout"]["xaxis"]["title"]["text"] == "轮次"
    assert chart["layout"]["yaxis"]["exponentformat"] == "none"
    assert "第%{customdata}名" in chart["data"][0]["hovertemplate"]


def test_roles_who_opens_nominates_and_scores(regions, round_, judges, client_as, operator_wuxing, city_admin):
    operator = client_as(operator_wuxing)
    assert operator.post(f"/inspections/{round_.pk}/status/", {"action": "close"}).status_code == 403
    assert score(operator, round_.nominations.first(), "80", "80").status_code == 403

    draft = Round.objects.create(name="2026年第4季度", year=2026, quarter=4)
    own = {"region": regions.wuxing.pk, "project_name": "织里童装智造项目", "stop": 1}
    assert operator.post(f"/inspections/{draft.pk}/nominations/add/", own).status_code == 302
    other = {**own, "region": regions.nanxun.pk, "project_name": "别县项目"}
    operator.post(f"/inspections/{draft.pk}/nominations/add/", other)
    assert list(draft.nominations.values_list("project_name", flat=True)) == ["织里童装智造项目"]
    # Criteria are the city's; a judge cannot score a draft round.
    assert operator.post(f"/inspections/{draft.pk}/criteria/add/", {"name": "x", "weight": 1, "order": 0}).status_code == 403
    admin = client_as(city_admin)
    admin.post(f"/inspections/{draft.pk}/status/", {"action": "open"})
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT  # no rubric yet: refused
    admin.post(f"/inspections/{draft.pk}/criteria/add/", {"name": "投资强度", "weight": 1, "order": 0})
    admin.post(f"/inspections/{draft.pk}/status/", {"action": "open"})
    draft.refresh_from_db()
    assert draft.is_open
