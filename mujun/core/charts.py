"""Plotly charts in pages that run no inline script (the Content-Security-Policy): the figure travels as JSON
in a data attribute; core/mujun.js draws it with the plotly.js the page loads."""

import functools
import re

import plotly.io as pio
from django.utils.html import format_html
from django.utils.translation import gettext as _

# 1 亿元 = 10,000 万元: past it, an axis in 万元 reads as five-digit numbers.
YI_IN_WAN = 10_000


def money_axis(*series: list) -> tuple[list[list], str]:
    """Amounts held in 万元 (several series sharing one axis) and the unit to title the axis with: in 亿元 once
    the largest reaches 1 亿元, else in 万元."""
    largest = max((abs(v) for values in series for v in values if v is not None), default=0)
    if largest < YI_IN_WAN:
        return [list(values) for values in series], _("10k yuan")
    return [[None if v is None else v / YI_IN_WAN for v in values] for values in series], _("100M yuan")


# How every y axis shows its numbers: see chart_html.
Y_AXIS_FORMAT = {"tickformat": ",~f", "hoverformat": ",.2~f", "exponentformat": "none", "separatethousands": True}


@functools.cache
def _default_template() -> dict:
    """The layout template plotly gives every Figure (its colours, fonts and grid)."""
    return pio.templates[pio.templates.default].to_plotly_json()


def chart_html(figure) -> str:
    """Every chart reads the Chinese way: thousands separated by commas, never SI suffixes (k, M, G) that
    no official writes; x values (regions, months, rounds) are categories, so "2024-05" is not turned into
    an English month name.

    ``figure`` is a plotly Figure, or the same figure as plotly's JSON: ``{"data": [{"type": "bar", …}],
    "layout": {"title": {"text": …}, …}}``. The JSON form skips plotly's validated object tree (tens of
    milliseconds a chart), for the pages that draw several charts and must answer at once."""
    if isinstance(figure, dict):
        spec = {"data": figure["data"], "layout": {"template": _default_template(), **figure.get("layout", {})}}
    else:
        spec = figure.to_plotly_json()
    layout = spec["layout"] = {**spec["layout"], "separators": ".,"}

    def axes(letter: str) -> list[str]:  # every axis of that letter, as plotly's update_xaxes/update_yaxes
        return [f"{letter}axis", *(key for key in layout if re.fullmatch(rf"{letter}axis\d+", key))]

    for axis in axes("y"):
        layout[axis] = {**layout.get(axis, {}), **Y_AXIS_FORMAT}
    if layout.get("xaxis", {}).get("type") is None:
        for axis in axes("x"):
            layout[axis] = {**layout.get(axis, {}), "type": "category"}
    return format_html(
        '<div class="plotly-chart" data-plotly-figure="{}"></div>', pio.to_json(spec, validate=False, pretty=False)
    )
