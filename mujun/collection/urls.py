from django.urls import path

from mujun.collection import views

app_name = "collection"
urlpatterns = [
    path("", views.CollectionListView.as_view(), name="collection_list"),
    path("add/", views.CollectionCreateView.as_view(), name="collection_add"),
    path("<int:pk>/", views.CollectionDetailView.as_view(), name="collection_detail"),
    path("<int:pk>/upload/", views.CollectionUploadView.as_view(), name="collection_upload"),
    path("<int:pk>/entry/", views.CollectionEntryView.as_view(), name="collection_entry"),
    path("<int:pk>/close/", views.CollectionCloseView.as_view(), name="collection_close"),
    path("<int:pk>/edits/resolve/", views.EditResolveView.as_view(), name="edit_resolve"),
    path("conflicts/<int:pk>/", views.ConflictDetailView.as_view(), name="conflict_detail"),
    path("uploads/<int:pk>/", views.UploadDetailView.as_view(), name="upload_detail"),
    path("uploads/<int:pk>/file/", views.upload_file, name="upload_file"),
    path("suppliers/", views.SupplierListView.as_view(), name="supplier_list"),
    path("suppliers/add/", views.SupplierEditView.as_view(), name="supplier_add"),
    path("suppliers/<int:pk>/", views.SupplierDetailView.as_view(), name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", views.SupplierEditView.as_view(), name="supplier_edit"),
]
