"""Deterministic demo data: a Huzhou-like city and its industrial enterprises.

`REGIONS` is the administrative tree (city → counties → towns, streets and parks) and
`generate_enterprises` draws enterprise-year figures in the evaluation's input format. Every figure hangs on
a latent per-firm "efficiency", so land productivity, energy and emissions intensity, labour productivity
and R&D intensity move together as they do in real county data, with heavy (log-normal) tails.

Random draws come from one NumPy generator seeded by ``seed`` and are taken in a fixed order over whole
arrays, so equal arguments give an equal frame and a million rows take a few seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.uscc import ALPHABET, WEIGHTS

if TYPE_CHECKING:
    from shapely.geometry import Polygon

CITY = {"code": "330500", "name": "湖州市", "level": "city", "parent_code": None}

# county code, name, share of the city's enterprises, the prefix its enterprises' names usually carry
COUNTIES = [
    ("330502", "吴兴区", 0.24, ("湖州", "吴兴")),
    ("330503", "南浔区", 0.20, ("湖州", "南浔")),
    ("330521", "德清县", 0.18, ("德清",)),
    ("330522", "长兴县", 0.22, ("长兴",)),
    ("330523", "安吉县", 0.16, ("安吉",)),
]

# (code, name, level) under each county; parks get more enterprises than towns.
TOWNS = {
    "330502": [
        ("330502009", "龙溪街道", "town"),
        ("330502100", "织里镇", "town"),
        ("330502101", "八里店镇", "town"),
        ("330502102", "埭溪镇", "town"),
        ("330502103", "东林镇", "town"),
        ("330502104", "妙西镇", "town"),
        ("330502401", "吴兴高新技术产业园区", "park"),
    ],
    "330503": [
        ("330503100", "练市镇", "town"),
        ("330503101", "南浔镇", "town"),
        ("330503102", "双林镇", "town"),
        ("330503103", "善琏镇", "town"),
        ("330503104", "旧馆镇", "town"),
        ("330503105", "菱湖镇", "town"),
        ("330503106", "和孚镇", "town"),
        ("330503107", "千金镇", "town"),
        ("330503401", "南浔经济开发区", "park"),
    ],
    "330521": [
        ("330521001", "武康街道", "town"),
        ("330521002", "舞阳街道", "town"),
        ("330521003", "阜溪街道", "town"),
        ("330521101", "乾元镇", "town"),
        ("330521102", "新市镇", "town"),
        ("330521103", "钟管镇", "town"),
        ("330521104", "禹越镇", "town"),
        ("330521105", "雷甸镇", "town"),
        ("330521401", "德清经济开发区", "park"),
    ],
    "330522": [
        ("330522001", "雉城街道", "town"),
        ("330522002", "画溪街道", "town"),
        ("330522003", "太湖街道", "town"),
        ("330522004", "龙山街道", "town"),
        ("330522101", "洪桥镇", "town"),
        ("330522102", "李家巷镇", "town"),
        ("330522103", "夹浦镇", "town"),
        ("330522104", "和平镇", "town"),
        ("330522105", "煤山镇", "town"),
        ("330522106", "泗安镇", "town"),
        ("330522401", "长兴经济技术开发区", "park"),
    ],
    "330523": [
        ("330523001", "递铺街道", "town"),
        ("330523002", "昌硕街道", "town"),
        ("330523003", "灵峰街道", "town"),
        ("330523101", "孝丰镇", "town"),
        ("330523102", "天子湖镇", "town"),
        ("330523103", "梅溪镇", "town"),
        ("330523104", "天荒坪镇", "town"),
        ("330523105", "鄣吴镇", "town"),
        ("330523401", "安吉经济开发区", "park"),
    ],
}

REGIONS: list[dict] = [
    CITY,
    *({"code": code, "name": name, "level": "county", "parent_code": CITY["code"]} for code, name, _, _ in COUNTIES),
    *(
        {"code": code, "name": name, "level": level, "parent_code": county}
        for county, towns in TOWNS.items()
        for code, name, level in towns
    ),
]

# GB/T 4754-2017 manufacturing classes: the word an enterprise of the class puts in its name, and how
# energy- and emission-intensive the class is relative to the average manufacturer.
INDUSTRIES = {
    "1711": ("纺织", 1.3, 1.2),  # 棉纺纱加工
    "1713": ("印染", 2.5, 3.0),  # 棉印染精加工
    "1751": ("织造", 1.4, 1.2),  # 化纤织造加工
    "1810": ("服饰", 0.6, 0.5),  # 机织服装制造
    "1830": ("童装", 0.6, 0.5),  # 服饰制造
    "2034": ("木业", 0.8, 0.8),  # 木地板制造
    "2041": ("竹业", 0.7, 0.8),  # 竹制品制造
    "2110": ("家具", 0.7, 0.7),  # 木质家具制造
    "2140": ("家居", 0.9, 0.8),  # 金属家具制造
    "2614": ("化工", 3.0, 3.0),  # 有机化学原料制造
    "2641": ("涂料", 1.8, 2.0),  # 涂料制造
    "2710": ("药业", 2.0, 2.0),  # 化学药品原料药制造
    "2927": ("塑业", 1.1, 1.0),  # 日用塑料制品制造
    "3011": ("建材", 6.0, 4.0),  # 水泥制造
    "3091": ("新材料", 2.5, 1.5),  # 石墨及碳素制品制造
    "3130": ("特钢", 3.0, 2.0),  # 钢压延加工
    "3311": ("钢结构", 1.0, 1.0),  # 金属结构制造
    "3360": ("金属制品", 1.5, 2.5),  # 金属表面处理及热处理加工
    "3435": ("电梯", 0.6, 0.5),  # 电梯、自动扶梯及升降机制造
    "3481": ("轴承", 0.9, 0.9),  # 滚动轴承制造
    "3813": ("电机", 0.7, 0.6),  # 微特电机及组件制造
    "3841": ("新能源", 1.0, 0.8),  # 锂离子电池制造
    "3843": ("电源", 1.6, 2.5),  # 铅蓄电池制造
    "3982": ("电子", 1.2, 0.9),  # 电子电路制造
}

# Each county's industrial mix (weights), after its well-known clusters: Zhili children's wear, Nanxun
# flooring and lifts, Deqing new materials, Changxing batteries, Anji chairs and bamboo.
COUNTY_INDUSTRIES = {
    "330502": {"1810": 5, "1830": 6, "3311": 2, "3481": 2, "3982": 2, "3813": 1, "2927": 1, "3360": 1},
    "330503": {"2034": 5, "3435": 4, "3813": 3, "1751": 2, "1711": 2, "3481": 1, "1713": 1},
    "330521": {"3091": 4, "2710": 2, "3982": 3, "2641": 2, "2614": 1, "3311": 2, "1751": 1, "3481": 1},
    "330522": {"3841": 4, "3843": 3, "1751": 3, "3011": 1, "3130": 2, "2614": 1, "3311": 1},
    "330523": {"2110": 5, "2140": 3, "2041": 4, "2927": 2, "3982": 1, "3481": 1},
}

# Characters that make up an enterprise's trade name (字号).
TRADE_NAME_CHARACTERS = "".join(
    dict.fromkeys(
        "恒达华鑫盛泰丰源宏远金瑞祥海天宇明光辉荣昌隆兴旺嘉利信诚和美佳亿永安福康德伟强力通顺捷凯豪锦绣丽雅"
        "博创聚腾飞跃龙凤鹏程万众联合益升晨阳东南中正大成立方圆春秋江湖山川林森禾田玉石晶彩虹星月云霞雪松"
        "竹梅兰桥溪港湾浦宁泽润洁清澄志航帆舟骏驰久乐欣悦景尚品优精工诺科普灿辰锐迅迪赛拓展朗伦汇鼎"
    )
)

ABOVE_SCALE_MIN_REVENUE = 2000.0  # 万元: main business revenue that makes an enterprise 规上

# Medians of land, figures per mu (万元/亩) and value added / revenue in the first year. The 规下 medians
# are set above their targets (亩均税收 about 11) because the revenue line trims the larger 规下 sites.
ABOVE = {"land_mu": 40.0, "land_sigma": 0.85, "tax_per_mu": 24.0, "value_added_per_mu": 136.0, "value_added_rate": 0.23}
BELOW = {"land_mu": 6.0, "land_sigma": 0.7, "tax_per_mu": 14.5, "value_added_per_mu": 58.0, "value_added_rate": 0.3}
VALUE_ADDED_PER_TCE = 2.7  # 万元 per tonne of standard coal
VALUE_ADDED_PER_EMISSION = 4900.0  # 万元 per tonne equivalent
VALUE_ADDED_PER_EMPLOYEE = 18.0  # 万元
VALUE_ADDED_PER_10K_KWH = 1.28  # 万元 per 万千瓦时
RD_SHARE_OF_REVENUE = 0.03


def _trade_names(count: int, rng: np.random.Generator) -> pl.Series:
    """``count`` distinct trade names, all of one length, so that names built from them stay distinct."""
    pool = len(TRADE_NAME_CHARACTERS)
    length = 2
    while pool**length < count:
        length += 1
    picks = rng.choice(pool**length, size=count, replace=False)
    characters = pl.Series(list(TRADE_NAME_CHARACTERS))
    parts = [characters.gather((picks // pool**i) % pool) for i in range(length)]
    return pl.DataFrame(parts).select(pl.concat_str(pl.all()).alias("trade_name")).to_series()


def _credit_codes(county_codes: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """Distinct valid credit codes: 9 (industry and commerce) 1 (enterprise), the county code, an
    organisation code whose ninth character is its GB 11714 check, and the GB 32100 check character."""
    count = len(county_codes)
    organisation = rng.choice(10**8, size=count, replace=False)  # distinct 8-digit organisation numbers
    org_digits = [(organisation // 10 ** (7 - i)) % 10 for i in range(8)]
    org_check = 11 - sum(d * w for d, w in zip(org_digits, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    org_check_value = np.where(org_check == 10, ALPHABET.index("X"), np.where(org_check == 11, 0, org_check))
    county_numbers = county_codes.astype(np.int64)
    county_digits = [(county_numbers // 10 ** (5 - i)) % 10 for i in range(6)]
    values = [np.full(count, 9), np.full(count, 1), *county_digits, *org_digits, org_check_value]
    total = sum(v * w for v, w in zip(values, WEIGHTS, strict=True))
    check_value = (31 - total % 31) % 31
    alphabet = pl.Series(list(ALPHABET))
    return (
        pl.DataFrame(
            {
                "county": county_codes,
                "organisation": pl.Series(organisation).cast(pl.String).str.zfill(8),
                "org_check": alphabet.gather(org_check_value),
                "check": alphabet.gather(check_value),
            }
        )
        .select(pl.concat_str(pl.lit("91"), "county", "organisation", "org_check", "check").alias("uscc"))
        .to_series()
    )


def _dates(days_since_epoch: np.ndarray) -> pl.Series:
    return pl.Series(days_since_epoch.astype(np.int32)).cast(pl.Date)


def _days(year: int, month: int = 1, day: int = 1) -> int:
    return (dt.date(year, month, day) - dt.date(1970, 1, 1)).days


def generate_enterprises(
    n_above: int = 4000,
    n_below: int = 3000,
    years: tuple[int, ...] = (2022, 2023, 2024),
    seed: int = 20261121,
) -> pl.DataFrame:
    """Enterprise-year rows in the evaluation's input format (`io.INPUT_COLUMNS`, region = county name)
    plus ``town_code``, ``industry_code`` and ``year``, ordered by year and credit code.

    Every enterprise has a row for the last year; an enterprise established later than an earlier year
    has no row for it. Money in 万元, land in 亩.
    """
    years = tuple(sorted(years))
    first_year, last_year = years[0], years[-1]
    rng = np.random.default_rng(seed)
    n = n_above + n_below
    above = np.arange(n) < n_above

    # Where: a town (parks weigh three times a town), hence a county; what: the county's industrial mix.
    town_rows = []  # (county index, town code, share of the city's enterprises)
    for county_index, (county, _, share, _) in enumerate(COUNTIES):
        weights = {code: 3.0 if level == "park" else 1.0 for code, _, level in TOWNS[county]}
        town_rows += [(county_index, code, share * weight / sum(weights.values())) for code, weight in weights.items()]
    town_weights = np.array([weight for _, _, weight in town_rows])
    town_index = rng.choice(len(town_rows), size=n, p=town_weights / town_weights.sum())
    county_index = np.array([c for c, _, _ in town_rows])[town_index]
    industry_list = list(INDUSTRIES)
    industry_index = np.zeros(n, dtype=np.int64)
    for index, (county, _, _, _) in enumerate(COUNTIES):
        here = county_index == index
        mix = COUNTY_INDUSTRIES[county]
        weights = np.array(list(mix.values()), dtype=float)
        choices = np.array([industry_list.index(code) for code in mix])
        industry_index[here] = rng.choice(choices, size=int(here.sum()), p=weights / weights.sum())
    energy_factor = np.array([factor for _, factor, _ in INDUSTRIES.values()])[industry_index]
    emission_factor = np.array([factor for _, _, factor in INDUSTRIES.values()])[industry_index]

    # The latent efficiency and the firm-level medians it moves.
    efficiency = rng.standard_normal(n)
    profile = {key: np.where(above, ABOVE[key], BELOW[key]) for key in ABOVE}
    land = profile["land_mu"] * np.exp(profile["land_sigma"] * rng.standard_normal(n))
    land = np.round(np.maximum(land, 0.3), 2)
    value_added_per_mu = profile["value_added_per_mu"] * np.exp(0.7 * efficiency + 0.35 * rng.standard_normal(n))
    tax_share = (profile["tax_per_mu"] / profile["value_added_per_mu"]) * np.exp(0.3 * rng.standard_normal(n))
    value_added_rate = np.clip(profile["value_added_rate"] * np.exp(0.25 * rng.standard_normal(n)), 0.08, 0.6)
    value_added_per_tce = VALUE_ADDED_PER_TCE / energy_factor * np.exp(0.35 * efficiency + 0.5 * rng.standard_normal(n))
    value_added_per_emission = (
        VALUE_ADDED_PER_EMISSION / emission_factor * np.exp(0.3 * efficiency + 0.8 * rng.standard_normal(n))
    )
    value_added_per_employee = VALUE_ADDED_PER_EMPLOYEE * np.exp(0.4 * efficiency + 0.35 * rng.standard_normal(n))
    value_added_per_kwh = (
        VALUE_ADDED_PER_10K_KWH / np.sqrt(energy_factor) * np.exp(0.25 * efficiency + 0.4 * rng.standard_normal(n))
    )
    rd_share = RD_SHARE_OF_REVENUE * np.exp(0.4 * efficiency + 0.9 * rng.standard_normal(n))
    rd_share = np.where(rng.random(n) < np.where(above, 0.12, 0.5), 0.0, rd_share)
    emissions_unreported = rng.random(n) < np.where(above, 0.07, 0.35)
    growth = 0.03 + 0.06 * rng.standard_normal(n)

    # Ages: most firms are long established; a few are young (exempt), a few have just acquired land.
    young = rng.random(n) < 0.03
    new_land = ~young & (rng.random(n) < 0.04)
    established = np.where(
        young,
        rng.integers(_days(last_year - 1), _days(last_year, 7), size=n),
        rng.integers(_days(1990), _days(first_year - 2), size=n),
    )
    land_acquired = np.where(
        new_land,
        rng.integers(_days(last_year - 2), _days(last_year, 7), size=n),
        established + rng.integers(0, 700, size=n),
    )
    land_acquired_known = young | new_land | (rng.random(n) < 0.9)

    # Names: the county's usual prefix (alternating where it has two), 浙江 and 股份 for many large firms.
    prefixes = [prefixes for _, _, _, prefixes in COUNTIES]
    prefix = pl.Series([prefixes[c][i % len(prefixes[c])] for c in range(len(COUNTIES)) for i in range(2)])
    prefix = prefix.gather(county_index * 2 + np.arange(n) % 2).to_numpy()
    large = above & (value_added_per_mu * land > 20000)
    prefix = np.where(large & (rng.random(n) < 0.7), "浙江", prefix)
    suffix = np.where(large & (rng.random(n) < 0.6), "股份有限公司", "有限公司")

    def pick(values: list, index: np.ndarray) -> pl.Series:
        return pl.Series(values).gather(index)

    firms = (
        pl.DataFrame(
            {
                "uscc": _credit_codes(np.array([code for code, _, _, _ in COUNTIES])[county_index], rng),
                "trade_name": _trade_names(n, rng),
                "prefix": prefix,
                "product": pick([word for word, _, _ in INDUSTRIES.values()], industry_index),
                "suffix": suffix,
                "region": pick([name for _, name, _, _ in COUNTIES], county_index),
                "town_code": pick([code for _, code, _ in town_rows], town_index),
                "industry_code": pick(industry_list, industry_index),
                "above_scale": above,
                "land_mu": land,
                "established_on": _dates(established),
                "land_acquired_on": _dates(land_acquired),
                "land_acquired_known": land_acquired_known,
                "value_added_per_mu": value_added_per_mu,
                "tax_share": tax_share,
                "value_added_rate": value_added_rate,
                "value_added_per_tce": value_added_per_tce,
                "value_added_per_emission": value_added_per_emission,
                "value_added_per_employee": value_added_per_employee,
                "value_added_per_kwh": value_added_per_kwh,
                "rd_share": rd_share,
                "emissions_unreported": emissions_unreported,
                "growth": growth,
            }
        )
        .with_columns(name=pl.concat_str("prefix", "trade_name", "product", "suffix"))
        .sort("uscc")
    )

    # One row per enterprise and year, with year-on-year noise around each firm's growth path.
    rows = n * len(years)
    frame = (
        pl.concat([firms.with_columns(year=pl.lit(year, dtype=pl.Int32)) for year in years])
        .with_columns(
            year_noise=pl.Series(rng.standard_normal(rows)),
            tax_noise=pl.Series(rng.standard_normal(rows)),
            draw=pl.Series(rng.random(rows)),
            refund=pl.Series(rng.uniform(1, 60, rows)),
            violation_draw=pl.Series(rng.random(rows)),
            emission_gap=pl.Series(rng.random(rows)),
            revenue_draw=pl.Series(rng.random(rows)),
        )
        .filter(pl.col("year") >= pl.col("established_on").dt.year())
    )
    level = (pl.col("growth") * (pl.col("year") - first_year) + 0.08 * pl.col("year_noise")).exp()
    value_added = pl.col("land_mu") * pl.col("value_added_per_mu") * level
    frame = frame.with_columns(value_added=value_added).with_columns(
        revenue=pl.col("value_added") / pl.col("value_added_rate")
    )
    # 规下 firms stay under the revenue line: a large 规下 site simply yields less (inefficient land).
    shrink = (
        pl.when(~pl.col("above_scale") & (pl.col("revenue") >= ABOVE_SCALE_MIN_REVENUE))
        .then(ABOVE_SCALE_MIN_REVENUE * (0.55 + 0.445 * pl.col("revenue_draw")) / pl.col("revenue"))
        .otherwise(1.0)
    )
    frame = frame.with_columns(value_added=pl.col("value_added") * shrink, revenue=pl.col("revenue") * shrink)
    revenue = (
        pl.when(pl.col("above_scale") & (pl.col("revenue") < ABOVE_SCALE_MIN_REVENUE))
        .then(ABOVE_SCALE_MIN_REVENUE * (1.0 + 0.6 * pl.col("revenue_draw")))
        .otherwise(pl.col("revenue"))
    )
    tax = (
        pl.when(pl.col("draw") < 0.004)  # a few firms get more back than they pay in a year
        .then(-pl.col("refund"))
        .otherwise(pl.col("value_added") * pl.col("tax_share") * (0.12 * pl.col("tax_noise")).exp())
    )
    emission = (
        pl.when(pl.col("emissions_unreported") | (pl.col("emission_gap") < 0.01))
        .then(None)
        .otherwise(pl.col("value_added") / pl.col("value_added_per_emission"))
    )
    frame = frame.with_columns(
        tax=tax.round(2),
        revenue=revenue.round(2),
        energy_tce=(pl.col("value_added") / pl.col("value_added_per_tce")).round(2),
        emission_eq=emission.round(4),
        rd_expense=(revenue * pl.col("rd_share")).round(2),
        employees=(pl.col("value_added") / pl.col("value_added_per_employee")).round(0).clip(3).cast(pl.Int64),
        electricity_10k_kwh=(pl.col("value_added") / pl.col("value_added_per_kwh")).round(2),
        land_acquired_on=pl.when("land_acquired_known").then("land_acquired_on"),
        major_violation=pl.col("violation_draw") < 0.01,
        coefficient=pl.lit(1.0),
        bonus=pl.lit(0.0),
    ).with_columns(value_added=pl.col("value_added").round(2))
    frame = _add_tenancy_and_adjustment_figures(frame, firms, np.random.default_rng([seed, 1]), first_year)
    return frame.select(*INPUT_COLUMNS, "town_code", "year")


HIGH_TECH_SHARE = {True: 0.08, False: 0.015}  # of 规上 / 规下 firms, more among the efficient
SAFETY_ACCIDENT_SHARE = 0.002  # of enterprise-years: a handful a year
TENANT_MAX_LAND_MU = 3.0  # 规下 firms on less than this often rent a corner of a larger firm's site
TENANT_SHARE = 0.4  # of those
LANDLORD_MIN_LAND_MU = 20.0
WATER_T_PER_VALUE_ADDED = 9.0  # tonnes per 万元 of value added, times the industry's emission factor
LAND_USE_TAX_YUAN_PER_M2 = (4.0, 12.0)  # yearly rate of the urban land use tax, by the land's grade
M2_PER_MU = 666.67


def _add_tenancy_and_adjustment_figures(
    frame: pl.DataFrame, firms: pl.DataFrame, rng: np.random.Generator, first_year: int
) -> pl.DataFrame:
    """The columns penalty/bonus rules and tenancy read: high-tech status, safety accidents, tenants of small
    land with a landlord among the larger firms of their town, water use and land-use tax.

    Drawn from their own generator after every other figure, so the older columns stay as they were.
    """
    n = firms.height
    above = firms["above_scale"].to_numpy()
    efficiency_rank = firms["value_added_per_mu"].rank().to_numpy() / n
    high_tech = rng.random(n) < np.where(above, HIGH_TECH_SHARE[True], HIGH_TECH_SHARE[False]) * 2 * efficiency_rank
    tenant_draw = rng.random(n)
    landlord_draw = rng.random(n)
    land_tax_rate = rng.uniform(*LAND_USE_TAX_YUAN_PER_M2, n)
    water_intensity = WATER_T_PER_VALUE_ADDED * np.exp(0.5 * rng.standard_normal(n))
    extras = firms.select(
        "uscc",
        "town_code",
        "land_mu",
        "above_scale",
        established_year=pl.col("established_on").dt.year(),
        high_tech=pl.Series(high_tech),
        tenant_draw=pl.Series(tenant_draw),
        landlord_draw=pl.Series(landlord_draw),
        land_tax_rate=pl.Series(land_tax_rate),
        water_intensity=pl.Series(water_intensity)
        * pl.col("industry_code").replace_strict({k: v[2] for k, v in INDUSTRIES.items()}, return_dtype=pl.Float64),
    )
    # Landlords: larger firms of the town that existed in every year, numbered within their town.
    landlords = (
        extras.filter(pl.col("land_mu") >= LANDLORD_MIN_LAND_MU, pl.col("established_year") < first_year)
        .select("town_code", "uscc", pl.int_range(pl.len()).over("town_code").alias("landlord_index"))
        .rename({"uscc": "landlord_uscc"})
    )
    counts = landlords.group_by("town_code").agg(pl.len().alias("landlords"))
    wants = ~pl.col("above_scale") & (pl.col("land_mu") < TENANT_MAX_LAND_MU) & (pl.col("tenant_draw") < TENANT_SHARE)
    extras = (
        extras.join(counts, on="town_code", how="left")
        .with_columns(
            pl.when(wants & (pl.col("landlords") > 0))
            .then((pl.col("landlord_draw") * pl.col("landlords")).floor().cast(pl.Int64))
            .alias("landlord_index")
        )
        .join(landlords, on=["town_code", "landlord_index"], how="left")
        .select("uscc", "high_tech", "landlord_uscc", "land_tax_rate", "water_intensity")
    )
    rows = frame.height
    return (
        frame.join(extras, on="uscc", how="left", maintain_order="left")
        .with_columns(safety_draw=pl.Series(rng.random(rows)))
        .with_columns(
            tenant=pl.col("landlord_uscc").is_not_null(),
            safety_accident=pl.col("safety_draw") < SAFETY_ACCIDENT_SHARE,
            water_t=(pl.col("value_added") * pl.col("water_intensity")).round(0),
            # A tenant pays no land-use tax: its landlord holds the land.
            land_use_tax=pl.when(pl.col("landlord_uscc").is_null())
            .then(pl.col("land_mu") * M2_PER_MU * pl.col("land_tax_rate") / 10_000)
            .otherwise(0.0)
            .round(2),
            prior_d_years=pl.lit(None, dtype=pl.Int64),  # the platform derives it from earlier runs
        )
    )


# ---------------------------------------------------------------------------------------------------------
# One consistent city: the enterprises' parcels, the projects on them, and the names people read.

# The product a project of each class makes, its unit and the range of a plausible yearly capacity.
PRODUCTS = {
    "1711": ("高支紧密纺纱线", "万吨", (2, 12)),
    "1713": ("高档印染面料", "万米", (3000, 9000)),
    "1751": ("差别化化纤面料", "万米", (2000, 12000)),
    "1810": ("品牌服装", "万件", (100, 600)),
    "1830": ("童装", "万件", (200, 1200)),
    "2034": ("实木复合地板", "万平方米", (50, 300)),
    "2041": ("竹木家居用品", "万件", (100, 600)),
    "2110": ("定制实木家具", "万套", (5, 30)),
    "2140": ("智能办公椅", "万把", (50, 300)),
    "2614": ("有机化工中间体", "万吨", (1, 10)),
    "2641": ("水性工业涂料", "万吨", (1, 10)),
    "2710": ("高端原料药", "吨", (100, 1000)),
    "2927": ("日用塑料制品", "万件", (500, 3000)),
    "3011": ("绿色建材", "万吨", (50, 200)),
    "3091": ("碳纤维复合材料", "吨", (500, 5000)),
    "3130": ("特种钢材", "万吨", (5, 30)),
    "3311": ("装配式钢结构件", "万吨", (2, 12)),
    "3360": ("金属表面处理件", "万件", (500, 3000)),
    "3435": ("高速电梯", "台", (2000, 10000)),
    "3481": ("精密轴承", "万套", (500, 3000)),
    "3813": ("微特电机", "万台", (100, 1000)),
    "3841": ("动力锂电池", "GWh", (2, 20)),
    "3843": ("储能电池", "万千伏安时", (500, 2000)),
    "3982": ("高密度印制电路板", "万平方米", (20, 120)),
}
MANUFACTURING_TEMPLATES = (
    "{short}年产{quantity}{unit}{product}项目",
    "{short}年产{quantity}{unit}{product}扩建项目",
    "{short}{product}智能化技术改造项目",
    "{short}{product}数字化车间建设项目",
)
PARK_THEMES = ("智能装备", "新能源", "新材料", "生物医药", "绿色家居", "电子信息")
# The provincial portfolio's other fields: an industry code of GB/T 4754 and the names such projects carry.
OTHER_FIELDS = {
    "innovation": ("M7320", ("{county}科技创新中心建设项目", "{town}产业创新服务综合体项目")),
    "transport": ("E4812", ("{county}国道改建工程", "{town}综合交通枢纽工程")),
    "energy": ("D4416", ("{town}渔光互补光伏发电项目", "{town}分布式光伏发电项目")),
    "water": ("E4822", ("{town}河湖综合整治工程", "{county}太湖溇港治理工程")),
    "urban": ("K7010", ("{town}城中村改造项目", "{town}未来社区建设项目")),
    "agriculture": ("A0141", ("{town}高标准农田建设项目", "{town}数字农业园区项目")),
    "culture": ("N7861", ("{town}文旅综合体项目", "{town}乡村旅游集聚区项目")),
    "livelihood": ("Q8411", ("{county}人民医院迁建工程", "{town}九年一贯制学校新建工程")),
}
# Share of projects at each stage (planned … above_scale) and the stages as in mujun.engine.projects.
STAGE_WEIGHTS = (4, 6, 8, 30, 14, 18, 10, 10)
LANDED = 2  # from this stage on a project has its enterprise and land
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹沈钱姚陆费闵潘蒋蔡俞叶程"
GIVEN_NAMES = (
    "建国", "建华", "国强", "志强", "海峰", "晓明", "丽华", "振华", "海燕", "文斌", "卫东", "红梅", "春燕", "永明",
    "金龙", "国平", "建新", "林峰", "亚萍", "利民", "伟", "芳", "敏", "静", "磊", "勇", "军", "杰", "涛", "超",
    "晨", "颖", "斌", "琳", "浩然", "雪芬", "美娟", "忠良", "学军", "月琴",
)  # fmt: skip
INVESTOR_ORIGINS = (
    ("上海", "科技有限公司"), ("苏州", "有限公司"), ("杭州", "科技有限公司"), ("宁波", "股份有限公司"),
    ("深圳", "科技有限公司"), ("无锡", "有限公司"), ("合肥", "科技有限公司"), ("香港", "控股有限公司"),
    ("日本", "株式会社"), ("德国", "集团"),
)  # fmt: skip
_NAME_PARTS = re.compile(r"^(?:浙江|湖州|吴兴|南浔|德清|长兴|安吉|县|区)*(.+?)(?:股份)?有限公司$")


def person_names(count: int, seed: int) -> list[str]:
    """``count`` Chinese personal names, such as 王建国."""
    rng = np.random.default_rng(seed)
    surnames = rng.integers(len(SURNAMES), size=count)
    given = rng.integers(len(GIVEN_NAMES), size=count)
    return [SURNAMES[s] + GIVEN_NAMES[g] for s, g in zip(surnames, given, strict=True)]


def short_name(name: str) -> str:
    """A firm's name as people say it: without its place prefix and legal form (佳诚木业)."""
    match = _NAME_PARTS.match(name)
    return match.group(1) if match else name


def investor_names(industries: list[str], seed: int) -> list[str]:
    """Names of investors from outside the city, one of each GB/T 4754 class in ``industries``:
    上海恒瑞新能源科技有限公司, 日本精工电机株式会社."""
    rng = np.random.default_rng(seed)
    trade = _trade_names(len(industries), rng).to_list()
    origins = rng.integers(len(INVESTOR_ORIGINS), size=len(industries))
    return [
        f"{INVESTOR_ORIGINS[o][0]}{t}{INDUSTRIES.get(industry, ('科技',))[0]}{INVESTOR_ORIGINS[o][1]}"
        for t, o, industry in zip(trade, origins, industries, strict=True)
    ]


def _quantity(rng: np.random.Generator, low: float, high: float) -> str:
    """A round capacity figure, as projects announce them: 5, 12, 300, 2000."""
    value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    digits = max(int(np.floor(np.log10(value))) - 1, 0)
    return str(int(round(value / 10**digits) * 10**digits))


def manufacturing_project_name(industry: str, short: str, rng: np.random.Generator) -> str:
    """年产5万吨特种纸项目, prefixed by the firm's short name: a project of GB/T 4754 class ``industry``."""
    product, unit, (low, high) = PRODUCTS.get(industry, ("智能制造装备", "台（套）", (500, 5000)))
    word = INDUSTRIES.get(industry, ("",))[0]
    if word and word in product and short.endswith(word):
        short = short.removesuffix(word)  # 源晶童装 makes 童装: 源晶童装项目, not 源晶童装童装项目
    template = MANUFACTURING_TEMPLATES[int(rng.integers(len(MANUFACTURING_TEMPLATES)))]
    return template.format(short=short, quantity=_quantity(rng, low, high), unit=unit, product=product)


def generate_parcels(firms: pl.DataFrame, *, last_year: int, seed: int, vacant_share: float = 0.07) -> pl.DataFrame:
    """The enterprises' parcels: each firm's land (``land_mu``) split over one to four parcels in its own
    town, summing to it, plus approved parcels nobody holds yet (``vacant_share`` of all).

    ``firms``: ``uscc``, ``town_code``, ``land_mu``, ``established_on``. Returns ``code`` (town code and
    number), ``town_code``, ``holder_uscc`` (null when vacant), ``area_mu`` and ``stage`` (approved,
    supplied, started, completed, commissioned): a firm's first parcel is in production unless it got its
    land lately; its further parcels (expansions) are often still being built.
    """
    rng = np.random.default_rng(seed)
    firms = firms.sort("uscc")
    n = firms.height
    land = firms["land_mu"].fill_null(0.0).to_numpy()
    count = 1 + rng.binomial(np.clip(land // 40, 0, 3).astype(np.int64), 0.35)
    firm = np.repeat(np.arange(n), count)
    first = np.cumsum(count) - count
    order = np.arange(firm.size) - first[firm]
    share = rng.gamma(4.0, size=firm.size)
    area = np.round(land[firm] * share / np.bincount(firm, share, minlength=n)[firm], 2)
    area[first] += np.round(land - np.bincount(firm, area, minlength=n), 2)  # the sum is the firm's land
    recent = (firms["established_on"].dt.year().to_numpy() >= last_year - 1) | (rng.random(n) < 0.04)
    building = np.array(["supplied", "started", "completed"])
    stage = np.where(
        order == 0,
        np.where(recent[firm], building[rng.integers(3, size=firm.size)], "commissioned"),
        np.array([*building, "commissioned"])[rng.choice(4, size=firm.size, p=[0.2, 0.25, 0.2, 0.35])],
    )
    held = pl.DataFrame(
        {
            "town_code": firms["town_code"].gather(firm),
            "holder_uscc": firms["uscc"].gather(firm),
            "area_mu": area,
            "stage": stage,
        }
    ).filter(pl.col("area_mu") > 0)
    vacant_count = round(held.height * vacant_share / (1 - vacant_share))
    vacant = pl.DataFrame(
        {
            "town_code": firms["town_code"].gather(rng.integers(max(n, 1), size=vacant_count)) if n else [],
            "holder_uscc": pl.Series([None] * vacant_count, dtype=pl.String),
            "area_mu": np.round(np.clip(rng.lognormal(np.log(28), 0.7, vacant_count), 5, 300), 2),
            "stage": ["approved"] * vacant_count,
        },
        schema=held.schema,
    )
    return (
        pl.concat([held, vacant])
        .with_columns(draw=pl.Series(rng.random(held.height + vacant_count)))
        .sort("town_code", "draw")
        .with_columns(
            code=pl.concat_str(
                "town_code", pl.lit("-"), (pl.int_range(pl.len()).over("town_code") + 1).cast(pl.String).str.zfill(4)
            )
        )
        .select("code", "town_code", "holder_uscc", "area_mu", "stage")
    )


def generate_projects(firms: pl.DataFrame, count: int, provincial: int, seed: int) -> pl.DataFrame:
    """``count`` projects, the first ``provincial`` of them in the provincial portfolio, each built by one
    of ``firms`` from the landed stage on, in that firm's town and class of industry; a project that has
    reached 上规 (above_scale) is one of an above-scale firm. Projects of the portfolio's other fields
    (transport, energy …) have no enterprise and stop at commissioning.

    ``firms``: ``uscc``, ``name``, ``town_code``, ``industry_code`` (four digits), ``above_scale``.
    Returns ``stage_index`` (into mujun.engine.projects.STAGE_ORDER), ``field``, ``town_code``,
    ``enterprise_uscc``, ``industry_code`` (a letter and four digits), ``name`` and ``provincial``.
    """
    rng = np.random.default_rng(seed)
    firms = firms.sort("uscc")
    weights = np.array(STAGE_WEIGHTS, dtype=float)
    stage_index = rng.choice(len(weights), size=count, p=weights / weights.sum())
    fields = ["manufacturing", *OTHER_FIELDS]
    field_weights = np.array([8.0] + [1.0] * len(OTHER_FIELDS))
    is_provincial = np.arange(count) < provincial
    field_index = np.where(is_provincial, rng.choice(len(fields), size=count, p=field_weights / field_weights.sum()), 0)
    # Firms in a random order, larger ones first more often: each project takes the next firm it may have.
    above = firms["above_scale"].to_numpy() if firms.height else np.zeros(0, dtype=bool)
    keys = rng.random(firms.height) ** (1 / np.where(above, 3.0, 1.0))
    queue = list(np.argsort(-keys))
    above_queue = [i for i in queue if above[i]]
    towns = [code for county_towns in TOWNS.values() for code, _, _ in county_towns]
    rural = [code for county_towns in TOWNS.values() for code, _, level in county_towns if level == "town"]
    town_names = {code: name for county_towns in TOWNS.values() for code, name, _ in county_towns}
    county_names = {code: name for code, name, _, _ in COUNTIES}
    rows = []
    for index in range(count):
        stage, field = int(stage_index[index]), fields[field_index[index]]
        town, firm = towns[int(rng.integers(len(towns)))], None
        if field != "manufacturing":
            town = rural[int(rng.integers(len(rural)))]  # farmland and schools are not in the parks
            stage = min(stage, 5)  # a road or a school is commissioned, never 达产 or 上规
            code, templates = OTHER_FIELDS[field]
            template = templates[int(rng.integers(len(templates)))]
            name = template.format(county=county_names[town[:6]], town=town_names[town])
        else:
            if stage >= LANDED and len(queue):
                pool = above_queue if stage == len(STAGE_WEIGHTS) - 1 and above_queue else queue
                firm = pool[index % len(pool)]
                if not above[firm]:
                    stage = min(stage, len(STAGE_WEIGHTS) - 2)  # only an above-scale firm's project is 上规
            if firm is not None:
                row = firms.row(int(firm), named=True)
                town, industry, short = row["town_code"], row["industry_code"], short_name(row["name"])
            else:
                industry = list(INDUSTRIES)[int(rng.integers(len(INDUSTRIES)))]
                short = _trade_names(1, rng)[0] + INDUSTRIES[industry][0]
            code = f"C{industry}"
            if is_provincial[index] and rng.random() < 0.3:
                park = county_names[town[:6]][:2]
                name = f"{park}{PARK_THEMES[int(rng.integers(len(PARK_THEMES)))]}产业园{'一二三'[int(rng.integers(3))]}期"
            else:
                name = manufacturing_project_name(industry, short, rng)
        rows.append(
            {
                "stage_index": stage,
                "field": field,
                "town_code": town,
                "enterprise_uscc": None if firm is None else firms["uscc"][int(firm)],
                "industry_code": code,
                "name": name,
                "provincial": bool(is_provincial[index]),
            }
        )
    return pl.DataFrame(rows, schema={"stage_index": pl.Int64, "field": pl.String, "town_code": pl.String,
                                      "enterprise_uscc": pl.String, "industry_code": pl.String, "name": pl.String,
                                      "provincial": pl.Boolean})  # fmt: skip


def link_projects(projects: pl.DataFrame, parcels: pl.DataFrame) -> pl.DataFrame:
    """Which parcel each project stands on: one of its own enterprise's (``projects``: ``project_id``,
    ``enterprise_uscc``; ``parcels``: ``parcel_id``, ``holder_uscc``), a firm's projects spread over its
    parcels in turn. Returns ``parcel_id``, ``project_id``."""
    ranked_projects = projects.drop_nulls("enterprise_uscc").sort("project_id").with_columns(
        turn=pl.int_range(pl.len()).over("enterprise_uscc")
    )
    ranked_parcels = parcels.drop_nulls("holder_uscc").sort("parcel_id").with_columns(
        turn=pl.int_range(pl.len()).over("holder_uscc"), held=pl.len().over("holder_uscc")
    )
    return (
        ranked_projects.join(ranked_parcels, left_on="enterprise_uscc", right_on="holder_uscc")
        .filter(pl.col("turn") % pl.col("held") == pl.col("turn_right"))
        .select("parcel_id", "project_id")
        .sort("project_id")
    )


def county_outlines(margin: float = 0.17) -> dict[str, Polygon]:
    """The counties' outlines (lon/lat polygons) tiling the city without overlap: the city is the hull of
    the counties' seats widened by ``margin`` degrees, cut among the seats by nearness (a Voronoi tiling)."""
    from shapely.geometry import MultiPoint, Point
    from shapely.ops import voronoi_diagram

    seats = MultiPoint([COUNTY_SEATS[code] for code, *_ in COUNTIES])
    city = seats.convex_hull.buffer(margin, quad_segs=2)
    cells = voronoi_diagram(seats, envelope=city.buffer(1.0)).geoms
    outlines = {}
    for code, *_ in COUNTIES:
        seat = Point(COUNTY_SEATS[code])
        cell = next(cell for cell in cells if cell.contains(seat))
        outlines[code] = cell.intersection(city)
    return outlines


# Where each county's seat lies (lon, lat).
COUNTY_SEATS = {
    "330502": (120.10, 30.87),
    "330503": (120.42, 30.87),
    "330521": (119.97, 30.54),
    "330522": (119.91, 31.03),
    "330523": (119.68, 30.64),
}
