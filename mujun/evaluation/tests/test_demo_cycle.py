"""The demo city's latest year goes through the whole cycle (issue 10, item 7): posted for seven days,
objections filed inside the window by towns and a county operator, each decided (upheld, figures corrected
and the run recomputed, regraded with a reason), then published; earlier years posted and published."""

from io import StringIO

import pytest
from django.core.management import call_command

from mujun.evaluation.models import Objection, Run


@pytest.mark.django_db
def test_the_demo_posts_reviews_and_publishes_its_latest_year():
    call_command("demo", "--no-serve", "--above", "60", "--below", "40", stdout=StringIO())
    runs = list(Run.objects.order_by("year"))
    assert all(run.status == Run.Status.PUBLISHED and run.posting_starts_on for run in runs)
    assert all(run.posting_ends_on < run.published_at.date() for run in runs)
    latest = runs[-1]
    assert (latest.posting_ends_on - latest.posting_starts_on).days == 6  # seven days, both included
    objections = list(latest.objections.select_related("filed_by__region"))
    assert len(objections) == 5
    assert {o.decision for o in objections} == {"upheld", "corrected", "regraded"}
    assert {o.filed_as for o in objections} == {"town", "county"}
    assert all(latest.posting_starts_on <= o.filed_at.date() <= latest.posting_ends_on for o in objections)
    assert all(o.decision_reason and o.decided_by.username == "admin" for o in objections)
    assert not Objection.objects.filter(run__in=runs[:-1]).exists()
    regraded = [o for o in objections if o.decision == "regraded"]
    assert all(o.result.changed_on_review and o.result.grade == o.grade_after != o.grade_before for o in regraded)
    assert len(latest.summary["review_recomputes"]) == 1
