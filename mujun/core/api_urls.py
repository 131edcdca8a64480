"""One API router for the platform; each app registers its viewsets in its ``api.py``."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.routers import DefaultRouter

from mujun.core.api import ImportJobViewSet
from mujun.core.apps_registry import app_module, domain_configs

router = DefaultRouter()
router.register("imports", ImportJobViewSet)  # core's own: the background imports
for config in domain_configs():
    if module := app_module(config, "api"):
        module.register(router)

# Every delete may be refused because other records hold the record (mujun.core.exceptions): documented.
DELETION_REFUSED = OpenApiResponse(
    inline_serializer("DeletionRefused", {"detail": serializers.CharField()}),
    description="Other records still hold this one; the message names them.",
)
for _prefix, viewset, _basename in router.registry:
    if hasattr(viewset, "destroy"):
        extend_schema_view(destroy=extend_schema(responses={204: None, 409: DELETION_REFUSED}))(viewset)

urlpatterns = router.urls
