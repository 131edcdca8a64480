"""Figures kept until what they read changes (mujun.core.kept)."""

import hashlib
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from mujun.core import kept as kept_module
from mujun.core.kept import history_version, kept, kept_count


def counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_a_version_is_computed_once_and_a_new_version_again():
    compute, calls = counting({"figures": 1})
    assert kept("test", (1, "a"), compute) == {"figures": 1}
    assert kept("test", (1, "a"), compute) == {"figures": 1} and len(calls) == 1
    kept("test", (2, "a"), compute)
    kept("other", (1, "a"), compute)
    assert len(calls) == 3


def test_none_is_kept_too():
    compute, calls = counting(None)
    assert kept("test", (1,), compute) is None and kept("test", (1,), compute) is None and len(calls) == 1


@pytest.mark.django_db
def test_a_write_makes_a_new_version():
    User = get_user_model()
    user = User.objects.create_user("keeper", role="viewer")
    before = history_version(User)
    assert history_version(User) == before
    user.first_name = "王"
    user.save()
    assert history_version(User) != before


def test_another_process_computing_is_waited_for(monkeypatch):
    monkeypatch.setattr(kept_module, "COMPUTING_SECONDS", 5)
    key = f"mujun:{kept_module.code_version()}:test:" + hashlib.sha1(repr((7,)).encode()).hexdigest()
    cache.add(f"{key}:computing", True, 5)  # as another worker does while it computes
    compute, calls = counting("mine")
    threading.Timer(0.2, lambda: cache.set(key, "theirs")).start()
    assert kept("test", (7,), compute) == "theirs" and calls == []


def test_a_failed_computation_lets_the_next_request_compute(monkeypatch):
    def fail():
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        kept("test", (8,), fail)
    compute, calls = counting("again")
    assert kept("test", (8,), compute) == "again" and len(calls) == 1


def test_a_newer_build_does_not_read_what_an_older_one_kept(monkeypatch):
    compute, calls = counting("figures")
    kept("test", (9,), compute)
    monkeypatch.setattr(kept_module, "code_version", lambda: "newer")
    kept("test", (9,), compute)
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_count_is_kept_until_a_model_it_reads_changes(make_enterprise, regions, django_assert_num_queries):
    from mujun.enterprises.models import Enterprise

    make_enterprise(1)
    make_enterprise(2, region=regions.nanxun)
    everyone, in_nanxun = Enterprise.objects.all(), Enterprise.objects.filter(region_id__in=[regions.nanxun.pk])
    assert kept_count(everyone, Enterprise) == 2 and kept_count(in_nanxun, Enterprise) == 1  # a count per filter
    with django_assert_num_queries(1):  # the version only
        assert kept_count(everyone, Enterprise) == 2
    make_enterprise(3, region=regions.nanxun)
    assert kept_count(everyone, Enterprise) == 3 and kept_count(in_nanxun, Enterprise) == 2
    assert kept_count(Enterprise.objects.filter(pk__in=[]), Enterprise) == 0
