"""The audit of enterprises created in bulk: their first change shows what was there before, and who
put it there."""

import io

from django.urls import reverse

from mujun.core.history import bulk_create
from mujun.enterprises.imports import EnterpriseImporter
from mujun.enterprises.models import Enterprise


def test_imported_enterprise_then_edited_shows_the_before_value_and_the_importing_user(
    city_admin, operator_wuxing, regions, client_as, uscc
):
    upload = f"统一社会信用代码,企业名称,所属区域,是否规上,用地面积(亩)\n{uscc(1)},湖州丝绸有限公司,吴兴区,否,50\n".encode()
    EnterpriseImporter(city_admin, year=2023).run(io.BytesIO(upload), filename="企业.csv")
    silk = Enterprise.objects.get(uscc=uscc(1))
    data = {"uscc": silk.uscc, "name": "湖州真丝有限公司", "region": regions.wuxing.pk, "land_mu": "55"}
    client = client_as(operator_wuxing)
    assert client.post(reverse("enterprises:enterprise_edit", args=[silk.pk]), data).status_code == 302

    history = client.get(silk.get_absolute_url()).context["history"]
    changed, created = (row for row in history if row["object"] == silk)
    assert (created["user"], created["type"]) == (city_admin, "已创建")
    assert (changed["user"], changed["type"]) == (operator_wuxing, "已修改")
    changes = {str(c["field"]): (c["old"], c["new"]) for c in changed["changes"]}
    assert changes == {"名称": ("湖州丝绸有限公司", "湖州真丝有限公司"), "用地面积(亩)": (50, 55)}


def test_records_created_in_bulk_get_a_creation_row_with_every_value_and_the_user(city_admin, regions, uscc):
    firms = [Enterprise(uscc=uscc(n), name=f"企业{n}", region=regions.zhili, land_mu=n, above_scale=True) for n in (1, 2)]
    bulk_create(Enterprise, firms, user=city_admin)

    fields = [f.attname for f in Enterprise.history.model.tracked_fields]
    for firm in Enterprise.objects.all():
        record = firm.history.get()
        assert (record.history_type, record.history_user) == ("+", city_admin)
        assert {name: getattr(record, name) for name in fields} == {name: getattr(firm, name) for name in fields}
