"""One API router for the platform; each app registers its viewsets in its ``api.py``."""

from rest_framework.routers import DefaultRouter

from mujun.core.apps_registry import app_module, domain_configs

router = DefaultRouter()
for config in domain_configs():
    if module := app_module(config, "api"):
        module.register(router)

urlpatterns = router.urls
