"""The enterprise page lists the parcels the enterprise holds (a panel the land app registers there) and
flags land held that differs from its parcels by more than 10 %."""

import pytest

from mujun.land.models import Parcel


def enterprise_page(client_as, user, enterprise) -> str:
    return client_as(user).get(enterprise.get_absolute_url()).content.decode()


def test_the_enterprise_page_lists_its_parcels_and_no_others(regions, viewer, client_as, make_enterprise):
    firm, other = make_enterprise(1, region=regions.zhili, land_mu=9.5), make_enterprise(2, region=regions.zhili)
    Parcel.objects.create(code="ZL-1", region=regions.zhili, area_mu=5, holder=firm)
    Parcel.objects.create(code="ZL-2", region=regions.zhili, area_mu=4.5, holder=firm)
    Parcel.objects.create(code="ZL-9", region=regions.zhili, area_mu=30, holder=other)

    html = enterprise_page(client_as, viewer, firm)
    assert 'id="enterprise-parcels"' in html
    assert "ZL-1" in html and "ZL-2" in html and "ZL-9" not in html
    assert 'id="land-differs"' not in html  # 9.5 mu held on 9.5 mu of parcels


@pytest.mark.parametrize(
    ("held_mu", "parcel_mu", "flagged"),
    [
        (9.55, 36.6, True),  # the firm: 9.55 mu held on a 36.6 mu parcel
        (36.6, 9.55, True),
        (10.9, 10.0, False),  # within 10 %
        (11.1, 10.0, True),
        (8.9, 10.0, True),
        (5.0, None, True),  # holds land but no parcel
        (None, 10.0, False),  # nothing declared: nothing to compare
    ],
)
def test_land_held_differing_from_the_parcels_by_more_than_ten_percent_is_flagged(
    regions, viewer, client_as, make_enterprise, held_mu, parcel_mu, flagged
):
    firm = make_enterprise(1, region=regions.zhili, land_mu=held_mu)
    if parcel_mu is not None:
        Parcel.objects.create(code="ZL-1", region=regions.zhili, area_mu=parcel_mu, holder=firm)
    html = enterprise_page(client_as, viewer, firm)
    assert ('id="land-differs"' in html) is flagged
    assert ("相差超过 10%" in html) is flagged
