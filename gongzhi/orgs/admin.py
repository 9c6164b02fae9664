from django.contrib import admin

from .models import Coverage, Membership, Organisation


class CoverageInline(admin.TabularInline):
    model = Coverage
    extra = 0
    raw_id_fields = ("subdistrict", "community", "compound", "building", "household")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("resident", "user")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    inlines = [CoverageInline, MembershipInline]
