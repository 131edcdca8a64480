"""Query parameters the database cannot take answer 400 naming the parameter (API) or show as an error of
the filter form (pages): never 500 (issue 8, item 9)."""

import pytest


@pytest.fixture
def admin(city_admin, client_as):
    return client_as(city_admin)


@pytest.mark.parametrize("holder", ["-1.3e79", "1e400", "1.5"])
def test_a_holder_no_record_can_have_is_a_bad_request(admin, holder):
    response = admin.get("/api/parcels/", {"holder": holder})
    assert response.status_code == 400
    assert list(response.json()) == ["holder"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/enterprise-years/?year=2024&year=2025",
        "/api/evaluation/runs/?year=2024&year=2025",
        "/api/inspection-rounds/?year=2024&year=2025",  # filters from the viewset's filterset_fields
        "/api/parcels/?holder=1&holder=2",
    ],
)
def test_several_values_for_one_value_are_a_bad_request(admin, url):
    response = admin.get(url)
    assert response.status_code == 400
    assert list(response.json().values()) == [["只能给出一个值"]]


def test_the_parcel_list_page_shows_the_bad_holder_as_a_form_error(admin):
    response = admin.get("/land/", {"holder": "-1.3e79"})
    assert response.status_code == 200
    assert "输入整数" in response.content.decode()  # Django's "Enter a whole number."


def test_the_schema_states_the_holder_is_a_record_id(admin):
    schema = admin.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/parcels/"]["get"]["parameters"]}
    assert parameters["holder"]["schema"] == {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}
