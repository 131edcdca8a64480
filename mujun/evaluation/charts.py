"""Charts of a run, built with plotly from the run's summary (no query over its results)."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from mujun.core.charts import chart_html, money_axis

YUAN_IN_WAN = 10_000

GRADE_COLOURS = {"A": "#198754", "B": "#0d6efd", "C": "#ffc107", "D": "#dc3545", "T": "#6c757d"}


def grade_distribution(summary: dict) -> str:
    """Stacked bars: per region, how many enterprises got each grade. An HTML fragment; the page loads
    plotly.js itself (served locally)."""
    regions = summary.get("regions", [])
    if not regions:
        return ""
    names = [r["name"] or "—" for r in regions]
    figure = go.Figure(
        [
            go.Bar(name=grade, x=names, y=[r["grades"].get(grade, 0) for r in regions], marker_color=colour)
            for grade, colour in GRADE_COLOURS.items()
            if any(r["grades"].get(grade) for r in regions)
        ]
    )
    figure.update_layout(
        barmode="stack",
        title=_("Grade distribution per region"),
        xaxis_title=_("region"),
        yaxis_title=_("Enterprises"),
        legend_title=_("grade"),
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
        height=360,
    )
    return chart_html(figure)


def transition_matrix(matrix, categories: list[str], names: dict[str, str]) -> str:
    """The grade transition matrix of a scheme comparison as a heat map: rows the run's grades, columns the
    second scheme's, each cell its count of enterprises."""
    labels = [names.get(c, c) for c in categories]
    counts = [[row[c] for c in categories] for row in matrix.iter_rows(named=True)]
    figure = go.Figure(
        go.Heatmap(
            z=counts, x=labels, y=[names.get(g, g) for g in matrix["grade_first"]], text=counts,
            texttemplate="%{text}", colorscale="Blues", showscale=False,
            hovertemplate=_("first %{y} → second %{x}: %{z}") + "<extra></extra>",
        )
    )  # fmt: skip
    figure.update_layout(
        title=_("Grade transitions"),
        xaxis_title=_("Grade under the second scheme"),
        yaxis_title=_("Grade under the run's scheme"),
        yaxis={"autorange": "reversed", "type": "category"},
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        height=380,
    )
    return chart_html(figure)


def changes_by_region(by_region) -> str:
    """Per region: enterprises moving up and down a grade under the second scheme."""
    if by_region.is_empty():
        return ""
    names = [name or "—" for name in by_region["region"]]
    figure = go.Figure(
        [
            go.Bar(name=_("Up"), x=names, y=by_region["up"].to_list(), marker_color=GRADE_COLOURS["A"]),
            go.Bar(name=_("Down"), x=names, y=by_region["down"].to_list(), marker_color=GRADE_COLOURS["D"]),
        ]
    )
    figure.update_layout(
        barmode="group", title=_("Grade changes per region"), xaxis_title=_("region"), yaxis_title=_("Enterprises"),
        margin={"l": 40, "r": 20, "t": 50, "b": 40}, height=340,
    )  # fmt: skip
    return chart_html(figure)


def policy_money(money) -> str:
    """Per policy amount: the money under the run's scheme and under the second, in 万元 (or 亿元)."""
    if money.is_empty():
        return ""
    (first, second), unit = money_axis(
        [v / YUAN_IN_WAN for v in money["yuan_first"]], [v / YUAN_IN_WAN for v in money["yuan_second"]]
    )
    labels = money["label"].to_list()
    figure = go.Figure(
        [
            go.Bar(name=_("Run's scheme"), x=labels, y=first, marker_color="#6c757d"),
            go.Bar(name=_("Second scheme"), x=labels, y=second, marker_color="#0d6efd"),
        ]
    )
    figure.update_layout(
        barmode="group", title=_("Policy money"), yaxis_title=unit, margin={"l": 40, "r": 20, "t": 50, "b": 40},
        height=340,
    )  # fmt: skip
    return chart_html(figure)
