"""Per-mu leaders (领跑者) and the per-mu rankings of counties, towns and parks against the city's average and
the province's, over the published evaluation years (issue 13 item 2). The arithmetic is
mujun.engine.leaders; this module reads the published results and the enterprises' figures of those years,
names the rows, draws the trends and serves the pages.

The figures are the enterprise-years' (tax, value added, land) of the enterprises each year's latest published
run evaluated (mujun.evaluation.grades): the province's own 亩均税收 and 亩均增加值, not the scheme's scores,
so years under different schemes compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mujun.core.charts import chart_html
from mujun.core.exports import xlsx_response
from mujun.core.frames import read_frame
from mujun.core.kept import history_version, kept
from mujun.engine import leaders as engine
from mujun.engine.gbt4754 import DIVISIONS, division_code, division_label
from mujun.enterprises.models import Enterprise, EnterpriseYear
from mujun.evaluation.grades import published_result_table, published_years
from mujun.evaluation.models import ProvincialAverage, Run
from mujun.regions.models import Region

LEVELS = {
    "county": gettext_lazy("Counties"),
    "town": gettext_lazy("Towns and streets"),
    "park": gettext_lazy("Parks"),
}
METRIC_LABELS = {"tax": gettext_lazy("tax per mu"), "value_added": gettext_lazy("value added per mu")}
GROUPINGS = {"division": gettext_lazy("industry division"), "park": gettext_lazy("park")}
TOP_DEFAULT, TOP_MAX = 10, 100
# Towns and parks are many: their trend chart draws the first of the year's ranking.
TREND_LINES = 8


# --------------------------------------------------------------------------------------------------
# Reading


def regions_frame() -> pl.DataFrame:
    """``region_id, county, town, park``: where each region sits (a county is its own county; a town or park
    the county above it)."""
    rows = Region.objects.values_list("pk", "level", "parent_id", "parent__level")
    frame = pl.DataFrame(
        list(rows),
        schema={"region_id": pl.Int64, "level": pl.Utf8, "parent_id": pl.Int64, "parent_level": pl.Utf8},
        orient="row",
    )
    return frame.select(
        "region_id",
        county=pl.when(pl.col("level") == "county")
        .then(pl.col("region_id"))
        .when(pl.col("parent_level") == "county")
        .then(pl.col("parent_id")),
        town=pl.when(pl.col("level") == "town").then(pl.col("region_id")),
        park=pl.when(pl.col("level") == "park").then(pl.col("region_id")),
    )


def figures_frame(years: list[int]) -> pl.DataFrame:
    """One row per enterprise evaluated in a published run of each of ``years``: ``enterprise_id, year,
    grade, total, land_mu, tax, value_added, division, county, town, park`` (the town or park where the
    enterprise is placed now: runs record only its county)."""
    results = published_result_table(years)
    # One typed read of the years' figures with each enterprise's industry and place (the ORM's row-by-row
    # conversion, and the enterprises looked up by a list of 250,000 ids, cost a second at 1,000,000 rows).
    columns = {"enterprise_id": pl.Int64, "year": pl.Int64, "land_mu": pl.Float64, "tax": pl.Float64,
               "value_added": pl.Float64, "enterprise__industry_code": pl.Utf8, "enterprise__region_id": pl.Int64}  # fmt: skip
    figures = read_frame(EnterpriseYear.objects.filter(year__in=years), columns).rename(
        {"enterprise__industry_code": "industry_code", "enterprise__region_id": "own_region_id"}
    )
    places = regions_frame()
    # The county is the run's (a result's region); the town or park the enterprise's own.
    return (
        results.join(figures, on=["enterprise_id", "year"], how="left")
        .join(places.select("region_id", "county"), on="region_id", how="left")
        .join(places.select(pl.col("region_id").alias("own_region_id"), "town", "park"), on="own_region_id", how="left")
        .with_columns(division=division_code(pl.col("industry_code")))
    )


def provincial_averages() -> dict[int, dict[str, float | None]]:
    return {average.year: average.figures() for average in ProvincialAverage.objects.all()}


# --------------------------------------------------------------------------------------------------
# Filters: bad input is refused with a message naming the field


class YearField(forms.IntegerField):
    """A year with a published evaluation; the latest when left out."""

    def __init__(self, **kwargs):
        super().__init__(required=False, label=gettext_lazy("year"), **kwargs)

    def clean(self, value):
        year = super().clean(value)
        years = published_years()
        if year is None:
            return years[-1] if years else None
        if year not in years:
            raise ValidationError(
                _("No evaluation of %(year)s has been published: choose one of %(years)s.")
                % {"year": year, "years": "、".join(map(str, years)) or "—"}
            )
        return year


class LeadersForm(forms.Form):
    year = YearField()
    by = forms.ChoiceField(label=gettext_lazy("leaders per"), choices=list(GROUPINGS.items()), required=False)
    division = forms.ChoiceField(label=gettext_lazy("industry division"), required=False)
    park = forms.ModelChoiceField(Region.objects.filter(level=Region.Level.PARK), label=gettext_lazy("park"), required=False)
    top = forms.IntegerField(label=gettext_lazy("top"), min_value=1, max_value=TOP_MAX, required=False)

    def __init__(self, data=None):
        super().__init__(data)
        self.fields["division"].choices = [("", _("All divisions"))] + [(c, division_label(c)) for c in DIVISIONS]
        self.fields["park"].empty_label = _("All parks")


class RankingsForm(forms.Form):
    year = YearField()
    level = forms.ChoiceField(label=gettext_lazy("level"), choices=list(LEVELS.items()), required=False)
    metric = forms.ChoiceField(label=gettext_lazy("ranked by"), choices=list(METRIC_LABELS.items()), required=False)


# --------------------------------------------------------------------------------------------------
# Leaders


def leader_frame(year: int, by: str = "division", top: int = TOP_DEFAULT, division: str = "", park=None) -> pl.DataFrame:
    """The year's leaders per industry division or per park, within the division and park chosen, named."""
    frame = figures_frame([year])
    if division:
        frame = frame.filter(pl.col("division") == division)
    if park is not None:
        frame = frame.filter(pl.col("park") == park.pk)
    chosen = engine.leaders(frame, by, top)
    names = dict(Enterprise.objects.filter(pk__in=chosen["enterprise_id"].to_list()).values_list("pk", "name"))
    region_names = dict(Region.objects.values_list("pk", "name"))
    return chosen.with_columns(
        name=pl.col("enterprise_id").replace_strict(names, default=None, return_dtype=pl.Utf8),
        division_name=pl.col("division").replace_strict({c: division_label(c) for c in DIVISIONS}, default=pl.col("division")),
        park_name=pl.col("park").replace_strict(region_names, default=None, return_dtype=pl.Utf8),
        county_name=pl.col("county").replace_strict(region_names, default=None, return_dtype=pl.Utf8),
    )


def leaders_sheet(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    group = {"division": "division_name", "park": "park_name"}[by]
    return frame.select(
        pl.col(group).alias("行业大类" if by == "division" else "园区"),
        pl.col("rank").alias("名次"),
        pl.col("name").alias("企业名称"),
        pl.col("county_name").alias("县（市、区）"),
        pl.col("division_name" if by == "park" else "park_name").alias("行业大类" if by == "park" else "园区"),
        pl.col("land_mu").alias("用地面积(亩)"),
        pl.col("tax_per_mu").round(2).alias("亩均税收(万元/亩)"),
        pl.col("value_added_per_mu").round(2).alias("亩均增加值(万元/亩)"),
        pl.col("total").round(2).alias("综合得分"),
        pl.col("grade").alias("综合评价等级"),
    )


def leaders(request):
    """Per-mu leaders of a published year, per industry division or park (?year, by, division, park, top;
    ?format=xlsx downloads them)."""
    form = LeadersForm(request.GET)  # every filter optional: no query is the latest year's leaders
    context = {"form": form, "groups": None}
    values = form.cleaned_data if form.is_valid() else {}
    if values.get("year"):
        by, top = values.get("by") or "division", values.get("top") or TOP_DEFAULT
        frame = leader_frame(values["year"], by, top, values.get("division") or "", values.get("park"))
        if request.GET.get("format") == "xlsx":
            return xlsx_response({_("Leaders"): leaders_sheet(frame, by)}, f"亩均领跑者-{values['year']}.xlsx")
        group_name = {"division": "division_name", "park": "park_name"}[by]
        context.update(
            year=values["year"],
            by=by,
            groups=[(part[group_name][0], part.to_dicts()) for _key, part in frame.group_by(by, maintain_order=True)],
            query=request.GET.urlencode(),
        )
    return render(request, "evaluation/leaders.html", context)


# --------------------------------------------------------------------------------------------------
# Rankings


@dataclass
class Board:
    year: int
    level: str
    metric: str
    rows: list[dict]
    city: dict  # the city's figures of the year
    province: dict[str, float | None]
    chart: str = ""
    frame: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def per_mu(self) -> str:
        return engine.METRICS[self.metric][1]


def trend_chart(trends: pl.DataFrame, level: str, metric: str, regions: dict, averages: dict, drawn: list[int]) -> str:
    """The per-mu figure of each drawn region over the years, the city's and the province's beside them."""
    per_mu = engine.METRICS[metric][1]
    data = []
    for region_id in drawn:
        part = trends.filter(pl.col(level) == region_id).sort("year")
        data.append({"type": "scatter", "mode": "lines+markers", "name": regions[region_id].name,
                     "x": part["year"].to_list(), "y": [None if v is None else round(v, 2) for v in part[per_mu]]})  # fmt: skip
    city = averages["city"]
    data.append({"type": "scatter", "mode": "lines", "name": _("City average"), "x": city["year"].to_list(),
                 "y": [None if v is None else round(v, 2) for v in city[per_mu]], "line": {"dash": "dash", "width": 3}})  # fmt: skip
    province = [(year, figures.get(metric)) for year, figures in sorted(averages["province"].items())]
    province = [(year, value) for year, value in province if value is not None and year in set(city["year"].to_list())]
    if province:
        data.append({"type": "scatter", "mode": "lines", "name": _("Provincial average"), "x": [y for y, _v in province],
                     "y": [v for _y, v in province], "line": {"dash": "dot", "width": 3}})  # fmt: skip
    title = _("Trend of %(indicator)s") % {"indicator": METRIC_LABELS[metric]}
    layout = {"title": {"text": title}, "yaxis": {"title": {"text": _("10k yuan/mu")}}, "height": 380,
              "margin": {"l": 50, "r": 20, "t": 50, "b": 40}}  # fmt: skip
    return chart_html({"data": data, "layout": layout})


def ranking_board(
    year: int, level: str = "county", metric: str = "tax", with_chart: bool = True, frame: pl.DataFrame | None = None
) -> Board:
    """The ranking of ``year``; its trend chart reads every published year (``frame``: the figures, when read
    already)."""
    if frame is None:
        frame = figures_frame(published_years() if with_chart else [year])
    averages = provincial_averages()
    ranked = engine.ranking(frame, level, year, metric, averages.get(year))
    regions = Region.objects.in_bulk(ranked[level].to_list())
    city = engine.city_figures(frame.filter(pl.col("year") == year))
    rows = [{**row, "region": regions[row[level]]} for row in ranked.iter_rows(named=True)]
    board = Board(year, level, metric, rows, city.row(0, named=True) if city.height else {}, averages.get(year) or {})
    board.frame = ranked
    if with_chart and rows:
        drawn = [row[level] for row in rows[: None if level == "county" else TREND_LINES]]
        trends = engine.region_figures(frame, level)
        board.chart = trend_chart(trends, level, metric, regions, {"city": engine.city_figures(frame), "province": averages}, drawn)
    return board


def ranking_sheet(board: Board) -> pl.DataFrame:
    names = {row[board.level]: row["region"].name for row in board.rows}
    return board.frame.select(
        pl.col("rank").alias("名次"),
        pl.col(board.level).replace_strict(names, return_dtype=pl.Utf8).alias(str(LEVELS[board.level])),
        pl.col("enterprises").alias("企业数"),
        pl.col("land_mu").round(2).alias("用地面积(亩)"),
        pl.col("tax").round(2).alias("税收(万元)"),
        pl.col("tax_per_mu").round(2).alias("亩均税收(万元/亩)"),
        pl.col("tax_per_mu_vs_city").round(1).alias("亩均税收较全市(%)"),
        pl.col("tax_per_mu_vs_province").round(1).alias("亩均税收较全省(%)"),
        pl.col("value_added").round(2).alias("增加值(万元)"),
        pl.col("value_added_per_mu").round(2).alias("亩均增加值(万元/亩)"),
        pl.col("value_added_per_mu_vs_city").round(1).alias("亩均增加值较全市(%)"),
        pl.col("value_added_per_mu_vs_province").round(1).alias("亩均增加值较全省(%)"),
    )


def rankings(request):
    """Counties, towns or parks ranked by a per-mu figure of a published year against the city's and the
    province's averages, with the trend over the years (?year, level, metric; ?format=xlsx downloads)."""
    form = RankingsForm(request.GET)
    context = {"form": form, "board": None}
    values = form.cleaned_data if form.is_valid() else {}
    if values.get("year"):
        level, metric = values.get("level") or "county", values.get("metric") or "tax"
        xlsx = request.GET.get("format") == "xlsx"
        board = ranking_board(values["year"], level, metric, with_chart=not xlsx)
        if xlsx:
            return xlsx_response({str(LEVELS[level]): ranking_sheet(board)}, f"亩均效益排名-{board.year}-{level}.xlsx")
        context.update(board=board, query=request.GET.urlencode())
    return render(request, "evaluation/rankings.html", context)


# --------------------------------------------------------------------------------------------------
# Panels


def figures_version() -> tuple:
    """What the figures are read from, by its newest change: the published runs, and the enterprise-years,
    enterprises and provincial averages by their newest history row (every write, bulk imports too, records
    history). Equal versions give equal figures."""
    runs = Run.objects.filter(status=Run.Status.PUBLISHED).aggregate(count=Count("pk"), last=Max("published_at"))
    return (runs["count"], runs["last"] and runs["last"].timestamp(), *history_version(EnterpriseYear, Enterprise, ProvincialAverage))


def home_context() -> dict | None:
    """The latest published year: counties against the provincial average, the five firms highest in tax per mu.
    Kept in the cache while its figures stay the same: it reads every enterprise-year of the year, which the
    home page cannot afford on each request."""
    return kept("evaluation:home-benchmarks", figures_version(), _home_context)


def _home_context() -> dict | None:
    years = published_years()
    if not years:
        return None
    figures = figures_frame(years[-1:])
    board = ranking_board(years[-1], with_chart=False, frame=figures)
    frame = engine.leaders(figures.with_columns(city=pl.lit(1)), "city", 5)
    names = dict(Enterprise.objects.filter(pk__in=frame["enterprise_id"].to_list()).values_list("pk", "name"))
    top = [{**row, "name": names.get(row["enterprise_id"]), "division_name": division_label(row["division"])}
           for row in frame.iter_rows(named=True)]  # fmt: skip
    return {"board": board, "leaders": top}


def region_context(region: Region) -> dict | None:
    """A region's per-mu figures of every published year beside the city's and the province's, and their trend."""
    years = published_years()
    if not years:
        return None
    frame = figures_frame(years)
    city = engine.city_figures(frame)
    averages = provincial_averages()
    if region.level == Region.Level.CITY:
        own = city
    else:
        own = engine.region_figures(frame, region.level).filter(pl.col(region.level) == region.pk)
    if own.height == 0:
        return None
    city_rows = {row["year"]: row for row in city.iter_rows(named=True)}
    rows = []
    for row in own.iter_rows(named=True):
        province = averages.get(row["year"], {})
        rows.append({**row, "city": city_rows[row["year"]], "province": province,
                     "tax_vs_city": _gap(row["tax_per_mu"], city_rows[row["year"]]["tax_per_mu"]),
                     "tax_vs_province": _gap(row["tax_per_mu"], province.get("tax"))})  # fmt: skip
    chart = ""
    if region.level != Region.Level.CITY:
        trends = engine.region_figures(frame, region.level)
        chart = trend_chart(trends, region.level, "tax", {region.pk: region}, {"city": city, "province": averages}, [region.pk])
    return {"benchmark_rows": rows, "benchmark_chart": chart}


def _gap(value, benchmark):
    return None if value is None or not benchmark else (value / benchmark - 1) * 100
