from rest_framework.permissions import SAFE_METHODS, BasePermission

from mujun.core.scoping import can_edit_record


class RegionScopedPermission(BasePermission):
    """API: signed-in users read; writes follow the same region scoping as the web pages."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or request.user.can_edit

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or can_edit_record(request.user, obj)
