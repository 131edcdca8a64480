from django.urls import path

from mujun.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.RoundListView.as_view(), name="round_list"),
    path("add/", views.RoundEditView.as_view(), name="round_add"),
    path("compare/", views.compare, name="compare"),
    path("<int:pk>/", views.RoundDetailView.as_view(), name="round_detail"),
    path("<int:pk>/edit/", views.RoundEditView.as_view(), name="round_edit"),
    path("<int:pk>/status/", views.RoundStatusView.as_view(), name="round_status"),
    path("<int:pk>/judge/", views.JudgeRoundView.as_view(), name="judge_round"),
    path("<int:pk>/scoreboard/", views.ScoreboardView.as_view(), name="scoreboard"),
    path("<int:pk>/scoreboard/print/", views.ScoreboardPrintView.as_view(), name="scoreboard_print"),
    path("<int:round_pk>/criteria/add/", views.CriterionEditView.as_view(), name="criterion_add"),
    path("criteria/<int:pk>/edit/", views.CriterionEditView.as_view(), name="criterion_edit"),
    path("<int:round_pk>/nominations/add/", views.NominationEditView.as_view(), name="nomination_add"),
    path("nominations/<int:pk>/edit/", views.NominationEditView.as_view(), name="nomination_edit"),
    path("nominations/<int:pk>/score/", views.ScoreView.as_view(), name="score"),
]
