"""Mounted at /open311/: the GeoReport v2 endpoint under v2/, and the keys page."""
from django.urls import path, re_path

from . import views

app_name = "open311"
# An optional format suffix (XML when absent) and an optional trailing slash.
FMT = r"(?:\.(?P<fmt>xml|json))?/?"

urlpatterns = [
    path("keys/", views.keys, name="keys"),
    path("v2/", views.discovery, name="root"),
    re_path(rf"^v2/discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^v2/services{FMT}$", views.services_list, name="services"),
    re_path(rf"^v2/services/(?P<code>[^/]+?){FMT}$", views.service_definition, name="service"),
    re_path(rf"^v2/requests{FMT}$", views.requests, name="requests"),
    re_path(rf"^v2/requests/(?P<rid>[^/]+?){FMT}$", views.request_detail, name="request"),
    re_path(rf"^v2/tokens/(?P<token>[^/]+?){FMT}$", views.token, name="token"),
    re_path(r"^(?P<path>v2/.*)$", views.not_found),
]
