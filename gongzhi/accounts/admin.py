from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    raw_id_fields = ("subdistrict", "community", "compound", "building", "household", "organisation")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "phone_masked", "is_active", "is_superuser")
    readonly_fields = ("phone_masked",)
    raw_id_fields = ("resident",)
    fieldsets = BaseUserAdmin.fieldsets + ((_("共治"), {"fields": ("display_name", "phone_masked", "resident")}),)
    inlines = [RoleInline]
