"""The demo city holds together: the loop parcel → project → enterprise agrees in the database."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from mujun.enterprises.models import Enterprise, EnterpriseYear
from mujun.projects import demo as projects_demo
from mujun.projects.models import Project
from mujun.regions.models import county_map


@pytest.fixture
def demo_city(monkeypatch):
    monkeypatch.setattr(projects_demo, "PROJECTS", 150)
    monkeypatch.setattr(projects_demo, "PROVINCIAL", 20)
    call_command("demo", "--no-serve", "--above", "60", "--below", "40", stdout=StringIO())


@pytest.mark.django_db
def test_in_a_fresh_demo_links_agree_on_county_and_holder_and_above_scale_projects_on_statistics(demo_city):
    counties = county_map()
    links = list(
        Project.parcels.through.objects.values_list(
            "project__region_id", "project__enterprise_id", "parcel__region_id", "parcel__holder_id"
        )
    )
    assert len(links) > 50
    disagreeing = [link for link in links if counties[link[0]] != counties[link[2]] or link[1] != link[3]]
    assert disagreeing == []
    # Every project that has its enterprise stands on that enterprise's land.
    assert not Project.objects.exclude(enterprise=None).filter(parcels=None).exists()

    # Every enterprise with an above-scale (上规) project is above scale in a stored year.
    firms = set(Project.objects.filter(stage="above_scale").values_list("enterprise_id", flat=True))
    assert len(firms) > 5 and None not in firms
    above = set(EnterpriseYear.objects.filter(above_scale=True).values_list("enterprise_id", flat=True))
    assert firms <= above

    # An enterprise's parcels add up to the land it holds; industrial projects are in manufacturing.
    for land_mu, parcels_mu in Enterprise.objects.annotate(parcels_mu=Sum("parcels__area_mu")).values_list(
        "land_mu", "parcels_mu"
    ):
        assert parcels_mu == pytest.approx(land_mu, rel=0.1)
    industrial = Project.objects.filter(field="manufacturing").values_list("industry_code", flat=True)
    assert all(code[0] == "C" and 13 <= int(code[1:3]) <= 43 for code in industrial)
