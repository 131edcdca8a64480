"""Deleting a record that others still hold is refused, with a message naming what holds it.

Official records (published results, indicator values, projects, parcels…) protect what they refer to
(``on_delete=PROTECT``); ``delete_record`` turns Django's ``ProtectedError``/``RestrictedError`` into a
``DeletionRefused`` the pages show as a message and the API answers with 409 (``mujun.core.exceptions``).
"""

from collections import Counter

from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.text import capfirst
from django.utils.translation import gettext as _


class DeletionRefused(Exception):
    """A record cannot be deleted; ``message`` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def holders(error: ProtectedError | RestrictedError) -> str:
    """The records that prevented a delete, counted by kind: "3 evaluation results, 1 project"."""
    objects = error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    counts = Counter(type(obj)._meta for obj in objects)
    parts = [
        _("%(count)d %(records)s")
        % {"count": n, "records": opts.verbose_name if n == 1 else opts.verbose_name_plural}
        for opts, n in sorted(counts.items(), key=lambda item: str(item[0].verbose_name))
    ]
    # Translators: joins the kinds of records in "has 3 evaluation results, 1 project".
    return _(", ").join(parts)


def refusal(obj: models.Model | None, error: ProtectedError | RestrictedError, hint: str = "") -> str:
    """The message refusing to delete ``obj`` (``None``: a record the caller cannot name)."""
    if obj is None:
        message = _("This record has %(holders)s and cannot be deleted.") % {"holders": holders(error)}
    else:
        message = _("%(model)s “%(object)s” has %(holders)s and cannot be deleted.") % {
            "model": capfirst(obj._meta.verbose_name),
            "object": obj,
            "holders": holders(error),
        }
    # Translators: a refusal followed by what to do instead; Chinese needs no space between sentences.
    return _("%(refusal)s %(hint)s") % {"refusal": message, "hint": hint} if hint else message


def delete_record(obj: models.Model, *, hint: str = "") -> None:
    """Delete ``obj`` with everything that is part of it, or raise ``DeletionRefused`` naming the records
    that hold it (``hint`` says what to do instead). Nothing is deleted when it is refused."""
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError) as error:
        raise DeletionRefused(refusal(obj, error, hint)) from error
