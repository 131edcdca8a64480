"""Plotly charts in pages that run no inline script (the Content-Security-Policy): the figure travels as JSON
in a data attribute; core/mujun.js draws it with the plotly.js the page loads."""

import plotly.io as pio
from django.utils.html import format_html


def chart_html(figure) -> str:
    return format_html('<div class="plotly-chart" data-plotly-figure="{}"></div>', pio.to_json(figure, pretty=False))
