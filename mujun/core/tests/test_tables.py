"""The platform's table columns (mujun.core.tables) render cells exactly as django-tables2's own do."""

import django_tables2 as tables
import polars as pl
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from mujun.core.tables import BooleanColumn, frame_data
from mujun.enterprises.models import Enterprise


def cells(table_class, records) -> list[str]:
    table = table_class(records)
    return [str(row.get_cell("flag")) for row in table.rows]


def test_a_boolean_cell_is_the_stock_columns_mark(make_enterprise):
    records = [make_enterprise(1, active=True), make_enterprise(2, active=False), make_enterprise(3, active=True)]

    def table_with(column_class, **options):
        return type("Table", (tables.Table,), {"flag": column_class(accessor="active", **options)})

    assert cells(table_with(BooleanColumn), records) == cells(table_with(tables.BooleanColumn), records)
    assert "true" in cells(table_with(BooleanColumn), records)[0] and "false" in cells(table_with(BooleanColumn), records)[1]
    options = {"yesno": (_("Yes"), _("No")), "attrs": {"span": {"class": "mark"}}}
    for language in ("en", "zh-hans"):  # the mark in the language of the request
        with translation.override(language):
            assert cells(table_with(BooleanColumn, **options), records) == cells(table_with(tables.BooleanColumn, **options), records)
    plain = [{"active": 1}, {"active": 0}]  # not a model: no choices to read
    assert cells(table_with(BooleanColumn), plain) == cells(table_with(tables.BooleanColumn), plain)


def test_a_model_tables_boolean_fields_get_the_platform_column():
    class EnterpriseFlags(tables.Table):
        class Meta:
            model = Enterprise
            fields = ["above_scale", "active"]

    assert all(type(column) is BooleanColumn for column in EnterpriseFlags.base_columns.values())


def test_a_frame_pages_and_sorts_as_the_list_of_its_rows():
    class Ledger(tables.Table):
        code = tables.Column()
        area = tables.Column()

    frame = pl.DataFrame({"code": [f"P{i:03d}" for i in range(23)], "area": [float((i * 7) % 10) for i in range(23)]})

    def shown(data, query: str) -> list[tuple]:
        table = Ledger(data)
        tables.RequestConfig(RequestFactory().get("/" + query), paginate={"per_page": 5}).configure(table)
        return [(row.get_cell("code"), row.get_cell("area")) for row in table.page.object_list]

    for query in ("", "?page=3", "?page=5", "?sort=area", "?sort=-area&page=2", "?sort=code&page=4"):
        assert shown(frame_data(frame), query) == shown(frame.to_dicts(), query), query
    assert shown(frame_data(frame), "?sort=-area")[0][1] == 9.0
    assert len(Ledger(frame_data(frame)).rows) == 23 and [row["code"] for row in frame_data(frame).data][-1] == "P022"
