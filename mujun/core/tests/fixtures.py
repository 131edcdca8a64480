"""Shared pytest fixtures: a small region tree of Huzhou and one user per role.

Loaded for the whole test suite by the top-level ``conftest.py`` (``pytest_plugins``).

    湖州市 330500 (city)
    ├── 吴兴区 330502 (county) ── 织里镇 330502100 (town)
    └── 南浔区 330503 (county) ── 练市镇 330503100 (town)
"""

import pytest
from django.test import Client

from mujun.engine.uscc import make_uscc


class RegionTree(dict):
    """The fixture's regions by key, also as attributes: ``regions.wuxing`` is ``regions["wuxing"]``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def regions(db):
    """The region tree above: ``city``, ``wuxing``, ``nanxun``, ``zhili``, ``lianshi``."""
    from mujun.regions.models import Region

    city = Region.objects.create(code="330500", name="湖州市", level=Region.Level.CITY)
    wuxing = Region.objects.create(code="330502", name="吴兴区", level=Region.Level.COUNTY, parent=city)
    nanxun = Region.objects.create(code="330503", name="南浔区", level=Region.Level.COUNTY, parent=city)
    zhili = Region.objects.create(code="330502100", name="织里镇", level=Region.Level.TOWN, parent=wuxing)
    lianshi = Region.objects.create(code="330503100", name="练市镇", level=Region.Level.TOWN, parent=nanxun)
    return RegionTree(city=city, wuxing=wuxing, nanxun=nanxun, zhili=zhili, lianshi=lianshi)


def _user(username, role, region=None):
    from mujun.core.models import User

    return User.objects.create_user(username=username, password="pw-" + username, role=role, region=region)


@pytest.fixture
def city_admin(regions):
    return _user("city_admin", "city_admin", regions.city)


@pytest.fixture
def operator_wuxing(regions):
    """A county operator of 吴兴区."""
    return _user("operator_wuxing", "county_operator", regions.wuxing)


@pytest.fixture
def operator_nanxun(regions):
    """A county operator of 南浔区."""
    return _user("operator_nanxun", "county_operator", regions.nanxun)


@pytest.fixture
def viewer(regions):
    return _user("viewer", "viewer")


@pytest.fixture
def client_as():
    """``client_as(user)`` -> a test Client signed in as that user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def uscc():
    """``uscc(n)`` -> a valid, distinct unified social credit code for any integer n."""

    def make(n: int) -> str:
        return make_uscc(f"91330500MA{n:07d}")

    return make


@pytest.fixture
def make_enterprise(regions, uscc):
    """``make_enterprise(n, region=None, **fields)`` -> a saved Enterprise (default region 吴兴区)."""
    from mujun.enterprises.models import Enterprise

    def make(n: int, region=None, **fields) -> Enterprise:
        fields.setdefault("name", f"企业{n}")
        fields.setdefault("land_mu", 10.0)
        return Enterprise.objects.create(uscc=uscc(n), region=region or regions.wuxing, **fields)

    return make


def plotly_figures(page: str) -> list[dict]:
    """The figures of a page's charts, as core.charts.chart_html embeds them."""
    import html
    import json
    import re

    return [json.loads(html.unescape(f)) for f in re.findall(r'data-plotly-figure="([^"]*)"', page)]
