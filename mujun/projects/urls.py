from django.urls import path

from mujun.core.uploads import RecordFileView
from mujun.projects import views
from mujun.projects.models import Evidence

app_name = "projects"
urlpatterns = [
    path("", views.ProjectListView.as_view(), name="project_list"),
    path("add/", views.ProjectEditView.as_view(), name="project_add"),
    path("import/", views.ProjectImportView.as_view(), name="project_import"),
    path("export/", views.ProjectExportView.as_view(), name="project_export"),
    path("oc4ids/", views.ProjectOC4IDSView.as_view(), name="project_oc4ids"),
    path("<int:pk>/", views.ProjectDetailView.as_view(), name="project_detail"),
    path("<int:pk>/edit/", views.ProjectEditView.as_view(), name="project_edit"),
    path("<int:pk>/advance/", views.ProjectAdvanceView.as_view(), name="project_advance"),
    path("<int:pk>/correct/", views.ProjectCorrectView.as_view(), name="project_correct"),
    path("<int:pk>/oc4ids/", views.ProjectOC4IDSView.as_view(), name="project_oc4ids_one"),
    path("<int:project_pk>/elements/add/", views.ElementNeedEditView.as_view(), name="elementneed_add"),
    path("elements/<int:pk>/edit/", views.ElementNeedEditView.as_view(), name="elementneed_edit"),
    path("<int:project_pk>/reports/add/", views.MonthlyReportSubmitView.as_view(), name="report_add"),
    path("reports/", views.MonthlyReportListView.as_view(), name="report_list"),
    path("reports/import/", views.MonthlyReportImportView.as_view(), name="report_import"),
    path("reports/missing/", views.MissingReportsView.as_view(), name="report_missing"),
    path("reports/<int:pk>/", views.MonthlyReportDetailView.as_view(), name="report_detail"),
    path("reports/<int:pk>/edit/", views.MonthlyReportSubmitView.as_view(), name="report_edit"),
    path("reports/<int:pk>/review/", views.MonthlyReportReviewView.as_view(), name="report_review"),
    path(
        "evidence/<int:pk>/", RecordFileView.as_view(model=Evidence, field="file", filename_field="original_name"),
        name="evidence_file",
    ),
    path(
        "evidence/<int:pk>/thumbnail/", RecordFileView.as_view(model=Evidence, field="thumbnail", inline_jpeg=True),
        name="evidence_thumbnail",
    ),
    path("lists/", views.FourListsView.as_view(), name="four_lists"),
    path("lists/closing/", views.MonthClosingView.as_view(), name="month_closing"),
    path("board/", views.BoardView.as_view(), name="board"),
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
    path("starts/", views.StartRatesView.as_view(), name="start_rates"),
    path("starts/targets/add/", views.StartTargetEditView.as_view(), name="start_target_add"),
    path("starts/targets/<int:pk>/edit/", views.StartTargetEditView.as_view(), name="start_target_edit"),
    path("key-lists/", views.KeyListsView.as_view(), name="key_lists"),
    path("key-lists/thresholds/", views.ListThresholdsEditView.as_view(), name="list_thresholds"),
    path("leads/", views.LeadListView.as_view(), name="lead_list"),
    path("leads/add/", views.LeadEditView.as_view(), name="lead_add"),
    path("leads/<int:pk>/edit/", views.LeadEditView.as_view(), name="lead_edit"),
    path("teams/", views.TeamListView.as_view(), name="team_list"),
    path("teams/add/", views.TeamEditView.as_view(), name="team_add"),
    path("teams/<int:pk>/edit/", views.TeamEditView.as_view(), name="team_edit"),
]
