from django.urls import path

from . import views

app_name = "lists"
urlpatterns = [
    path("", views.index, name="index"),
    path("needs/", views.needs_board, name="needs"),
    path("needs/new/", views.need_new, name="need_new"),
    path("needs/<int:pk>/", views.need_detail, name="need"),
    path("needs/<int:pk>/decline/", views.need_decline, name="need_decline"),
    path("projects/new/", views.project_new, name="project_new"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("projects/<int:pk>/take/", views.project_take, name="project_take"),
    path("projects/<int:pk>/services/", views.service_new, name="service_new"),
    path("board/", views.take_board, name="board"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("services/<int:pk>/rate/", views.service_rate, name="service_rate"),
    path("services/<int:pk>/photos/", views.service_photo_add, name="service_photo_add"),
    path("services/<int:pk>/photos/<int:photo>/<str:size>/", views.service_photo, name="service_photo"),
    path("services/<int:pk>/confirm/", views.service_confirm, name="service_confirm"),
    path("hours/", views.my_hours, name="hours"),
    path("hours/certificate.pdf", views.certificate, name="certificate"),
    path("resources/", views.resources, name="resources"),
    path("ledger/", views.ledger, name="ledger"),
    path("registrations/", views.registrations, name="registrations"),
    path("registrations/<int:pk>/decide/", views.registration_decide, name="registration_decide"),
    path("registrations/<int:pk>/rate/", views.registration_rate, name="registration_rate"),
    path("registrations/<int:pk>/ratings/<int:year>.pdf", views.rating_sheet, name="rating_sheet"),
]
