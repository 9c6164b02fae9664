from django.contrib import admin
from django.urls import include, path

from gongzhi.accounts import views as accounts_views
from gongzhi.api.urls import api
from gongzhi.appeals import views_photos
from gongzhi.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/", include("gongzhi.open311.urls")),
    path("accounts/", include("gongzhi.accounts.urls")),
    path("signup/", include("gongzhi.signup.urls")),
    path("lists/", include("gongzhi.lists.urls")),
    path("", include("gongzhi.dashboard.urls")),
    path("grid/", include("gongzhi.grid.urls")),
    path("people/", include("gongzhi.people.urls")),
    path("orgs/", include("gongzhi.orgs.urls")),
    path("audit/", include("gongzhi.accounts.urls_audit")),
    path("notifications/", include("gongzhi.notifications.urls")),
    path("appeals/photos/<int:pk>/<str:size>/", views_photos.photo, name="appeal_photo"),
    path("appeals/", include("gongzhi.appeals.urls")),
    path("notices/", include("gongzhi.notices.urls")),
    path("stations/", include("gongzhi.stations.urls")),
    path("care/", include("gongzhi.care.urls")),
    path("deliberation/", include("gongzhi.deliberation.urls")),
]

handler400 = "gongzhi.api.base.api_aware_400"  # JSON under /api/, the page elsewhere
handler403 = "gongzhi.core.views.permission_denied"
handler404 = "gongzhi.core.views.page_not_found"
handler500 = "gongzhi.core.views.server_error"
