"""``mujun.core.links.reverse`` gives Django's URL for every view of the URL configuration."""

import itertools

import pytest
from django.urls import NoReverseMatch
from django.urls import reverse as django_reverse
from django.utils.translation import override

from mujun.core.links import reverse
from mujun.core.views import named_views


def view_names():
    return [name for name, _view in named_views()]


def test_every_view_reversed_with_integers_gives_django_s_url():
    checked = 0
    for name, count in itertools.product(sorted(set(view_names())), range(4)):
        for args in ([0] * count, [7] * count, list(range(2024, 2024 + count)), [123456789] * count):
            try:
                expected = django_reverse(name, args=args)
            except (NoReverseMatch, TypeError) as error:  # TypeError: DRF's format suffix takes no number
                with pytest.raises(type(error)):
                    reverse(name, args=args)
                continue
            for language in ("zh-hans", "en"):
                with override(language):
                    assert reverse(name, args=args) == expected, (name, args)
            checked += count > 0
    assert checked > 100  # views with a record's key in their URL, each with several keys


def test_other_arguments_are_django_s_reverse():
    name = next(name for name in view_names() if name.endswith("_detail"))
    assert reverse(name, kwargs={"pk": 5}) == django_reverse(name, kwargs={"pk": 5})
    assert reverse(name, args=["5"]) == django_reverse(name, args=["5"])
    with pytest.raises(NoReverseMatch):
        reverse(name, args=[-1])
    assert reverse("home") == django_reverse("home")
