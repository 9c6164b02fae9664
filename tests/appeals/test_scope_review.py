"""Scoping and privacy of appeals, proved through the HTTP layer (pages and /api/v1/)."""
import re

import pytest

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.accounts.policy import A, can
from gongzhi.accounts.selectors import users_with_action
from gongzhi.appeals.models import Appeal, Status

pytestmark = pytest.mark.django_db

LIFT = "3栋电梯坏了，困在8楼"


def _user(username, role, node=None, org=None):
    u = User.objects.create_user(username=username, password="x" * 12)
    ra = RoleAssignment(user=u, role=role, organisation=org)
    if node is not None:
        ra.set_node(node)
    ra.save()
    return User.objects.get(pk=u.pk)


@pytest.fixture
def building_worker(grid):
    """A grid worker assigned to building B1 of K1 only (the issue: "grid workers assigned to compounds or buildings")."""
    return _user("b1_worker", Role.GRID_WORKER, grid.B1)


class TestBuildingScope:
    """A scope sees its ancestors' names for context; that is no licence to the records hung on them."""

    def test_compound_level_appeal_is_out_of_a_building_workers_scope(self, grid, api, client, submit, act,
                                                                       building_worker):
        a = submit(description=LIFT)  # K1, no building
        assert a.building_id is None
        ids = [i["id"] for i in api.get(building_worker, "/api/v1/appeals").json()["items"]]
        assert a.pk not in ids
        assert api.get(building_worker, f"/api/v1/appeals/{a.pk}").status_code == 404
        client.force_login(building_worker)
        assert client.get(f"/appeals/{a.pk}/").status_code == 404
        act(grid.community_worker, a, "dispatch", handler=grid.property_co)
        act(grid.property1, a, "take")
        act(grid.property1, a, "resolve", note="已修好")
        r = api.post(building_worker, f"/api/v1/appeals/{a.pk}/actions/verify", {})
        assert r.status_code == 404
        assert Appeal.objects.get(pk=a.pk).status == Status.RESOLVED
        assert building_worker not in users_with_action(A.APPEAL_VERIFY, a)

    def test_appeal_in_the_workers_building_is_theirs(self, grid, api, submit, act, building_worker):
        a = submit(description=LIFT, building=grid.B1)
        assert a.pk in [i["id"] for i in api.get(building_worker, "/api/v1/appeals").json()["items"]]
        assert api.get(building_worker, f"/api/v1/appeals/{a.pk}").status_code == 200
        act(grid.community_worker, a, "dispatch", handler=grid.property_co)
        act(grid.property1, a, "take")
        act(grid.property1, a, "resolve", note="已修好")
        r = api.post(building_worker, f"/api/v1/appeals/{a.pk}/actions/verify", {})
        assert r.status_code == 200 and r.json()["status"] == Status.VERIFIED
        assert building_worker in users_with_action(A.APPEAL_VERIFY, a)

    def test_grid_nodes_still_show_their_ancestors_for_context(self, grid, api, building_worker):
        assert can(building_worker, A.GRID_VIEW, grid.K1) and can(building_worker, A.GRID_VIEW, grid.C)
        assert api.get(building_worker, f"/api/v1/compounds/{grid.K1.pk}").status_code == 200
        # ...but writes need the node inside the scope.
        assert not can(building_worker, A.GRID_CHANGE, grid.K1)
