from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mujun.core import views as core_views
from mujun.core.apps_registry import domain_configs
from mujun.core.auth import ObtainTokenView

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/landing/", core_views.landing, name="landing"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("imports/<int:pk>/", core_views.import_job, name="import_job"),
    path("imports/<int:pk>/progress/", core_views.import_job_progress, name="import_job_progress"),
    path("imports/<int:pk>/problems/", core_views.import_job_problems, name="import_job_problems"),
    path("api/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/", include("mujun.core.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file: the Content-Security-Policy allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
urlpatterns += [
    path(getattr(config, "url_prefix", f"{config.label}/"), include(f"{config.name}.urls"))
    for config in domain_configs()
]
# No route serves MEDIA: uploaded files are handed out only by views naming their record (mujun.core.uploads).
