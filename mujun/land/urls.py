from django.urls import path

from mujun.core.uploads import RecordFileView
from mujun.land import views
from mujun.land.models import DisposalProgress

app_name = "land"
urlpatterns = [
    path("", views.ParcelListView.as_view(), name="parcel_list"),
    path("add/", views.ParcelEditView.as_view(), name="parcel_add"),
    path("import/", views.ParcelImportView.as_view(), name="parcel_import"),
    path("export/", views.ParcelExportView.as_view(), name="parcel_export"),
    path("export.geojson", views.parcel_geojson_export, name="parcel_geojson"),
    path("classify/", views.classify_view, name="classify"),
    path("map/", views.map_view, name="map"),
    path("map/parcels.json", views.parcels_json, name="parcels_json"),
    path("<int:pk>/", views.ParcelDetailView.as_view(), name="parcel_detail"),
    path("<int:pk>/edit/", views.ParcelEditView.as_view(), name="parcel_edit"),
    path("<int:pk>/popup/", views.parcel_popup, name="parcel_popup"),
    path("findings/<int:pk>/open-case/", views.FindingOpenCaseView.as_view(), name="finding_open_case"),
    path("cases/", views.DisposalCaseListView.as_view(), name="case_list"),
    path("cases/<int:pk>/", views.DisposalCaseDetailView.as_view(), name="case_detail"),
    path("cases/<int:pk>/edit/", views.DisposalCaseEditView.as_view(), name="case_edit"),
    path("cases/<int:pk>/progress/", views.case_progress, name="case_progress"),
    path(
        "cases/<int:case_pk>/progress/<int:pk>/evidence/",
        RecordFileView.as_view(model=DisposalProgress, field="evidence", lookups={"case_pk": "case_id", "pk": "pk"}),
        name="progress_evidence",
    ),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("thresholds/", views.ThresholdsListView.as_view(), name="thresholds_list"),
    path("thresholds/add/", views.ThresholdsEditView.as_view(), name="thresholds_add"),
    path("thresholds/<int:pk>/edit/", views.ThresholdsEditView.as_view(), name="thresholds_edit"),
    path("targets/", views.targets_view, name="targets"),
    path("targets/add/", views.LandTargetEditView.as_view(), name="target_add"),
    path("targets/<int:pk>/edit/", views.LandTargetEditView.as_view(), name="target_edit"),
]
