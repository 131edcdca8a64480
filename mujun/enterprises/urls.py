from django.urls import path
from django.views.generic import TemplateView

app_name = "enterprises"
urlpatterns = [
    path("", TemplateView.as_view(template_name="base.html"), name="enterprise_list"),
    path("<int:pk>/", TemplateView.as_view(template_name="base.html"), name="enterprise_detail"),
]
