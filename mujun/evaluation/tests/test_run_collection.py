"""A run starts from closed data collections only, and its input snapshot records each collected figure's source."""

import pytest
from django.core.exceptions import ValidationError

from mujun.collection import services as collection
from mujun.collection.models import Supplier
from mujun.evaluation import services
from mujun.evaluation.models import Run
from mujun.evaluation.tests.conftest import YEAR

pytestmark = pytest.mark.django_db


def test_a_run_waits_for_the_open_collection_and_its_snapshot_names_the_sources(city_admin, regions, scheme, county_data, client_as):
    tax_bureau = Supplier.objects.create(name="国家税务总局湖州市税务局", region=regions.city, columns=["tax"])
    gathering = collection.open_collection(regions.wuxing, YEAR, city_admin)
    firm = county_data["wuxing"][0]
    delivery = collection.upload_workbook(
        gathering, tax_bureau, city_admin, f"统一社会信用代码,实缴税金(万元)\n{firm.uscc},321.5\n".encode(), "税.csv"
    )

    run = Run.objects.create(name="湖州市", scheme=scheme, year=YEAR, region=regions.city, created_by=city_admin)
    with pytest.raises(ValidationError, match="吴兴区2024年度数据归集尚未关闭"):
        services.start_run(run, city_admin)
    run.refresh_from_db()
    assert run.status == Run.Status.PENDING and run.started_by is None
    # The page's form and the API refuse it as well, before any run is created.
    page = client_as(city_admin).post("/evaluation/runs/add/", {"scheme": scheme.pk, "region": regions.wuxing.pk, "year": YEAR})
    assert "数据归集尚未关闭" in page.content.decode()
    api = client_as(city_admin).post("/api/evaluation/runs/", {"scheme": scheme.pk, "region": regions.city.pk}, content_type="application/json")
    assert api.status_code == 400 and "数据归集尚未关闭" in str(api.json())
    assert Run.objects.count() == 1

    collection.close_collection(gathering, city_admin, confirm=True)
    services.start_run(run, city_admin)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.message
    snapshot = services.load_snapshot(run)
    row = snapshot.filter(snapshot["enterprise_id"] == firm.pk).row(0, named=True)
    assert row["tax"] == 321.5 and row["来源|tax"] == delivery.upload.source_label
    assert snapshot.filter(snapshot["enterprise_id"] == county_data["nanxun"][0].pk)["来源|tax"].to_list() == [None]
    assert services.reproduce_run(run).identical
