from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from mujun.core.models import User


@admin.register(User)
class MujunUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Mujun", {"fields": ("role", "region")}),)
    list_display = ("username", "get_full_name", "role", "region", "is_active")
    list_filter = ("role", "region")
