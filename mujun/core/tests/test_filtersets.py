"""The filterset base: query values the database cannot take are form errors (400 in the API), not 500s."""

import django_filters
import pytest
from django.http import QueryDict
from drf_spectacular.drainage import get_override

from mujun.core.filtersets import FilterSet
from mujun.core.models import User


class UserFilterSet(FilterSet):
    region = django_filters.NumberFilter(field_name="region_id")  # a foreign key, as ?holder= on parcels
    name = django_filters.CharFilter(field_name="username")
    joined = django_filters.DateFromToRangeFilter(field_name="date_joined")
    role = django_filters.MultipleChoiceFilter(choices=User.Role.choices)

    class Meta:
        model = User
        fields = ["id", "region", "name", "joined", "role"]


def errors(query: str) -> dict:
    filterset = UserFilterSet(QueryDict(query), queryset=User.objects.all())
    assert filterset.is_valid() == (not filterset.errors)
    if not filterset.errors:
        list(filterset.qs)  # the database takes the query
    return filterset.errors


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["-1.3e79", "1e400", "99999999999999999999", "1.5", "NaN"])
def test_an_id_the_column_cannot_hold_is_refused(value):
    assert set(errors(f"region={value}")) == {"region"}
    assert set(errors(f"id={value}")) == {"id"}


@pytest.mark.django_db
def test_ids_within_the_column_filter():
    assert errors("region=9223372036854775807&id=-9223372036854775808") == {}


@pytest.mark.django_db
def test_a_single_value_filter_refuses_several_values():
    assert errors("region=1&region=2") == {"region": ["只能给出一个值"]}
    assert set(errors("name=a&name=b")) == {"name"}
    assert set(errors("joined_after=2024-01-01&joined_after=2025-01-01")) == {"joined"}


@pytest.mark.django_db
def test_multiple_choices_and_ranges_take_their_values():
    assert errors("role=viewer&role=city_admin") == {}
    assert errors("joined_after=2024-01-01&joined_before=2025-01-01") == {}


def test_the_api_schema_states_the_range_of_an_id():
    assert get_override(UserFilterSet.base_filters["region"], "field") == {
        "type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1,
    }  # fmt: skip
