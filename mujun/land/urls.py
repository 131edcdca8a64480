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
    path("<int:pk>/idle/", views.parcel_idle_record, name="parcel_idle_record"),
    path("idle/", views.IdleLedgerView.as_view(), name="idle_ledger"),
    path("idle/export/", views.idle_ledger_export, name="idle_ledger_export"),
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
    path("<int:pk>/accept/", views.parcel_accept, name="parcel_accept"),
    path("acceptances/", views.AcceptanceListView.as_view(), name="acceptance_list"),
    path("acceptances/export/", views.AcceptanceExportView.as_view(), name="acceptance_export"),
    path("acceptances/accept-due/", views.acceptance_accept_due, name="acceptance_accept_due"),
    path("acceptances/<int:pk>/", views.AcceptanceDetailView.as_view(), name="acceptance_detail"),
    path("acceptances/<int:pk>/decide/", views.acceptance_decide, name="acceptance_decide"),
]
