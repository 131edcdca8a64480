"""Request bodies the fuzz test found answered 500: each is refused with a 400 naming the field."""


def test_an_enterprise_year_beyond_the_calendar_is_refused(city_admin, client_as, make_enterprise):
    """It answered 500: a revenue of 20 million yuan marks the enterprise's projects 上规 as of the year's
    end, and year 34303 has no end."""
    from mujun.enterprises.models import EnterpriseYear

    figures = EnterpriseYear.objects.create(enterprise=make_enterprise(1), year=2024, land_mu=10, revenue=5000)
    client = client_as(city_admin)
    for year in (0, 34303):  # PostgreSQL's smallint refuses 34303 itself
        response = client.patch(f"/api/enterprise-years/{figures.pk}/", {"year": year}, content_type="application/json")
        assert response.status_code == 400
        assert list(response.json()) == ["year"]
    figures.refresh_from_db()
    assert figures.year == 2024
