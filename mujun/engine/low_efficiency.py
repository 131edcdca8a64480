"""Low-efficiency firms (三低, 腾笼换鸟): which firms of a published evaluation year a county lists, and why.

Huzhou's rules (2021): a firm above designated size (规上) paying under 6 万元 of tax per mu, a firm below
designated size (规下) under 3 万元, and a firm still below designated size on 10 mu or more. Dongyang's
rule: a firm paying under half (a share) of its industry's average tax per mu, the industry being its GB/T
4754 division (the first two digits of its code) and the average the division's tax over its land across
the year's firms. Each rule has its threshold and can be switched off per county; a county without its own
thresholds takes the city's row (county null), and without that the defaults below.

Pure Polars: ``list_firms(firms, thresholds)`` returns one row per listed firm with the rules it met and the
figures that triggered them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import polars as pl

# rule id -> (English, Chinese): what the listing shows.
RULES: dict[str, tuple[str, str]] = {
    "above_scale_tax": ("Above designated size, tax per mu below the floor", "规上企业亩均税收低于标准"),
    "below_scale_tax": ("Below designated size, tax per mu below the floor", "规下企业亩均税收低于标准"),
    "large_below_scale": ("Still below designated size on a large plot", "用地面积较大仍为规下企业"),
    "industry_average": ("Tax per mu below a share of its industry's average", "亩均税收低于行业平均水平的一定比例"),
}

FIRM_COLUMNS: dict[str, pl.DataType] = {
    "enterprise_id": pl.Int64,
    "county": pl.String,
    "above_scale": pl.Boolean,
    "land_mu": pl.Float64,
    "tax": pl.Float64,
    "industry_code": pl.String,
}


@dataclass(frozen=True)
class Thresholds:
    """One county's rules (万元 per mu, mu, a share); the defaults are Huzhou's, the industry rule off."""

    above_scale_enabled: bool = True
    above_scale_tax_per_mu: float = 6.0
    below_scale_enabled: bool = True
    below_scale_tax_per_mu: float = 3.0
    large_land_enabled: bool = True
    large_land_mu: float = 10.0
    industry_enabled: bool = False
    industry_share: float = 0.5

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def schema(cls) -> dict[str, pl.DataType]:
        return {f.name: pl.Boolean if f.type == "bool" else pl.Float64 for f in fields(cls)}


THRESHOLD_SCHEMA = {"county": pl.String, **Thresholds.schema()}


def thresholds_frame(rows: list[dict] | None = None) -> pl.DataFrame:
    """A thresholds frame from ``{"county": …, <Thresholds field>: …}`` rows (county None: the city's)."""
    return pl.DataFrame(rows or [], schema=THRESHOLD_SCHEMA)


def _applied_thresholds(firms: pl.DataFrame, thresholds: pl.DataFrame) -> pl.DataFrame:
    """Each firm with its county's thresholds, else the city's, else the defaults."""
    names = Thresholds.names()
    default = asdict(Thresholds())
    own = thresholds.filter(pl.col("county").is_not_null()).unique("county", keep="last")
    city = thresholds.filter(pl.col("county").is_null()).tail(1)
    city_values = city.row(0, named=True) if city.height else default
    with_own = firms.join(own, on="county", how="left", suffix="_own")
    return with_own.with_columns(
        pl.col(name).fill_null(pl.lit(city_values[name], dtype=THRESHOLD_SCHEMA[name])) for name in names
    )


def list_firms(firms: pl.DataFrame, thresholds: pl.DataFrame | None = None) -> pl.DataFrame:
    """The listed firms of one year: ``enterprise_id, county, rules`` (list of rule ids, in ``RULES``'
    order), ``tax_per_mu``, ``land_mu``, ``tax``, ``above_scale``, ``division``, ``industry_average`` and
    ``figures`` (JSON: each met rule's threshold beside the firm's figure). A firm without land or tax
    figures meets no tax rule (it cannot be measured); a firm on no land meets none."""
    thresholds = thresholds_frame() if thresholds is None else thresholds.cast(THRESHOLD_SCHEMA)
    frame = firms.select([pl.col(n).cast(t) for n, t in FIRM_COLUMNS.items()]).filter(pl.col("land_mu") > 0)
    frame = frame.with_columns(
        (pl.col("tax") / pl.col("land_mu")).alias("tax_per_mu"),
        pl.col("industry_code").str.slice(0, 2).alias("division"),
    )
    # The division's average over the firms whose tax is known: a blank figure neither lowers nor raises it.
    measured = frame.filter(pl.col("tax").is_not_null())
    averages = measured.group_by("division").agg((pl.col("tax").sum() / pl.col("land_mu").sum()).alias("industry_average"))
    frame = _applied_thresholds(frame.join(averages, on="division", how="left"), thresholds)
    met = {
        "above_scale_tax": pl.col("above_scale_enabled")
        & pl.col("above_scale")
        & (pl.col("tax_per_mu") < pl.col("above_scale_tax_per_mu")),
        "below_scale_tax": pl.col("below_scale_enabled")
        & ~pl.col("above_scale")
        & (pl.col("tax_per_mu") < pl.col("below_scale_tax_per_mu")),
        "large_below_scale": pl.col("large_land_enabled") & ~pl.col("above_scale") & (pl.col("land_mu") >= pl.col("large_land_mu")),
        "industry_average": pl.col("industry_enabled")
        & pl.col("division").is_not_null()
        & (pl.col("tax_per_mu") < pl.col("industry_share") * pl.col("industry_average")),
    }
    frame = frame.with_columns(expr.fill_null(False).alias(f"met_{rule}") for rule, expr in met.items())
    rules = pl.concat_list(
        pl.when(pl.col(f"met_{rule}")).then(pl.lit(rule)).otherwise(pl.lit(None, pl.String)) for rule in RULES
    ).list.drop_nulls()
    floor = (
        pl.when(pl.col("above_scale")).then(pl.col("above_scale_tax_per_mu")).otherwise(pl.col("below_scale_tax_per_mu"))
    )
    figures = pl.struct(
        pl.col("tax_per_mu").round(3),
        pl.when(pl.col("met_above_scale_tax") | pl.col("met_below_scale_tax")).then(floor).alias("tax_per_mu_floor"),
        pl.col("land_mu").round(2),
        pl.when(pl.col("met_large_below_scale")).then(pl.col("large_land_mu")).alias("land_mu_floor"),
        pl.when(pl.col("met_industry_average")).then(pl.col("industry_average").round(3)).alias("industry_average"),
        pl.when(pl.col("met_industry_average")).then(pl.col("industry_share")).alias("industry_share"),
    ).struct.json_encode()
    return (
        frame.with_columns(rules.alias("rules"), figures.alias("figures"))
        .filter(pl.col("rules").list.len() > 0)
        .select(
            "enterprise_id", "county", "rules", "tax_per_mu", "land_mu", "tax", "above_scale", "division",
            "industry_average", "figures",
        )  # fmt: skip
        .sort("enterprise_id")
    )
