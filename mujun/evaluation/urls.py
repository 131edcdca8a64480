from django.urls import path
from django.views.generic import TemplateView

app_name = "evaluation"
urlpatterns = [
    path("runs/", TemplateView.as_view(template_name="base.html"), name="run_list"),
    path("runs/<int:pk>/", TemplateView.as_view(template_name="base.html"), name="run_detail"),
    path("schemes/", TemplateView.as_view(template_name="base.html"), name="scheme_list"),
    path("schemes/<int:pk>/", TemplateView.as_view(template_name="base.html"), name="scheme_detail"),
]
