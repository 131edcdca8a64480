"""The small demo city that the list pages' tests request (the fixture is made known to them in conftest.py)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from mujun.collection.services import open_collection
from mujun.core.management.commands._demo_data import load_demo
from mujun.core.views import list_url_names
from mujun.evaluation.models import Run
from mujun.regions.models import Region

# Lists under a record the demo city does not hold (a robustness analysis is made before a run is posted;
# the demo's runs are published): their own app's tests request them.
UNDER_ABSENT_RECORDS = {"evaluation:robustness_detail"}


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker):
    """The small demo city, loaded once for the module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            load_demo(20, 10)
            admin = get_user_model().objects.get(username="admin")
            for county in Region.objects.filter(level="county"):  # the demo opens one collection: list several
                open_collection(county, 2025, admin)
            yield
            transaction.set_rollback(True)


def page_path(name: str) -> str:
    if name == "evaluation:run_results":
        return reverse(name, args=[Run.objects.filter(status=Run.Status.PUBLISHED).latest("year").pk])
    return reverse(name)


def shown_list_names() -> list[str]:
    """Every list page the demo city can show, by URL name."""
    return sorted(set(list_url_names()) - UNDER_ABSENT_RECORDS)
