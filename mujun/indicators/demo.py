"""Demo county indicators: the spec's eight indicators, two years of monthly values for the five
counties (foreign capital quarterly)."""

from __future__ import annotations

import numpy as np
from django.utils import timezone

from mujun.core.history import bulk_create
from mujun.engine.demo import COUNTIES
from mujun.indicators.models import Indicator, IndicatorValue

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
]


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
