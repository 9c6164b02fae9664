from django.urls import include, path

from . import views

app_name = "stations"
urlpatterns = [
    path("find/", views.find, name="find"),
    path("s/<int:pk>/", views.station, name="station"),
    path("kept/", views.kept, name="kept"),
    path("kept/<int:pk>/", views.keep, name="keep"),
    path("kept/<int:pk>/codes/", views.poster, name="poster"),
    path("kept/<int:pk>/codes/station.png", views.code_png, name="code_png"),
    path("kept/<int:pk>/codes/room-<int:room_id>.png", views.code_png, name="room_code_png"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("rooms/", views.rooms, name="rooms"),
    path("rooms/<int:pk>/", views.room, name="room"),
    path("bookings/", views.bookings, name="bookings"),
    path("bookings/<int:pk>/", views.booking, name="booking"),
    path("bookings/<int:pk>/act/", views.booking_act, name="booking_act"),
    path("activities/", include("gongzhi.stations.activity_urls")),
]
