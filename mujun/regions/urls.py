from django.urls import path

from mujun.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.RegionListView.as_view(), name="region_list"),
    path("add/", views.RegionEditView.as_view(), name="region_add"),
    path("<int:pk>/", views.RegionDetailView.as_view(), name="region_detail"),
    path("<int:pk>/edit/", views.RegionEditView.as_view(), name="region_edit"),
]
