"""The activities' pages, included under /stations/activities/ in the stations' namespace."""
from django.urls import path

from . import activity_views as views

urlpatterns = [
    path("", views.activity_list, name="activities"),
    path("new/", views.activity_new, name="activity_new"),
    path("checkin/<str:token>/", views.activity_checkin, name="activity_checkin"),
    path("<int:pk>/", views.activity, name="activity"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/act/", views.activity_act, name="activity_act"),
    path("<int:pk>/code/", views.activity_code, name="activity_code"),
    path("<int:pk>/code.png", views.activity_code_png, name="activity_code_png"),
]
