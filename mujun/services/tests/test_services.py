"""Enterprise service: the closed loop, who takes which step, handlers' scoping, overdue and response."""

import datetime as dt

import pytest
from django.utils import timezone

from mujun.services.models import Department, Problem, ServicePlan
from mujun.services.services import department_stats, transition


@pytest.fixture
def department(regions, django_user_model):
    department = Department.objects.create(name="市自然资源和规划局", region=regions.city)
    department.handlers.add(django_user_model.objects.create_user("handler", role="handler"))
    return department


@pytest.fixture
def problem(make_enterprise, operator_wuxing):
    return Problem.objects.create(
        enterprise=make_enterprise(1), category="land", title="厂房扩建用地报批", recorded_by=operator_wuxing
    )


def step(client, problem, action, **data):
    return client.post(f"/services/problems/{problem.pk}/transition/", {"action": action, **data})


def test_the_loop_from_submitted_to_confirmed_with_a_send_back(problem, department, operator_wuxing, client_as):
    operator, handler = client_as(operator_wuxing), client_as(department.handlers.get())
    deadline = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    step(operator, problem, "assign", department=department.pk, deadline=deadline)
    step(handler, problem, "start")
    step(handler, problem, "answer", text="已纳入年度供地计划")
    step(operator, problem, "send_back", text="企业希望明确时间")
    problem.refresh_from_db()
    assert problem.status == Problem.Status.SENT_BACK and problem.times_sent_back == 1
    step(handler, problem, "start")
    step(handler, problem, "answer", text="计划于下月挂牌")
    step(operator, problem, "confirm", text="满意")
    problem.refresh_from_db()
    assert problem.status == Problem.Status.CLOSED and problem.closed_at is not None
    assert problem.response_days is not None
    statuses = list(problem.history.order_by("history_date").values_list("status", flat=True))
    assert statuses == ["submitted", "assigned", "in_progress", "answered", "sent_back", "in_progress", "answered", "closed"]


def test_steps_out_of_turn_or_by_the_wrong_person_change_nothing(
    problem, department, operator_nanxun, operator_wuxing, client_as
):
    handler = client_as(department.handlers.get())
    response = step(handler, problem, "answer", text="x")  # not assigned to them yet: they cannot see it
    assert response.status_code == 404
    deadline = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    step(client_as(operator_nanxun), problem, "assign", department=department.pk, deadline=deadline)
    problem.refresh_from_db()
    assert problem.status == Problem.Status.SUBMITTED  # another county's operator may not assign

    operator = client_as(operator_wuxing)
    past = step(operator, problem, "assign", department=department.pk, deadline="2020-01-01")
    messages = [str(m) for m in past.wsgi_request._messages]
    assert "办理期限必须是今天或以后的日期" in messages
    step(operator, problem, "assign", department=department.pk, deadline=deadline)
    followed = step(handler, problem, "confirm")  # only the county records the enterprise's verdict
    problem.refresh_from_db()
    assert problem.status == Problem.Status.ASSIGNED
    assert any("不能执行此操作" in str(m) for m in followed.wsgi_request._messages)


def test_handlers_see_only_their_departments_problems(problem, department, regions, client_as, make_enterprise):
    other = Department.objects.create(name="市商务局", region=regions.city)
    theirs = Problem.objects.create(enterprise=make_enterprise(2), category="land", title="A", department=department)
    Problem.objects.create(enterprise=make_enterprise(3), category="logistics", title="B", department=other)
    handler = client_as(department.handlers.get())
    listed = handler.get("/services/problems/")
    assert [p.pk for p in listed.context["table"].data] == [theirs.pk]
    assert handler.get(f"/services/problems/{problem.pk}/").status_code == 404
    assert handler.get(f"/services/problems/{theirs.pk}/").status_code == 200


def test_a_handler_sees_only_their_departments_problems_on_plans_and_the_home_page(
    department, regions, client_as, make_enterprise, city_admin
):
    other = Department.objects.create(name="市商务局", region=regions.city)
    firm = make_enterprise(1)
    plan = ServicePlan.objects.create(enterprise=firm, title="一企一策")
    late = timezone.localdate() - dt.timedelta(days=1)
    theirs = Problem.objects.create(
        enterprise=firm, plan=plan, category="land", title="用地报批", department=department, status="assigned", deadline=late
    )  # fmt: skip
    Problem.objects.create(
        enterprise=firm, plan=plan, category="logistics", title="物流通道", department=other, status="assigned", deadline=late
    )  # fmt: skip
    handler = client_as(department.handlers.get())

    page = handler.get(plan.get_absolute_url())
    assert [p.pk for p in page.context["problems"]] == [theirs.pk]
    assert "物流通道" not in page.content.decode()
    listed = handler.get("/services/plans/").context["table"].data[0]
    assert (listed.problem_count, listed.open_count) == (1, 1)
    home = handler.get("/").content.decode()
    assert "用地报批" in home and "物流通道" not in home
    assert [p["id"] for p in handler.get("/api/service-problems/").json()["results"]] == [theirs.pk]
    assert handler.get(f"/services/departments/{other.pk}/").context["stats"] is None
    # Everybody else still sees the whole plan.
    assert len(client_as(city_admin).get(plan.get_absolute_url()).context["problems"]) == 2


def test_overdue_problems_and_response_times_stand_out(department, make_enterprise, city_admin, client_as):
    now = timezone.now()
    late = Problem.objects.create(
        enterprise=make_enterprise(1), category="land", title="逾期问题", status="in_progress",
        department=department, deadline=timezone.localdate() - dt.timedelta(days=2), assigned_at=now,
    )  # fmt: skip
    Problem.objects.create(
        enterprise=make_enterprise(2), category="land", title="已答复", status="answered", department=department,
        deadline=timezone.localdate(), assigned_at=now - dt.timedelta(days=4), answered_at=now,
    )  # fmt: skip
    assert late.is_overdue
    stats = department_stats()
    assert stats[0]["overdue"] == 1 and stats[0]["mean_days"] == 4.0
    page = client_as(city_admin).get("/services/")
    assert page.context["overdue_count"] == 1 and "逾期问题" in page.content.decode()
    listed = client_as(city_admin).get("/services/problems/?overdue=true")
    assert [p.title for p in listed.context["table"].data] == ["逾期问题"]


def test_recording_a_problem_needs_a_known_enterprise_in_ones_county(
    make_enterprise, regions, operator_wuxing, client_as
):
    own, foreign = make_enterprise(1), make_enterprise(2, region=regions.nanxun)
    client = client_as(operator_wuxing)
    base = {"category": "talent", "title": "招工难"}
    assert client.post("/services/problems/add/", {**base, "enterprise": own.uscc}).status_code == 302
    refused = client.post("/services/problems/add/", {**base, "enterprise": foreign.uscc})
    assert "该企业不在您可编辑的区域内" in refused.content.decode()
    unknown = client.post("/services/problems/add/", {**base, "enterprise": "不存在的公司"})
    assert "未找到企业“不存在的公司”" in unknown.content.decode()
    assert list(Problem.objects.values_list("enterprise_id", "recorded_by__username")) == [(own.pk, "operator_wuxing")]


def test_steps_taken_in_the_past_keep_their_time(problem, department, city_admin):
    """The demo loader replays a problem's past through the services: each step keeps the time it was taken,
    and the deadline is judged against the day of the assignment."""
    timedelta = dt.timedelta
    assigned_at = timezone.now() - timedelta(days=40)
    deadline = timezone.localdate() - timedelta(days=10)  # passed today, in time when assigned
    transition(problem, city_admin, "assign", department=department, deadline=deadline, at=assigned_at)
    transition(problem, city_admin, "start", at=assigned_at)
    transition(problem, city_admin, "answer", text="已协调", at=assigned_at + timedelta(days=5))
    problem.refresh_from_db()
    assert (problem.status, problem.assigned_at, problem.deadline) == (Problem.Status.ANSWERED, assigned_at, deadline)
    assert problem.answered_at == assigned_at + timedelta(days=5)
    assert problem.history.first().history_user == city_admin
