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


class TestWhatTheReporterSees:
    """The reporter follows their appeal to the end, but learns nobody else's identity from it."""

    @pytest.fixture
    def worked(self, grid, submit, act):
        a = submit(description=LIFT, is_public=True)
        act(grid.community_worker, a, "dispatch", handler=grid.property_co)
        act(grid.property1, a, "take")
        act(grid.property1, a, "note", note="业主脾气急，注意沟通", internal=True)
        act(grid.property1, a, "reply", note="维保单位下午到场")
        from gongzhi.appeals.services import appeal_me_too

        appeal_me_too(user=grid.resident2, appeal=a)
        return a

    OTHERS = ("community_worker", "property1", "resident2")

    def test_api_timeline_names_nobody_else(self, grid, api, worked):
        d = api.get(grid.resident1, f"/api/v1/appeals/{worked.pk}").json()
        actions = [e["action"] for e in d["timeline"]]
        assert actions == ["submit", "dispatch", "take", "reply", "me_too"]  # no internal note
        text = str(d["timeline"])
        for name in self.OTHERS:
            assert name not in text
        assert d["timeline"][0]["actor"] == "resident1"  # their own act
        assert [e["actor"] for e in d["timeline"][1:]] == [None] * 4
        # The desk's routing note is withheld from the reporter, in the timeline as in the field.
        assert d["routing_note"] == "" and d["timeline"][0]["note"] == ""
        assert "suggested_handler" not in d["timeline"][0]["data"] and "rule" not in d["timeline"][0]["data"]
        # What was answered to them stays.
        assert d["timeline"][3]["note"] == "维保单位下午到场"

    def test_page_timeline_names_nobody_else(self, grid, client, worked):
        client.force_login(grid.resident1)
        body = client.get(f"/appeals/{worked.pk}/").content.decode()
        for name in self.OTHERS:
            assert name not in body
        assert "业主脾气急" not in body and "维保单位下午到场" in body

    def test_staff_still_see_who_did_what(self, grid, api, worked):
        d = api.get(grid.community_worker, f"/api/v1/appeals/{worked.pk}").json()
        assert [e["actor"] for e in d["timeline"]] == ["resident1", "community_worker", "property1", "property1",
                                                       "property1", "resident2"]
        assert d["timeline"][0]["note"] and "业主脾气急" in str(d["timeline"])

    def test_staff_reporting_out_of_their_scope_see_it_as_a_reporter(self, grid, client, submit, act):
        """property1 serves K1 and K2; their own appeal about K3 shows them no desk details of K3."""
        a = submit(user=grid.property1, description="东风花园门口路灯不亮", category=grid.lighting, compound=grid.K3)
        act(grid.street_admin, a, "dispatch", handler=grid.office2)
        client.force_login(grid.property1)
        body = client.get(f"/appeals/{a.pk}/").content.decode()
        assert "street_admin" not in body
        assert a.routing_note and a.routing_note not in body
