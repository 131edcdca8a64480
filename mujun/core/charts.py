"""Plotly charts in pages that run no inline script (the Content-Security-Policy): the figure travels as JSON
in a data attribute; core/mujun.js draws it with the plotly.js the page loads."""

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


def chart_html(figure) -> str:
    """Every chart reads the Chinese way: thousands separated by commas, never SI suffixes (k, M, G) that
    no official writes; x values (regions, months, rounds) are categories, so "2024-05" is not turned into
    an English month name."""
    figure.update_layout(separators=".,")
    figure.update_yaxes(tickformat=",~f", hoverformat=",.2~f", exponentformat="none", separatethousands=True)
    if figure.layout.xaxis.type is None:
        figure.update_xaxes(type="category")
    return format_html('<div class="plotly-chart" data-plotly-figure="{}"></div>', pio.to_json(figure, pretty=False))
