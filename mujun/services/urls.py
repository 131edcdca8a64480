from django.urls import path

from mujun.services import views

app_name = "services"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("problems/", views.ProblemListView.as_view(), name="problem_list"),
    path("problems/add/", views.ProblemEditView.as_view(), name="problem_add"),
    path("problems/export/", views.ProblemExportView.as_view(), name="problem_export"),
    path("problems/<int:pk>/", views.ProblemDetailView.as_view(), name="problem_detail"),
    path("problems/<int:pk>/edit/", views.ProblemEditView.as_view(), name="problem_edit"),
    path("problems/<int:pk>/transition/", views.ProblemTransitionView.as_view(), name="problem_transition"),
    path("plans/", views.ServicePlanListView.as_view(), name="plan_list"),
    path("plans/add/", views.ServicePlanEditView.as_view(), name="plan_add"),
    path("plans/<int:pk>/", views.ServicePlanDetailView.as_view(), name="plan_detail"),
    path("plans/<int:pk>/edit/", views.ServicePlanEditView.as_view(), name="plan_edit"),
    path("departments/", views.DepartmentListView.as_view(), name="department_list"),
    path("departments/add/", views.DepartmentEditView.as_view(), name="department_add"),
    path("departments/<int:pk>/", views.DepartmentDetailView.as_view(), name="department_detail"),
    path("departments/<int:pk>/edit/", views.DepartmentEditView.as_view(), name="department_edit"),
]
