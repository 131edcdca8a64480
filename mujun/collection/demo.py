"""Demo data collection: the city's 2024 figures delivered by five departments, each in its own workbook and
headers (made from the stored 2024 figures), with a few deliberate disagreements (the tax bureau's and the
statistics bureau's revenue for a handful of firms, a corrected second delivery, an unknown credit code, an
electricity figure far from last year's), the conflicts resolved and the collection closed, all through the
collection's services. Runs before the evaluation's demo, which then evaluates 2024 from closed data."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from mujun.collection import services
from mujun.collection.models import Supplier
from mujun.core.clock import replaying
from mujun.core.history import bulk_create
from mujun.engine.io import INPUT_COLUMNS, write_workbook
from mujun.engine.uscc import make_uscc
from mujun.enterprises.models import EnterpriseYear

YEAR = 2024
# department, its staff's user name and name, its columns, its own headers (header -> column), priorities,
# and whether it sends an Excel workbook (else CSV)
DEPARTMENTS = [
    ("国家税务总局湖州市税务局", "data_tax", "沈丽", ["tax", "revenue", "land_use_tax"],
     {"纳税人识别号": "uscc", "纳税人名称": "name", "入库税收合计(万元)": "tax", "开票销售收入(万元)": "revenue"},
     {"tax": 10, "land_use_tax": 10}, False),
    ("国网湖州供电公司", "data_power", "陆海", ["electricity_10k_kwh"],
     {"用户统一社会信用代码": "uscc", "用户名称": "name", "售电量(万千瓦时)": "electricity_10k_kwh"}, {}, True),
    ("湖州市统计局", "data_stats", "姚静", ["revenue", "value_added", "employees", "rd_expense", "energy_tce"],
     {"单位名称": "name", "营业收入(万元)": "revenue", "年平均从业人员(人)": "employees"},
     {"revenue": 10, "value_added": 10, "employees": 10}, False),
    ("湖州市生态环境局", "data_eco", "钟涛", ["emission_eq"],
     {"排污单位统一社会信用代码": "uscc", "排污单位名称": "name", "序号": "-"}, {}, False),
    ("湖州市自然资源和规划局", "data_land", "邵军", ["land_mu"],
     {"用地单位统一社会信用代码": "uscc", "用地单位名称": "name", "实际用地面积(亩)": "land_mu"}, {}, False),
]  # fmt: skip
DISAGREEING_REVENUES = 5  # firms whose revenue the tax bureau reports 15 % higher than the statistics bureau


def load(context) -> None:
    User = get_user_model()
    password = make_password(context.password)
    staff = bulk_create(
        User,
        [User(username=u, first_name=n, password=password, role=User.Role.DATA_SUPPLIER) for _d, u, n, *_r in DEPARTMENTS],
        user=context.admin,
    )
    suppliers = bulk_create(
        Supplier,
        [Supplier(name=d, region=context.city, columns=c, aliases=a, priorities=p) for d, _u, _n, c, a, p, _x in DEPARTMENTS],
        user=context.admin,
    )
    for supplier, user in zip(suppliers, staff):
        supplier.members.add(user)

    stored = _stored_figures()
    if stored.is_empty():
        context.log("collection: no 2024 figures, no collection")
        return
    # At the dates of a real year: opened in February, each department delivering in the weeks after, closed
    # in March before the evaluation in April.
    with replaying(dt.date(YEAR + 1, 2, 10)):
        collection = services.open_collection(context.city, YEAR, context.admin)
    disagreeing = stored["uscc"].head(DISAGREEING_REVENUES).to_list()
    for day, (supplier, user, (*_head, excel)) in enumerate(zip(suppliers, staff, DEPARTMENTS)):
        frame = _department_figures(stored, supplier, disagreeing)
        content, filename = _workbook(frame, supplier, excel)
        with replaying(dt.date(YEAR + 1, 2, 20) + dt.timedelta(days=2 * day)):
            delivery = services.upload_workbook(collection, supplier, user, content, filename)
        context.log(f"collection: {delivery.upload} — {delivery.upload.figures} figures, {delivery.conflicts} conflicts")

    # The statistics bureau corrects one firm's employees by hand: a second version, changed from the first.
    statistics, statistics_staff = suppliers[2], staff[2]
    first = stored.row(DISAGREEING_REVENUES + 1, named=True)
    if first["employees"]:
        with replaying(dt.date(YEAR + 1, 3, 5)):
            services.enter_figures(collection, statistics, statistics_staff, first["uscc"], {"employees": str(round(first["employees"] * 1.2))})

    # The city's operator checks each conflict: mostly the statistics bureau's revenue, now and then the tax
    # bureau's; a department's own correction stands.
    with replaying(dt.date(YEAR + 1, 3, 20)):
        for index, conflict in enumerate(collection.conflicts.order_by("enterprise__uscc", "column")):
            chosen = conflict.candidates[0 if index % 3 == 2 and conflict.kind == "sources" else -1]
            services.resolve_conflict(conflict, context.admin, str(chosen["value"]), "已与报送部门核实")
        outcome = services.close_collection(collection, context.admin, confirm=True)
    context.log(
        f"collection: {collection} closed, {outcome.updated} enterprise years updated; "
        f"department staff {', '.join(u.username for u in staff)}"
    )


def _stored_figures() -> pl.DataFrame:
    columns = sorted({c for _d, _u, _n, cs, *_r in DEPARTMENTS for c in cs})
    rows = EnterpriseYear.objects.filter(year=YEAR, enterprise__active=True).order_by("enterprise__uscc")
    return pl.DataFrame(
        list(rows.values_list("enterprise__uscc", "enterprise__name", *columns)),
        schema={"uscc": pl.Utf8, "name": pl.Utf8, **dict.fromkeys(columns, pl.Float64)},
        orient="row",
    )


def _department_figures(stored: pl.DataFrame, supplier: Supplier, disagreeing: list[str]) -> pl.DataFrame:
    """The department's rows: its columns of the stored figures, with its deliberate differences."""
    frame = stored.select("uscc", "name", *supplier.columns)
    if supplier.name == "国家税务总局湖州市税务局":
        frame = frame.with_columns(
            pl.when(pl.col("uscc").is_in(disagreeing)).then((pl.col("revenue") * 1.15).round(2)).otherwise("revenue").alias("revenue")
        )
    if supplier.name == "国网湖州供电公司":
        # One firm's meter reading four times last year's: an anomaly; and one code of no enterprise of the city.
        odd = frame["uscc"][frame.height // 2]
        frame = frame.with_columns(
            pl.when(pl.col("uscc") == odd).then(pl.col("electricity_10k_kwh") * 4).otherwise("electricity_10k_kwh")
            .alias("electricity_10k_kwh")
        )
        stranger = pl.DataFrame({"uscc": [make_uscc("91330500MA9999999")], "name": ["湖州某已注销企业"],
                                 "electricity_10k_kwh": [12.5]})  # fmt: skip
        frame = pl.concat([frame, stranger], how="vertical_relaxed")
    return frame


def _workbook(frame: pl.DataFrame, supplier: Supplier, excel: bool) -> tuple[bytes, str]:
    """The frame in the department's own headers, as its Excel workbook or CSV."""
    own = {column: header for header, column in supplier.aliases.items() if column != "-"}
    headers = {column: own.get(column, INPUT_COLUMNS[column]) for column in frame.columns}
    if "-" in supplier.aliases.values():  # a running number the department's sheet has
        frame = frame.with_row_index(next(h for h, c in supplier.aliases.items() if c == "-"), offset=1)
    buffer = io.BytesIO()
    if excel:
        write_workbook({f"{YEAR}年": frame}, buffer, headers=headers)
        return buffer.getvalue(), f"{supplier.name}{YEAR}年度数据.xlsx"
    frame.rename({c: h for c, h in headers.items()}).write_csv(buffer)
    return buffer.getvalue(), f"{supplier.name}{YEAR}年度数据.csv"
