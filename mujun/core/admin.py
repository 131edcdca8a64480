from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from mujun.core.models import User


@admin.register(User)
class MujunUserAdmin(SimpleHistoryAdmin, UserAdmin):
    """Users, with the history of their roles and regions (the "History" button) and who changed them."""

    fieldsets = UserAdmin.fieldsets + ((_("Role and region"), {"fields": ("role", "region")}),)
    list_display = ("username", "get_full_name", "role", "region", "is_active")
    list_filter = ("role", "region")
