"""Accounts' part of a resident's home (gongzhi.dashboard.homes): who their grid worker is and how to reach
them. A grid worker's work number is theirs to be called on, as the 网格员 boards in every compound post it;
a resident sees only those of the grid cells their own household lies in."""
from django.db.models import Q

from gongzhi.dashboard.homes import Panel

from .models import Role, RoleAssignment
from .policy import scope_of


def _homes(user):
    return [ra.household for ra in RoleAssignment.objects.filter(user=user, role=Role.RESIDENT, household__isnull=False)
            .select_related("household__building__compound")]


def my_grid_workers(request):
    cells = Q(pk__in=[])
    for h in _homes(request.user):
        cells |= Q(household=h) | Q(building_id=h.building_id) | Q(compound_id=h.building.compound_id)
    seen, workers = set(), []
    for ra in (RoleAssignment.objects.filter(cells, role=Role.GRID_WORKER)
               .select_related("user", "compound", "building__compound").order_by("user_id")):
        if ra.user_id in seen or not ra.user.is_active:
            continue
        seen.add(ra.user_id)
        workers.append({"name": str(ra.user), "phone": ra.user.phone_clear(), "cell": str(ra.scope)})
    return {"workers": workers}


PANELS = (
    Panel("accounts.grid_worker", "accounts/home_grid_worker.html",
          lambda u: Role.RESIDENT in scope_of(u).roles,  # the roles the page has read already
          my_grid_workers, order=20),
)
