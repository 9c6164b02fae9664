from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("household/<int:pk>/", views.household_page, name="household"),
    path("household/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("household/<int:pk>/residents/", views.resident_add, name="resident_add"),
    path("resident/<int:pk>/", views.resident_page, name="resident"),
    path("resident/<int:pk>/reveal/", views.resident_reveal, name="reveal"),
    path("search/", views.search, name="search"),
    path("tags/", views.tags_page, name="tags"),
    path("tags/<int:pk>/", views.tag_edit, name="tag_edit"),
]
