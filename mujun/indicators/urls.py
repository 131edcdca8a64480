from django.urls import path

from mujun.indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.IndicatorListView.as_view(), name="indicator_list"),
    path("add/", views.IndicatorEditView.as_view(), name="indicator_add"),
    path("ranking/", views.ranking, name="ranking"),
    path("horse-race/", views.horse_race, name="horse_race"),
    path("horse-race/publish/", views.HorseRacePublishView.as_view(), name="horse_race_publish"),
    path("horse-race/schemes/add/", views.HorseRaceSchemeEditView.as_view(), name="horse_race_scheme_add"),
    path("horse-race/schemes/<int:pk>/edit/", views.HorseRaceSchemeEditView.as_view(), name="horse_race_scheme_edit"),
    path("values/add/", views.IndicatorValueEditView.as_view(), name="value_add"),
    path("values/import/", views.IndicatorValueImportView.as_view(), name="value_import"),
    path("values/export/", views.IndicatorValueExportView.as_view(), name="value_export"),
    path("values/<int:pk>/edit/", views.IndicatorValueEditView.as_view(), name="value_edit"),
    path("<int:pk>/", views.IndicatorDetailView.as_view(), name="indicator_detail"),
    path("<int:pk>/edit/", views.IndicatorEditView.as_view(), name="indicator_edit"),
]
