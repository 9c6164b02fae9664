from django.contrib import admin

from .models import Building, Community, Compound, Household, Subdistrict


@admin.register(Subdistrict)
class SubdistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "subdistrict")
    search_fields = ("code", "name")


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "community", "center_lat", "center_lng")
    list_filter = ("community",)
    search_fields = ("code", "name")


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "compound")
    list_filter = ("compound",)
    search_fields = ("code", "name")


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("address", "code", "building", "floor_area", "tenure")
    list_filter = ("tenure", "building__compound")
    search_fields = ("address", "code")
    list_select_related = ("building__compound",)
    raw_id_fields = ("building",)
    exclude = ("last_import", "last_import_row")
