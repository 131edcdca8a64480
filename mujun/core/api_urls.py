"""One API router for the platform; each app registers its viewsets in its ``api.py``."""

from rest_framework.routers import DefaultRouter

from mujun.enterprises.api import register as register_enterprises
from mujun.evaluation.api import register as register_evaluation
from mujun.regions.api import register as register_regions

router = DefaultRouter()
for register in (register_regions, register_enterprises, register_evaluation):
    register(router)

urlpatterns = router.urls
