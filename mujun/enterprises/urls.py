from django.urls import path

from mujun.enterprises import views

app_name = "enterprises"
urlpatterns = [
    path("", views.EnterpriseListView.as_view(), name="enterprise_list"),
    path("add/", views.EnterpriseEditView.as_view(), name="enterprise_add"),
    path("import/", views.EnterpriseImportView.as_view(), name="enterprise_import"),
    path("export/", views.EnterpriseExportView.as_view(), name="enterprise_export"),
    path("<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise_detail"),
    path("<int:pk>/edit/", views.EnterpriseEditView.as_view(), name="enterprise_edit"),
    path("<int:pk>/delete/", views.EnterpriseDeleteView.as_view(), name="enterprise_delete"),
    path("<int:pk>/deactivate/", views.enterprise_set_active, {"active": False}, name="enterprise_deactivate"),
    path("<int:pk>/reactivate/", views.enterprise_set_active, {"active": True}, name="enterprise_reactivate"),
    path("<int:enterprise_pk>/years/add/", views.EnterpriseYearEditView.as_view(), name="enterpriseyear_add"),
    path("years/<int:pk>/edit/", views.EnterpriseYearEditView.as_view(), name="enterpriseyear_edit"),
]
