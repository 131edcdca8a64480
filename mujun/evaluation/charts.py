"""Charts of a run, built with plotly from the run's summary (no query over its results)."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from mujun.core.charts import chart_html

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
