"""Exports read the queryset chunk by chunk (issue 11, item 3): the same frame, whatever the chunk size."""

import datetime

import polars as pl

from mujun.core import exports
from mujun.core.exports import ExportColumn, queryset_frame

COLUMNS = [
    ExportColumn("name", "企业名称"), ExportColumn("above_scale", "是否规上"), ExportColumn("land_mu", "用地面积(亩)"),
    ExportColumn("established_on", "成立日期"),
]


def test_chunks_make_the_frame_one_query_would(regions, make_enterprise, monkeypatch, django_assert_num_queries):
    from mujun.enterprises.models import Enterprise

    for number in range(1, 6):  # the last chunk is short; the dates are missing in some chunks only
        make_enterprise(number, above_scale=number % 2 == 0,
                        established_on=datetime.date(2020, 1, number) if number > 2 else None)
    queryset = Enterprise.objects.order_by("name")
    whole = queryset_frame(queryset, COLUMNS)
    monkeypatch.setattr(exports, "QUERY_CHUNK", 2)
    with django_assert_num_queries(1):
        chunked = queryset_frame(queryset, COLUMNS)
    assert chunked.equals(whole) and chunked.columns == [c.header for c in COLUMNS]
    assert chunked["是否规上"].to_list() == ["否", "是", "否", "是", "否"]
    assert chunked["成立日期"].to_list()[:3] == [None, None, datetime.date(2020, 1, 3)]
    assert chunked.schema["成立日期"] == pl.Date


def test_an_empty_queryset_gives_the_headers(regions):
    from mujun.enterprises.models import Enterprise

    empty = queryset_frame(Enterprise.objects.none(), COLUMNS)
    assert empty.height == 0 and empty.columns == [c.header for c in COLUMNS]
