"""The API's answer to errors DRF does not know (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"])."""

from django.db.models.deletion import ProtectedError, RestrictedError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from mujun.core.deletion import DeletionRefused, refusal


def api_exception_handler(exc, context):
    """DRF's handler, and 409 Conflict with a message naming what holds a record that may not be deleted
    (instead of a 500)."""
    if isinstance(exc, ProtectedError | RestrictedError):
        exc = DeletionRefused(refusal(None, exc))
    if isinstance(exc, DeletionRefused):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    return exception_handler(exc, context)
