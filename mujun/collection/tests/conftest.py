import pytest

from mujun.collection.models import Supplier
from mujun.collection.services import open_collection
from mujun.core.models import User
from mujun.enterprises.models import EnterpriseYear


@pytest.fixture
def firms(make_enterprise, regions):
    """Three enterprises of 吴兴区 (织里镇) and one of 南浔区, each with figures for 2023 and 2024."""
    made = []
    for n, region in ((1, regions.zhili), (2, regions.zhili), (3, regions.wuxing), (4, regions.lianshi)):
        enterprise = make_enterprise(n, region=region)
        for year in (2023, 2024):
            EnterpriseYear.objects.create(
                enterprise=enterprise, year=year, land_mu=10.0, tax=100.0 * n, revenue=1000.0 * n, value_added=300.0 * n
            )
        made.append(enterprise)
    return made


def _staff(username):
    return User.objects.create_user(username=username, password="pw-" + username, role=User.Role.DATA_SUPPLIER)


@pytest.fixture
def tax_staff(regions):
    return _staff("tax_staff")


@pytest.fixture
def stats_staff(regions):
    return _staff("stats_staff")


@pytest.fixture
def tax_bureau(regions, tax_staff):
    """The tax bureau: taxes, in its own headers; its tax figure wins."""
    supplier = Supplier.objects.create(
        name="国家税务总局湖州市税务局", region=regions.city, columns=["tax", "revenue"],
        aliases={"纳税人识别号": "uscc", "入库税收合计(万元)": "tax", "序号": "-"}, priorities={"tax": 10},
    )  # fmt: skip
    supplier.members.add(tax_staff)
    return supplier


@pytest.fixture
def stats_bureau(regions, stats_staff):
    """The statistics bureau: revenue and value added; its revenue wins."""
    supplier = Supplier.objects.create(
        name="湖州市统计局", region=regions.city, columns=["revenue", "value_added", "land_mu"],
        priorities={"revenue": 10},
    )  # fmt: skip
    supplier.members.add(stats_staff)
    return supplier


@pytest.fixture
def collection(regions, city_admin, firms, tax_bureau, stats_bureau):
    return open_collection(regions.city, 2024, city_admin)


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")
