from django.db import transaction
from rest_framework.permissions import SAFE_METHODS, BasePermission

from mujun.core.deletion import delete_record
from mujun.core.scoping import can_edit_record, require_edit


class RegionScopedPermission(BasePermission):
    """API: signed-in users read; writes follow the same region scoping as the web pages."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or request.user.can_edit

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or can_edit_record(request.user, obj)


class RegionScopedWritesMixin:
    """For model viewsets: a created or changed record must land in a region the user may edit.

    ``RegionScopedPermission`` checks the record as it was; this checks it as it will be (an operator may
    neither create a record in another county nor move one there). Raising inside the transaction undoes
    the write, and DRF answers 403.
    """

    def perform_create(self, serializer):
        with transaction.atomic():
            require_edit(self.request.user, serializer.save())

    def perform_update(self, serializer):
        with transaction.atomic():
            require_edit(self.request.user, serializer.save())

    def perform_destroy(self, instance):
        # A record other records still hold is refused (409) with a message naming them.
        delete_record(instance)


class CityAdminOnly(RegionScopedPermission):
    """API steps only a city administrator takes (reviewing a report, moving a project back): refused before
    the request's body is read, as the pages refuse them; the service still holds the rule."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_city_admin
