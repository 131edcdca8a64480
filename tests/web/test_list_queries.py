"""Every list page reads its rows in a number of queries that does not grow with the rows it shows: no
query per row (N+1) for a related record, a count or a link. Each page of the demo city is requested
showing one row and then showing many; both must take the same queries."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mujun.core.views import list_url_names

from .city import UNDER_ABSENT_RECORDS, page_path, shown_list_names

MANY = 40


def rows_and_queries(client, path: str, per_page: int) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"per_page": per_page})
    assert response.status_code == 200, path
    return len(response.context["table"].page.object_list), len(queries)


def test_every_list_page_but_those_under_absent_records_is_checked():
    assert UNDER_ABSENT_RECORDS <= set(list_url_names())


@pytest.mark.parametrize("name", shown_list_names())
def test_a_list_page_takes_the_same_queries_for_one_row_as_for_many(demo_city, db, client, name):
    client.force_login(get_user_model().objects.get(username="admin"))
    path = page_path(name)
    rows_and_queries(client, path, MANY)  # warm-up: sessions, caches of the first request
    one_row, queries_for_one = rows_and_queries(client, path, 1)
    many_rows, queries_for_many = rows_and_queries(client, path, MANY)
    assert one_row == 1 and many_rows > 1, f"{path}: the demo city lists {many_rows} rows here, too few to tell"
    assert queries_for_many == queries_for_one, f"{path}: {queries_for_one} queries for one row, {queries_for_many} for {many_rows}"
