"""A page past the middle of a list is read from the end in reverse order (mujun.core.queries.page_ids):
its rows must be exactly those the plain OFFSET query gives, whatever the order, the page size and the
page, rows with equal sort keys (and missing values) included."""

import datetime as dt

import pytest
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.core.queries import IdsFirstPaginator, page_ids, totally_ordered
from mujun.enterprises.models import Enterprise
from mujun.enterprises.tables import EnterpriseTable

ROWS = 37
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Keys with many ties (three names, two regions, a few areas and dates, some missing) and a unique one.
KEYS = ["name", "-name", "land_mu", "-land_mu", "region__name", "-region__name", "established_on",
        "-established_on", "uscc", "-active"]  # fmt: skip
EXPRESSIONS = [F("land_mu").asc(nulls_last=True), F("established_on").desc(nulls_first=True)]
orderings = st.lists(st.sampled_from(KEYS + EXPRESSIONS), min_size=0, max_size=3)


@pytest.fixture
def enterprises(make_enterprise, regions):
    for n in range(ROWS):
        make_enterprise(
            n,
            region=regions.wuxing if n % 3 else regions.nanxun,
            name=["湖州甲厂", "湖州乙厂", "湖州丙厂"][n % 3 if n % 5 else 0],
            land_mu=None if n % 7 == 0 else float(n % 4),
            established_on=None if n % 4 == 0 else dt.date(2020, 1 + n % 2, 1),
        )


def naive_page(queryset, bottom, top) -> list[int]:
    """The page by OFFSET from the start, in the same total order."""
    return list(totally_ordered(queryset).values_list("pk", flat=True)[bottom:top])


def test_the_total_order_only_orders_ties(enterprises):
    queryset = Enterprise.objects.order_by("name")
    assert [e.name for e in totally_ordered(queryset)] == [e.name for e in queryset]
    assert totally_ordered(Enterprise.objects.order_by("name")).query.order_by == ("name", "pk")
    assert totally_ordered(Enterprise.objects.order_by("-name")).query.order_by == ("-name", "-pk")
    assert totally_ordered(Enterprise.objects.all()).query.order_by == ("name", "pk")  # the model's ordering


def test_a_page_from_the_end_holds_the_rows_of_the_offset_query(enterprises):
    @EXAMPLES
    @given(ordering=orderings, per_page=st.integers(1, 12), page=st.integers(1, 40))
    def check(ordering, per_page, page):
        queryset = Enterprise.objects.order_by(*ordering) if ordering else Enterprise.objects.all()
        count = queryset.count()
        bottom = min((page - 1) * per_page, count)
        top = min(bottom + per_page, count)
        assert page_ids(queryset, bottom, top, count) == naive_page(queryset, bottom, top)

    check()


def test_the_paginator_shows_the_rows_of_the_offset_query_on_every_page(enterprises):
    columns = ["name", "-name", "land_mu", "-land_mu", "region", "-region", "uscc", "-established_on"]

    @EXAMPLES
    @given(order_by=st.lists(st.sampled_from(columns), min_size=1, max_size=2, unique=True),
           per_page=st.integers(1, 12), orphans=st.integers(0, 3), data=st.data())  # fmt: skip
    def check(order_by, per_page, orphans, data):
        table = EnterpriseTable(Enterprise.objects.select_related("region"), order_by=order_by)
        table.paginate(paginator_class=IdsFirstPaginator, per_page=per_page, orphans=orphans)
        page = data.draw(st.integers(1, table.paginator.num_pages))
        table.paginate(paginator_class=IdsFirstPaginator, per_page=per_page, orphans=orphans, page=page)
        bottom = (page - 1) * per_page
        top = ROWS if page == table.paginator.num_pages else bottom + per_page
        shown = [row.record.pk for row in table.page.object_list]
        assert shown == naive_page(table.data.data, bottom, top)
        assert len(shown) == top - bottom

    check()
