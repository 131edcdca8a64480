"""The platform's URLs plus one page that fails, for the 500 page's headers (tests/security/test_headers.py)."""

from django.urls import path

from mujun.urls import urlpatterns as platform_urlpatterns


def boom(request):
    raise RuntimeError("a page that fails")


urlpatterns = [path("boom/", boom), *platform_urlpatterns]
