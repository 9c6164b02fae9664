from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("household/<int:pk>/", views.household_page, name="household"),
    path("household/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("household/<int:pk>/residents/", views.resident_add, name="resident_add"),
    path("resident/<int:pk>/", views.resident_page, name="resident"),
    path("resident/<int:pk>/reveal/", views.resident_reveal, name="reveal"),
    path("resident/<int:pk>/password/", views.resident_password_reset, name="password_reset"),
    path("search/", views.search, name="search"),
    path("tags/", views.tags_page, name="tags"),
    path("tags/<int:pk>/", views.tag_edit, name="tag_edit"),
]

# Import and export (views_imports.py)
from . import views_imports  # noqa: E402

urlpatterns += [
    path("import/", views_imports.import_page, name="import"),
    path("import/template/", views_imports.import_template, name="import_template"),
    path("import/<int:pk>/", views_imports.import_job, name="import_job"),
    path("import/<int:pk>/progress/", views_imports.import_progress, name="import_progress"),
    path("import/<int:pk>/confirm/", views_imports.import_confirm, name="import_confirm"),
    path("import/<int:pk>/errors.csv", views_imports.import_errors, name="import_errors"),
    path("export/", views_imports.export, name="export"),
]

# The community's queue of registration conflicts (views_conflicts.py)
from . import views_conflicts  # noqa: E402

urlpatterns += [
    path("conflicts/", views_conflicts.conflict_list, name="conflicts"),
    path("conflicts/<int:pk>/", views_conflicts.conflict_detail, name="conflict"),
    path("conflicts/<int:pk>/resolve/", views_conflicts.conflict_resolve, name="conflict_resolve"),
]
