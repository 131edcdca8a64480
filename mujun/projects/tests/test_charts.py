"""The portfolio's charts read as an official's report does: amounts in 万元, or 亿元 once large, Chinese axis
titles, thousands separated by commas and never "k"/"M"."""

from datetime import date

from mujun.core.tests.fixtures import plotly_figures
from mujun.projects.services import submit_report


def test_portfolio_charts_in_yi_yuan_with_chinese_numbers(client_as, project, operator_wuxing, viewer):
    project.plan_year, project.annual_plan = 2024, 25_000  # 2.5 亿元
    project.save()
    submit_report(project, date(2024, 5, 1), 12_000, None, "", [], operator_wuxing)

    page = client_as(viewer).get("/projects/portfolio/", {"year": 2024}).content.decode()
    charts = plotly_figures(page)
    assert len(charts) == 4  # by field, by region, by level, by month
    for chart in charts:
        layout = chart["layout"]
        assert layout["separators"] == ".,"
        assert layout["yaxis"]["exponentformat"] == "none" and layout["yaxis"]["tickformat"] == ",~f"
        assert layout["yaxis"]["title"]["text"] == "亿元"
        assert layout["xaxis"]["type"] == "category"
    by_field = charts[0]["data"]
    assert by_field[0]["y"] == [2.5] and by_field[1]["y"] == [1.2]
    by_month = charts[3]
    assert by_month["layout"]["xaxis"]["title"]["text"] == "月份"
    assert "2024-05" in by_month["data"][0]["x"]
