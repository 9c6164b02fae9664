"""The JSON API under /api/v1/: one router per app, wired here."""
from gongzhi.accounts.api import router as accounts_router
from gongzhi.accounts.api_audit import router as audit_router
from gongzhi.accounts.api_me import router as me_router
from gongzhi.appeals.api import router as appeals_router
from gongzhi.appeals.api_admin import router as appeals_admin_router
from gongzhi.appeals.api_similar import router as similar_router
from gongzhi.grid.api import router as grid_router
from gongzhi.notices.api import router as notices_router
from gongzhi.lists.api import router as lists_router
from gongzhi.care.api import router as care_router
from gongzhi.stations.activity_api import router as activities_router
from gongzhi.deliberation.api import router as deliberation_router
from gongzhi.stations.api import router as stations_router
from gongzhi.notifications.api import router as notifications_router
from gongzhi.orgs.api import router as orgs_router
from gongzhi.people.api import router as people_router
from gongzhi.people.api_conflicts import router as conflicts_router
from gongzhi.people.api_imports import router as imports_router
from gongzhi.signup.api import router as signup_router

from .base import BearerAuth, GongzhiAPI, install_error_handlers
from .throttles import WriteThrottle

# Every operation without a throttle of its own (the token endpoints have LoginThrottle) limits writes per user.
api = GongzhiAPI(title="Gongzhi 共治 API", version="1", urls_namespace="api", auth=BearerAuth(), throttle=WriteThrottle(),
                 description="社区共治平台 JSON API. Authenticate with POST /api/v1/auth/token, then send "
                             "`Authorization: Bearer <token>`.")
install_error_handlers(api)
api.add_router("/auth", accounts_router, tags=["auth"])
api.add_router("/", grid_router, tags=["grid"])
api.add_router("/", people_router, tags=["people"])
api.add_router("/", conflicts_router, tags=["people"])
api.add_router("/", orgs_router, tags=["organisations"])
api.add_router("/", notifications_router, tags=["notifications"])
api.add_router("/", audit_router)
api.add_router("/", me_router)
api.add_router("/appeals", similar_router, tags=["appeals"])  # before /appeals/{ref}
api.add_router("/", appeals_router, tags=["appeals"])
api.add_router("/", appeals_admin_router, tags=["appeal settings"])
api.add_router("/", imports_router, tags=["import / export"])
api.add_router("/", signup_router)
api.add_router("/", notices_router, tags=["notices"])
api.add_router("/", lists_router)
api.add_router("/", stations_router, tags=["stations"])
api.add_router("/", care_router)
api.add_router("/", activities_router, tags=["stations"])
api.add_router("/", deliberation_router)
