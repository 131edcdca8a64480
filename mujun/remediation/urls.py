from django.urls import path

from mujun.core.uploads import RecordFileView
from mujun.remediation import views
from mujun.remediation.models import RemediationProgress

app_name = "remediation"
urlpatterns = [
    path("", views.ListingListView.as_view(), name="lowfirm_list"),
    path("export/", views.ListingExportView.as_view(), name="lowfirm_export"),
    path("compute/", views.compute_view, name="lowfirm_compute"),
    path("<int:pk>/open-case/", views.ListingOpenCaseView.as_view(), name="lowfirm_open_case"),
    path("cases/", views.RemediationCaseListView.as_view(), name="remediation_case_list"),
    path("cases/<int:pk>/", views.RemediationCaseDetailView.as_view(), name="remediation_case_detail"),
    path("cases/<int:pk>/edit/", views.RemediationCaseEditView.as_view(), name="remediation_case_edit"),
    path("cases/<int:pk>/progress/", views.case_progress, name="remediation_case_progress"),
    path(
        "cases/<int:case_pk>/progress/<int:pk>/evidence/",
        RecordFileView.as_view(model=RemediationProgress, field="evidence", lookups={"case_pk": "case_id", "pk": "pk"}),
        name="remediation_evidence",
    ),
    path("cases/<int:pk>/close/", views.case_close, name="remediation_case_close"),
    path("rules/", views.ThresholdsListView.as_view(), name="lowfirm_rules"),
    path("rules/add/", views.ThresholdsEditView.as_view(), name="lowfirm_rules_add"),
    path("rules/<int:pk>/edit/", views.ThresholdsEditView.as_view(), name="lowfirm_rules_edit"),
    path("targets/", views.targets_view, name="remediation_targets"),
    path("targets/add/", views.RemediationTargetEditView.as_view(), name="remediation_target_add"),
    path("targets/<int:pk>/edit/", views.RemediationTargetEditView.as_view(), name="remediation_target_edit"),
]
