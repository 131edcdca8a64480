"""Signing in: the answer to a locked-out log-in (django-axes) and the API token endpoint."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.throttling import AnonRateThrottle

LOCKED_OUT_STATUS = 429


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many wrong passwords: logging in as this user from this address is blocked "
        "for %(minutes)d minutes."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: JSON for API clients, a page for people."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {"detail": lockout_message()}, status=LOCKED_OUT_STATUS, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = render(
            request, "registration/locked_out.html", {"message": lockout_message()}, status=LOCKED_OUT_STATUS
        )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


@extend_schema(
    responses={
        200: inline_serializer("ApiToken", {"token": serializers.CharField()}),
        400: OpenApiResponse(description="Wrong user name or password."),
        429: OpenApiResponse(description="Too many wrong passwords or requests: try again later."),
    }
)
class ObtainTokenView(ObtainAuthToken):
    """POST a user name and password, get the user's API token (``Authorization: Token <key>``)."""

    # Open to all, signed in or not, and throttled per address like any anonymous caller.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        finally:
            # django-axes flags the DRF request it was given; its middleware reads Django's request.
            request._request.axes_locked_out = getattr(request, "axes_locked_out", False)
