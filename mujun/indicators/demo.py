"""Demo county indicators: the spec's eight indicators and the horse race's other investment indicators, two
years of monthly values for the five counties (foreign capital quarterly); the province's horse race scheme
(赛马: eleven investment indicators in three blocks) and its last four quarters published."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils import timezone

from mujun.core.clock import replaying
from mujun.core.history import bulk_create
from mujun.engine.demo import COUNTIES
from mujun.indicators import services
from mujun.indicators.models import HorseRaceScheme, Indicator, IndicatorValue

# code, name, unit, higher is better, weight, frequency, typical level, month-to-month spread
INDICATORS = [
    ("industrial_investment_growth", "工业投资增速", "%", True, 2, "monthly", 10.0, 4.0),
    ("manufacturing_investment_growth", "制造业投资增速", "%", True, 2, "monthly", 12.0, 5.0),
    ("high_tech_investment_growth", "高新技术产业投资增速", "%", True, 1.5, "monthly", 15.0, 6.0),
    ("projects_over_100m", "亿元以上项目数", "个", True, 1.5, "monthly", 40.0, 6.0),
    ("foreign_capital_used", "实际使用外资", "亿美元", True, 1, "quarterly", 1.5, 0.4),
    ("industrial_value_added_growth", "规上工业增加值增速", "%", True, 2, "monthly", 7.0, 2.5),
    ("exports_growth", "出口增速", "%", True, 1, "monthly", 6.0, 5.0),
    ("tax_per_mu", "亩均税收", "万元/亩", True, 2, "monthly", 30.0, 5.0),
    ("fixed_asset_investment_growth", "固定资产投资增速", "%", True, 1, "monthly", 8.0, 3.0),
    ("private_investment_growth", "民间投资增速", "%", True, 1, "monthly", 9.0, 4.0),
    ("tech_renovation_investment", "技改投资增速", "%", True, 1, "monthly", 14.0, 6.0),
    ("new_projects_over_100m", "新开工亿元以上项目数", "个", True, 1, "monthly", 12.0, 3.0),
    ("projects_over_1b", "10亿元以上项目数", "个", True, 1, "monthly", 6.0, 2.0),
    ("major_project_completion", "省重大项目年度投资完成率", "%", True, 1, "monthly", 70.0, 10.0),
]

# The province's horse race since 2021: eleven investment indicators in three blocks, the first three
# counties rewarded with 100 mu of land quota and 5 million yuan each.
HORSE_RACE = {
    ("volume", "投资总量", 40): [
        "fixed_asset_investment_growth", "industrial_investment_growth", "private_investment_growth", "foreign_capital_used",
    ],
    ("structure", "投资结构", 30): [
        "manufacturing_investment_growth", "high_tech_investment_growth", "tech_renovation_investment",
    ],
    ("projects", "项目建设", 30): [
        "projects_over_100m", "new_projects_over_100m", "projects_over_1b", "major_project_completion",
    ],
}  # fmt: skip


def horse_race_toml() -> str:
    lines = ['normalisation = "minmax"', "winners = 3", "reward_land_mu = 100", "reward_yuan = 5000000", ""]
    for code, name, weight in HORSE_RACE:
        lines += ["[[blocks]]", f'code = "{code}"', f'name = "{name}"', f"weight = {weight}", ""]
    for (block, _name, _weight), indicators in HORSE_RACE.items():
        for indicator in indicators:
            lines += ["[[indicators]]", f'code = "{indicator}"', f'block = "{block}"', "weight = 1", ""]
    return "\n".join(lines)


def months_back(count: int) -> list[tuple[int, int]]:
    """The ``count`` months before the current one, oldest first."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1
    return [((i - 1) // 12, (i - 1) % 12 + 1) for i in range(index - count + 1, index + 1)]


def load(context) -> None:
    rng = np.random.default_rng(context.seed + 7)
    indicators = bulk_create(
        Indicator,
        [
            Indicator(code=code, name=name, unit=unit, higher_is_better=up, weight=weight, frequency=freq, order=i)
            for i, (code, name, unit, up, weight, freq, _level, _spread) in enumerate(INDICATORS)
        ],
        user=context.admin,
    )
    counties = [context.regions[code] for code, *_rest in COUNTIES]
    months = months_back(24)
    values = []
    for indicator, (*_head, level, spread) in zip(indicators, INDICATORS):
        periods = [(y, m) for y, m in months if indicator.frequency == "monthly" or m % 3 == 0]
        for county in counties:
            # Each county has its own level and drifts slowly: rankings move, but not at random.
            walk = level + rng.normal(0, spread) + np.cumsum(rng.normal(0, spread / 4, size=len(periods)))
            noise = rng.normal(0, spread / 3, size=len(periods))
            for (year, month), value in zip(periods, walk + noise):
                value = max(value, 0) if indicator.unit in ("个", "亿美元", "万元/亩") else value
                values.append(IndicatorValue(indicator=indicator, region=county, year=year, month=month, value=round(float(value), 2)))
    bulk_create(IndicatorValue, values, user=context.admin)
    context.log(f"indicators: {len(indicators)} indicators, {len(values)} values over 24 months")
    load_horse_race(context, months)


def load_horse_race(context, months: list[tuple[int, int]]) -> None:
    """The horse race scheme from the first demo year, and the last four quarters that have ended published,
    each some days after its end, as the province does."""
    scheme = HorseRaceScheme(name="浙江省县域投资赛马（示范）", year=months[0][0], toml=horse_race_toml())
    scheme.full_clean()
    bulk_create(HorseRaceScheme, [scheme], user=context.admin)
    today = timezone.localdate()
    ended = [(y, m // 3) for y, m in months if m % 3 == 0 and (y, m) < (today.year, (today.month - 1) // 3 * 3 + 1)]
    for year, quarter in ended[-4:]:
        quarter_end = dt.date(year + quarter // 4, quarter * 3 % 12 + 1, 1) - dt.timedelta(days=1)
        with replaying(min(quarter_end + dt.timedelta(days=20), today)):
            services.publish_round(year, quarter, context.admin)
    context.log(f"indicators: horse race scheme, {len(ended[-4:])} quarters published")
