from django.urls import path

from . import views

app_name = "signup"
urlpatterns = [
    path("", views.start, name="start"),
    path("details/", views.details, name="details"),
    path("options/", views.options, name="options"),
    path("requests/", views.review_list, name="review_list"),
    path("requests/<int:pk>/", views.review_detail, name="review_detail"),
    path("requests/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("requests/<int:pk>/refuse/", views.refuse, name="refuse"),
]
