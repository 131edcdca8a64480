"""Demo data: the city's schemes and a city-wide run for every demo year, evaluated, posted for public notice
(公示) and published through the evaluation's services as the city administrator. The latest year goes
through the whole cycle: a seven-day posting, five objections filed by towns and a county operator, their
review (upheld, figures corrected and the run recomputed, regraded with a reason) and publication, each
step on its own date in the spring after the year (``replaying``)."""

import dataclasses
import datetime as dt

from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict
from django.utils.translation import gettext

from mujun.engine.scheme import parse_scheme, preset_toml, scheme_to_toml
from mujun.enterprises.forms import EnterpriseYearForm
from mujun.enterprises.models import EnterpriseYear
from mujun.core.clock import replaying
from mujun.evaluation.models import Objection, ProvincialAverage, Run, Scheme
from mujun.evaluation.services import (
    decide_objection,
    execute_run,
    file_objection,
    post_run,
    publish_after_past_posting,
    publish_run,
)

# The city's schemes: the preset they follow, their year, name, and the years evaluated under them.
DEMO_SCHEMES = [
    ("huangyan-2021", 2022, "湖州市2022年度工业企业亩均效益综合评价办法", (2022,)),
    ("huangyan-2022", 2024, "湖州市2023—2024年度工业企业亩均效益综合评价办法", (2023, 2024)),
]
POSTING_DAYS = 7  # as Jingning posts
# The towns whose staff object in the demo (user name, town code): operators placed in their town.
TOWN_USERS = [("zhili", "330502100"), ("lianshi", "330503100")]


def load(context) -> None:
    latest = max(year for *_, years in DEMO_SCHEMES for year in years)
    for preset, year, name, run_years in DEMO_SCHEMES:
        scheme = Scheme.objects.create(
            name=name, year=year, region=context.city, preset=preset, toml=scheme_text(preset, year, name)
        )
        for run_year in run_years:
            run = evaluate(scheme, context.city, run_year, context.admin)
            if run.status == Run.Status.DONE:
                if run_year == latest:
                    review_cycle(context, run)
                else:
                    starts, ends = posting_window(run_year)
                    with replaying(ends + dt.timedelta(days=2)):  # published in its own spring, like the latest
                        publish_after_past_posting(run, context.admin, starts, ends)
            run.refresh_from_db()
            context.log(f"{run.name}: {run.get_status_display()} {run.message}".rstrip())
            if run.status != Run.Status.PUBLISHED:
                context.problems.append(
                    gettext("Run %(run)s did not finish: %(message)s") % {"run": run, "message": run.message}
                )
    provincial_averages(context)


# Zhejiang's per-mu averages of industrial enterprises (万元/亩: 亩均税收, 亩均增加值): 2021 as the province
# published it (28.1); the later years plausible for the demo, growing as the province's have.
PROVINCIAL_AVERAGES = {2021: (28.1, 136.5), 2022: (29.4, 142.0), 2023: (30.6, 148.3), 2024: (31.9, 154.6)}


def provincial_averages(context) -> None:
    """The benchmark of the per-mu rankings (mujun/evaluation/benchmarks.py), for the demo's years and 2021."""
    for year, (tax, value_added) in PROVINCIAL_AVERAGES.items():
        average = ProvincialAverage(year=year, tax_per_mu=tax, value_added_per_mu=value_added, source="浙江省亩均效益评价公报（演示）")
        average.full_clean()
        average.save()
    context.log(f"provincial per-mu averages: {len(PROVINCIAL_AVERAGES)} years")


# The city's differentiated policies, as Haining's draft has them: land-use tax relief for A and B, smaller
# energy quotas for C and D, D pays 0.3 元/kWh more for electricity and 0.4 after three D years running, and
# the money each list involves (electricity in 万千瓦时, water in 吨, the land-use tax in 万元).
CITY_POLICIES = """
[policies.A]
land_use_tax_reduction = 1.0

[policies.B]
land_use_tax_reduction = 0.5

[policies.C]
energy_quota_reduction = 0.1

[policies.D]
electricity_surcharge_yuan_per_kwh = 0.3
water_surcharge_yuan_per_t = 1.0
sewage_surcharge_yuan_per_t = 0.5
energy_quota_reduction = 0.3
credit_restricted = true

[[policies.escalate]]
grade = "D"
consecutive_years = 3
electricity_surcharge_yuan_per_kwh = 0.4

[[policies.amounts]]
id = "electricity_surcharge_yuan"
label = "差别化电价加价金额(元)"
rate = "electricity_surcharge_yuan_per_kwh"
quantity = "electricity_10k_kwh"
factor = 10000

[[policies.amounts]]
id = "water_surcharge_yuan"
label = "差别化水价加价金额(元)"
rate = "water_surcharge_yuan_per_t"
quantity = "water_t"

[[policies.amounts]]
id = "sewage_surcharge_yuan"
label = "污水处理费加价金额(元)"
rate = "sewage_surcharge_yuan_per_t"
quantity = "water_t"

[[policies.amounts]]
id = "land_use_tax_relief_yuan"
label = "城镇土地使用税减免金额(元)"
rate = "land_use_tax_reduction"
quantity = "land_use_tax"
factor = 10000
"""


# The city's penalty and bonus items, on every group: a safety accident costs 5 points, a high-tech
# enterprise gains 3 (as Yiwu's and Longyou's rules do).
CITY_ADJUSTMENTS = """
[[adjustments]]
id = "safety_accident"
label = "发生安全生产事故扣分"
column = "safety_accident"
points = -5

[[adjustments]]
id = "high_tech"
label = "高新技术企业加分"
column = "high_tech"
points = 3
"""


def scheme_text(preset: str, year: int, name: str) -> str:
    """A preset's rules under the city's own name and year, with the city's own policies and items."""
    rules = dataclasses.replace(
        parse_scheme(preset_toml(preset)), name=name, year=year, policies={}, escalations=(), amounts=(),
        adjustments=(),
    )
    return scheme_to_toml(parse_scheme(scheme_to_toml(rules) + CITY_POLICIES + CITY_ADJUSTMENTS))


def run_name(region, year: int) -> str:
    return f"{region.name}{year}年度工业企业亩均效益综合评价"


def posting_window(year: int) -> tuple[dt.date, dt.date]:
    """The year's posting, in the spring after it."""
    starts = dt.date(year + 1, 4, 14)
    return starts, starts + dt.timedelta(days=POSTING_DAYS - 1)


def evaluate(scheme: Scheme, region, year: int, user) -> Run:
    """Create a run and execute it, on the first of April after the year (the collection closed before)."""
    with replaying(dt.date(year + 1, 4, 1)):
        run = Run.objects.create(
            name=run_name(region, year), scheme=scheme, year=year, region=region, created_by=user, started_by=user
        )
        execute_run(run)
    return run


def town_users(context) -> dict[str, object]:
    """The towns' staff who object for their enterprises (county operators placed in a town)."""
    User = get_user_model()
    users = {}
    for username, town_code in TOWN_USERS:
        town = context.regions.get(town_code)
        if town is None:
            continue
        user = User.objects.filter(username=username).first() or User.objects.create_user(
            username, password=context.password, role=User.Role.COUNTY_OPERATOR, region=town
        )
        context.users.append(user)
        users[username] = user
    context.log(
        gettext("town staff who object: %(users)s")
        % {"users": ", ".join(f"{name} ({user.region})" for name, user in users.items())}
    )
    return users


def _candidates(run: Run, region, grades=("D", "C"), skip=()):
    """Evaluated results of enterprises in ``region`` (or under it), worst first."""
    return (
        run.results.filter(enterprise__region_id__in=region.descendant_ids(), grade__in=grades, status="evaluated")
        .exclude(pk__in=list(skip))
        .select_related("enterprise__region")
        .order_by("-grade", "-rank", "id")
    )


def correct_figures(run: Run, result, user, tax_factor: float) -> None:
    """Correct an enterprise's tax for the run's year through the enterprises' own form, as the review page does."""
    year = EnterpriseYear.objects.get(enterprise_id=result.enterprise_id, year=run.year)
    data = {k: ("" if v is None else v) for k, v in model_to_dict(year, exclude=["id", "enterprise"]).items()}
    data["tax"] = round((year.tax or 0) * tax_factor + 50, 2)
    form = EnterpriseYearForm({k: v for k, v in data.items() if v is not False}, instance=year, user=user)
    if not form.is_valid():
        raise ValueError(form.errors.as_text())
    corrected = form.save(commit=False)
    corrected._history_user = user
    corrected.save()


# A regrade in the demo lifts the grade one step (an A firm, should one be objected to, is set to B).
REGRADE_TO = {"D": "C", "C": "B", "B": "A", "A": "B"}


def review_cycle(context, run: Run) -> None:
    """Post the run for seven days, file five objections inside the window, decide each after it, publish."""
    admin = context.admin
    starts, ends = posting_window(run.year)
    with replaying(starts):
        post_run(run, admin, starts, ends)
    towns = town_users(context)
    operators = {u.username: u for u in context.users}
    used: set[int] = set()

    def pick(town_user: str, county_user: str, grades=("D", "C")):
        """The town's staff object for a firm of their town; when the town has none left, the county operator
        objects on a firm's behalf. Worst grades first."""
        for filer in (towns.get(town_user), operators.get(county_user)):
            if filer is None or filer.region is None:
                continue
            for wanted in (grades, ("D", "C", "B", "A")):
                result = _candidates(run, filer.region, wanted, used).first()
                if result is not None:
                    used.add(result.pk)
                    return filer, result
        return None, None

    plans = [  # (town staff, their county's operator, grades wanted, reason, decision, decision reason)
        ("zhili", "wuxing", ("D",), "企业2024年度实缴税金漏报了第四季度入库税款，附税务部门完税证明。",
         Objection.Decision.CORRECTED, "经核对税务部门完税证明，补录漏报税金后重新计算。"),
        ("zhili", "wuxing", ("D",), "企业2024年完成技术改造，亩均增加值明显提升，申请复核。",
         Objection.Decision.REGRADED, "经实地核查，企业技改项目已投产且数据属实，经复核上调一档。"),
        ("lianshi", "nanxun", ("C",), "企业认为用地面积含已出租厂房，应扣除。",
         Objection.Decision.UPHELD, "经核实，出租部分已在用地面积中扣除，原数据准确，维持原评价等级。"),
        ("lianshi", "nanxun", ("D",), "企业能耗数据统计口径有误，申请复核。",
         Objection.Decision.REGRADED, "经统计部门复核，能耗统计口径调整后得分接近上一档分数线，经集体研究上调一档。"),
        ("", "wuxing", ("D", "C"), "受企业委托：企业对排放数据有异议。",
         Objection.Decision.UPHELD, "经生态环境部门核实，排放数据准确，维持原评价等级。"),
    ]  # fmt: skip
    objections = []
    with replaying(starts + dt.timedelta(days=2)):
        for town_user, county_user, grades, reason, *decision in plans:
            filer, result = pick(town_user, county_user, grades)
            if result is not None:
                objections.append((file_objection(result, filer, reason), *decision))
    with replaying(ends + dt.timedelta(days=2)):
        for objection, decision, note in objections:
            grade = ""
            if decision == Objection.Decision.CORRECTED:
                correct_figures(run, objection.result, admin, tax_factor=3)
            elif decision == Objection.Decision.REGRADED:
                objection.result.refresh_from_db()  # a correction decided before may have moved it
                grade = REGRADE_TO[objection.result.grade] if objection.result.grade in REGRADE_TO else ""
                if not grade:
                    decision = Objection.Decision.UPHELD
            decide_objection(objection, admin, decision, note, grade)
        publish_run(run, admin)
    context.log(
        gettext("%(run)s: posted %(start)s to %(end)s, %(count)d objections reviewed, published")
        % {"run": run, "start": starts, "end": ends, "count": len(objections)}
    )
