"""The small demo city that the list pages' tests request (the fixture is made known to them in conftest.py)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from mujun.collection.services import open_collection
from mujun.core.management.commands._demo_data import load_demo
from mujun.evaluation.models import Run
from mujun.regions.models import Region


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
