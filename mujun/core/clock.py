"""The platform's clock: now and today in its time zone (Asia/Shanghai), which the demo may set back.

``mujun demo`` replays a past year's work at its own dates (a collection closed in March, results posted in
April, objections filed inside the window), so that the demo city reads as one record in time. Services
take their dates from here; a request never sets the clock.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_replayed_day: ContextVar[dt.date | None] = ContextVar("replayed_day", default=None)


def local_today() -> dt.date:
    """Today's date in the platform's time zone (posting windows and deadlines are local dates)."""
    return _replayed_day.get() or timezone.localdate()


def local_now() -> dt.datetime:
    """Now; on a replayed day, 10 o'clock local time of that day."""
    replayed = _replayed_day.get()
    if replayed is None:
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(replayed, dt.time(10, 0)))


@contextmanager
def replaying(day: dt.date):
    """Carry out what the block does as on ``day`` (the demo only)."""
    token = _replayed_day.set(day)
    try:
        yield
    finally:
        _replayed_day.reset(token)
