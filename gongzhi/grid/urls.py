from django.urls import path

from . import views

app_name = "grid"
urlpatterns = [
    path("", views.tree_page, name="tree"),
    path("community/<int:pk>/", views.community_page, name="community"),
    path("compound/<int:pk>/", views.compound_page, name="compound"),
    path("compound/<int:pk>/buildings/", views.compound_buildings, name="compound_buildings"),
    path("building/<int:pk>/", views.building_page, name="building"),
]
