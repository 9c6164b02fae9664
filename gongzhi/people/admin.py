from django.contrib import admin

from .models import ImportJob, Resident, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "sensitive")


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    """Sensitive values appear masked here too; reveals go through the audited product pages."""

    list_display = ("name", "gender", "id_number_masked", "phone_masked", "household", "relation")
    list_filter = ("relation", "tags")
    search_fields = ("name",)
    raw_id_fields = ("household",)
    readonly_fields = ("id_number_masked", "phone_masked")
    exclude = ("last_import", "last_import_row")
    list_select_related = ("household",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("file_name", "user", "dry_run", "status", "rows_done", "rows_total", "created_at")
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False
