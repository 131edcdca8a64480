"""Demo inspection rounds: four past quarters, closed and scored by five to seven judges, and the current
quarter's round open for scoring (nominated, not yet scored)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from mujun.core.history import bulk_create
from mujun.engine.demo import COUNTIES
from mujun.inspections.models import Criterion, Nomination, Round, Score
from mujun.inspections.services import close_round, open_round

JUDGES = [
    ("judge1", "王建国"), ("judge2", "李晓明"), ("judge3", "张丽华"), ("judge4", "陈志强"),
    ("judge5", "刘海燕"), ("judge6", "杨振华"), ("judge7", "赵文斌"),
]  # fmt: skip
RUBRIC = [
    ("投资规模与强度", 25), ("项目推进速度", 25), ("科技含量与产业链水平", 20), ("亩均产出", 15), ("绿色发展", 15),
]  # fmt: skip
PROJECT_KINDS = [
    "年产5万吨高性能新材料项目", "智能装备制造基地项目", "新能源汽车零部件项目", "生物医药产业园项目",
    "绿色家居智能工厂项目", "半导体封装测试项目", "高端纺织数字化改造项目", "锂电池储能系统项目",
    "数字经济产业园项目", "精密机械加工项目", "光伏组件智能制造项目", "医疗器械研发生产项目",
]  # fmt: skip
# Projects each county nominates to a round: from the first number up to, not including, the second.
NOMINATIONS_PER_COUNTY = (2, 4)
ROUTE = "07:00 市行政中心出发 → 吴兴区 → 南浔区 → 德清县 → 长兴县 → 安吉县 → 19:30 返回市行政中心点评"


def quarters_before(today: dt.date, count: int) -> list[tuple[int, int]]:
    """The ``count`` quarters before today's, oldest first."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    result = []
    for _ in range(count):
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        result.append((year, quarter))
    return result[::-1]


def load(context) -> None:
    rng = np.random.default_rng(context.seed + 5)
    User = get_user_model()
    password = make_password(context.password)  # hashed once: the same for every demo judge
    judges = bulk_create(
        User,
        [
            User(username=username, first_name=name, password=password, role=User.Role.JUDGE)
            for username, name in JUDGES
        ],
        user=context.admin,
    )
    counties = [context.regions[code] for code, *_rest in COUNTIES]
    project_records = _projects_by_county(counties)
    today = timezone.localdate()
    periods = quarters_before(today, 4) + [(today.year, (today.month - 1) // 3 + 1)]
    score_count = 0
    for index, (year, quarter) in enumerate(periods):
        current = index == len(periods) - 1
        visit = dt.date(year, quarter * 3 - 1, 15)
        round_ = Round.objects.create(
            name=f"{year}年第{quarter}季度全市重大项目“互看互学互比”活动",
            year=year,
            quarter=quarter,
            visit_date=visit,
            route=ROUTE,
        )
        criteria = bulk_create(
            Criterion,
            [Criterion(round=round_, name=name, weight=weight, order=i) for i, (name, weight) in enumerate(RUBRIC)],
            user=context.admin,
        )
        nominations = []
        stop = 0
        for county in counties:
            size = int(rng.integers(*NOMINATIONS_PER_COUNTY))
            kinds = rng.choice(len(PROJECT_KINDS), size=size, replace=size > len(PROJECT_KINDS))
            for n, kind_index in enumerate(kinds):
                stop += 1
                kind = PROJECT_KINDS[int(kind_index)]
                linked = project_records.get(county.pk, [])
                project = linked[(index * 3 + n) % len(linked)] if linked else None
                nominations.append(
                    Nomination(
                        round=round_,
                        region=county,
                        project_name=project.name if project else f"{county.name}{kind}",
                        project=project,
                        stop=stop,
                        visit_time=dt.time(7 + stop // 2 % 12, 30 * (stop % 2)),  # a bench's day of many stops wraps
                    )
                )
        # Two nominations of one county may name the same project record: keep names unique in a round.
        seen = set()
        for nomination in nominations:
            if nomination.project_name in seen:
                nomination.project_name += f"（{nomination.stop}）"
            seen.add(nomination.project_name)
        nominations = bulk_create(Nomination, nominations, user=context.admin)
        open_round(round_)
        if current:
            continue
        scores = []
        round_judges = judges[: int(rng.integers(5, 8))]
        quality = rng.normal(84, 5, size=len(nominations))
        leniency = rng.normal(0, 2.5, size=len(round_judges))
        for p, nomination in enumerate(nominations):
            for j, judge in enumerate(round_judges):
                values = quality[p] + leniency[j] + rng.normal(0, 3, size=len(criteria))
                for criterion, value in zip(criteria, values):
                    value = float(np.clip(np.round(value * 2) / 2, 60, 100))
                    scores.append(Score(nomination=nomination, criterion=criterion, judge=judge, value=value))
        score_count += len(bulk_create(Score, scores, user=context.admin))
        close_round(round_, at=timezone.make_aware(dt.datetime.combine(visit, dt.time(21, 0))))
    context.log(f"inspections: {len(periods)} rounds, {len(judges)} judges (judge1…judge7), {score_count} scores")


def _projects_by_county(counties) -> dict[int, list]:
    """Projects of each county from the projects app's demo, if it loaded any."""
    from django.apps import apps

    if not apps.is_installed("mujun.projects"):
        return {}
    from mujun.projects.models import Project

    by_county: dict[int, list] = {}
    for county in counties:
        by_county[county.pk] = list(Project.objects.filter(region_id__in=county.descendant_ids()).order_by("pk")[:12])
    return by_county
