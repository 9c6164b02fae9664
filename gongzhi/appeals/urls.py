from django.urls import path

from . import views, views_rates, views_settings

app_name = "appeals"
urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("new/", views.appeal_new, name="new"),
    path("similar/", views.appeal_similar, name="similar"),
    path("dispatch-suggested/", views.appeal_dispatch_suggested, name="dispatch_suggested"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/act/", views.appeal_act, name="act"),
    path("<int:pk>/metoo/", views.appeal_me_too, name="me_too"),
    path("<int:pk>/contact/", views.appeal_reveal_contact, name="reveal_contact"),
    path("rates/", views_rates.rates_page, name="rates"),
    path("categories/", views_settings.categories_page, name="categories"),
    path("categories/<int:pk>/", views_settings.category_edit, name="category_edit"),
    path("categories/<int:pk>/delete/", views_settings.category_delete, name="category_delete"),
    path("routing/", views_settings.routing_page, name="routing"),
    path("routing/<int:pk>/", views_settings.routing_edit, name="routing_edit"),
    path("routing/<int:pk>/delete/", views_settings.routing_delete, name="routing_delete"),
    path("calendar/", views_settings.calendar_page, name="calendar"),
    path("calendar/<int:pk>/delete/", views_settings.calendar_delete, name="calendar_delete"),
]
