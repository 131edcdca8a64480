from django.urls import path

from mujun.evaluation import benchmarks, comparison, views

app_name = "evaluation"
urlpatterns = [
    path("runs/", views.RunListView.as_view(), name="run_list"),
    path("runs/add/", views.RunCreateView.as_view(), name="run_add"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("runs/<int:pk>/results/", views.RunResultsView.as_view(), name="run_results"),
    path("runs/<int:pk>/export/", views.run_export, name="run_export"),
    path("runs/<int:pk>/snapshot/", views.run_snapshot, name="run_snapshot"),
    path("runs/<int:pk>/results/<int:enterprise_pk>/", views.result_detail, name="result_detail"),
    path("runs/<int:pk>/policies/", views.run_policies, name="run_policies"),
    path("runs/<int:pk>/policies/<str:grade>/", views.run_policy_export, name="run_policy_export"),
    path("runs/<int:pk>/policies/for/<slug:recipient>/", views.run_recipient_export, name="run_recipient_export"),
    path("runs/<int:pk>/rerun/", views.run_rerun, name="run_rerun"),
    path("runs/<int:pk>/publish/", views.run_publish, name="run_publish"),
    path("runs/<int:pk>/post/", views.run_post, name="run_post"),
    path("runs/<int:pk>/posting/", views.run_posting, name="run_posting"),
    path("runs/<int:pk>/posting/export/", views.run_posting_export, name="run_posting_export"),
    path("runs/<int:pk>/changes/", views.run_changes, name="run_changes"),
    path("runs/<int:pk>/compare/", comparison.run_compare, name="run_compare"),
    path("runs/<int:pk>/objections/add/", views.objection_add, name="objection_add"),
    path("runs/<int:pk>/objections/<int:objection_pk>/", views.objection_detail, name="objection_detail"),
    path("runs/<int:pk>/objections/<int:objection_pk>/evidence/", views.objection_evidence, name="objection_evidence"),
    path("runs/<int:pk>/reproduce/", views.run_reproduce, name="run_reproduce"),
    path("runs/<int:pk>/delete/", views.RunDeleteView.as_view(), name="run_delete"),
    path("runs/<int:pk>/robustness/", views.run_robustness, name="run_robustness"),
    path(
        "runs/<int:pk>/robustness/<int:analysis_pk>/", views.RobustnessResultsView.as_view(), name="robustness_detail"
    ),
    path("leaders/", benchmarks.leaders, name="leaders"),
    path("rankings/", benchmarks.rankings, name="rankings"),
    path("provincial-averages/", views.ProvincialAverageListView.as_view(), name="provincialaverage_list"),
    path("provincial-averages/add/", views.ProvincialAverageEditView.as_view(), name="provincialaverage_add"),
    path("provincial-averages/<int:pk>/edit/", views.ProvincialAverageEditView.as_view(), name="provincialaverage_edit"),
    path("schemes/", views.SchemeListView.as_view(), name="scheme_list"),
    path("schemes/add/", views.SchemeEditView.as_view(), name="scheme_add"),
    path("schemes/<int:pk>/", views.SchemeDetailView.as_view(), name="scheme_detail"),
    path("schemes/<int:pk>/edit/", views.SchemeEditView.as_view(), name="scheme_edit"),
]
