"""Scoping and privacy of appeals, proved through the HTTP layer (pages and /api/v1/)."""

import pytest

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.accounts.policy import can
from gongzhi.appeals.capability import APPEAL_VERIFY
from gongzhi.grid.capability import GRID_CHANGE, GRID_VIEW
from gongzhi.accounts.policy import users_with
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
        assert building_worker not in users_with(APPEAL_VERIFY, a)

    def test_appeal_in_the_workers_building_is_theirs(self, grid, api, submit, act, building_worker):
        a = submit(description=LIFT, building=grid.B1)
        assert a.pk in [i["id"] for i in api.get(building_worker, "/api/v1/appeals").json()["items"]]
        assert api.get(building_worker, f"/api/v1/appeals/{a.pk}").status_code == 200
        act(grid.community_worker, a, "dispatch", handler=grid.property_co)
        act(grid.property1, a, "take")
        act(grid.property1, a, "resolve", note="已修好")
        r = api.post(building_worker, f"/api/v1/appeals/{a.pk}/actions/verify", {})
        assert r.status_code == 200 and r.json()["status"] == Status.VERIFIED
        assert building_worker in users_with(APPEAL_VERIFY, a)

    def test_grid_nodes_still_show_their_ancestors_for_context(self, grid, api, building_worker):
        assert can(building_worker, GRID_VIEW, grid.K1) and can(building_worker, GRID_VIEW, grid.C)
        assert api.get(building_worker, f"/api/v1/compounds/{grid.K1.pk}").status_code == 200
        # ...but writes need the node inside the scope.
        assert not can(building_worker, GRID_CHANGE, grid.K1)


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


def _png():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


class TestWriteSide:
    """Acting on what one may not, or only sees, through the API and the pages."""

    def test_resident_cannot_file_for_a_household_not_theirs(self, grid, api, client):
        before = Appeal.objects.count()
        r = api.post(grid.resident1, "/api/v1/appeals", {"category": "lift", "description": "家里水管爆了",
                                                         "household_id": grid.H2.pk})
        assert r.status_code == 400 and r.json()["field"] == "household"
        # The answer is the one for a household that does not exist: it confirms nothing.
        missing = api.post(grid.resident1, "/api/v1/appeals", {"category": "lift", "description": "家里水管爆了",
                                                               "household_id": 999999})
        assert missing.json()["detail"] == r.json()["detail"]
        assert Appeal.objects.count() == before
        ok = api.post(grid.resident1, "/api/v1/appeals", {"category": "lift", "description": "家里水管爆了",
                                                          "household_id": grid.H1.pk})
        assert ok.status_code == 201

    def test_staff_file_for_households_in_their_scope_only(self, grid, api):
        r = api.post(grid.community_worker, "/api/v1/appeals", {
            "category": "lift", "description": "来电：家里水管爆了", "channel": "hotline",
            "household_id": grid.H3.pk, "contact_name": "刘先生"})  # H3 is in community C2
        assert r.status_code == 400
        assert not Appeal.objects.filter(household=grid.H3).exists()
        r = api.post(grid.community_worker, "/api/v1/appeals", {
            "category": "lift", "description": "来电：家里水管爆了", "channel": "hotline",
            "household_id": grid.H2.pk, "contact_name": "陈女士"})
        assert r.status_code == 201

    def test_a_role_without_appeal_create_cannot_file_through_the_api_either(self, grid, api, client, submit):
        client.force_login(grid.rider1)
        assert client.get("/appeals/new/").status_code == 404
        r = api.post(grid.rider1, "/api/v1/appeals", {"category": "lift", "description": "路口井盖丢了",
                                                      "compound_id": grid.K1.pk})
        assert r.status_code == 403
        a = submit(description=LIFT, is_public=True)
        assert api.post(grid.rider1, f"/api/v1/appeals/{a.pk}/me-too").status_code == 403
        assert Appeal.objects.get(pk=a.pk).me_too_count == 0
        assert not Appeal.objects.filter(reporter=grid.rider1).exists()

    def test_no_me_too_on_a_private_appeal_and_no_photos_on_anothers(self, grid, api, client, submit, settings,
                                                                    tmp_path):
        settings.STORAGES = {**settings.STORAGES, "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
        private = submit(description=LIFT)
        public = submit(description="小区东门路灯坏了好几天", category=grid.lighting, is_public=True)
        assert api.post(grid.resident2, f"/api/v1/appeals/{private.pk}/me-too").status_code == 404
        client.force_login(grid.resident2)
        assert client.post(f"/appeals/{private.pk}/metoo/").status_code == 404
        for a in (private, public):
            r = client.post(f"/api/v1/appeals/{a.pk}/photos", {"photo": _png()},
                            HTTP_AUTHORIZATION=api._headers(grid.resident2)["HTTP_AUTHORIZATION"])
            assert r.status_code == 404
            assert a.photos.count() == 0

    def test_only_the_reporter_rates_and_reopens_within_the_window(self, grid, api, submit, act, settings):
        a = submit(description=LIFT, is_public=True)
        act(grid.community_worker, a, "dispatch", handler=grid.property_co)
        act(grid.property1, a, "take")
        act(grid.property1, a, "resolve", note="已修好")
        act(grid.grid_worker, a, "verify")
        for user, status in ((grid.resident2, 404), (grid.community_worker, 403), (grid.property1, 403)):
            r = api.post(user, f"/api/v1/appeals/{a.pk}/actions/rate", {"rating": "satisfied"})
            assert r.status_code == status, user
        assert Appeal.objects.get(pk=a.pk).rating == ""
        r = api.post(grid.resident1, f"/api/v1/appeals/{a.pk}/actions/rate", {"rating": "unsatisfied"})
        assert r.status_code == 200 and r.json()["status"] == Status.CLOSED
        import datetime

        from django.utils import timezone

        Appeal.objects.filter(pk=a.pk).update(
            closed_at=timezone.now() - datetime.timedelta(days=settings.APPEAL_REOPEN_DAYS, minutes=1))
        r = api.post(grid.resident1, f"/api/v1/appeals/{a.pk}/actions/reopen", {"note": "又坏了"})
        assert r.status_code == 403 and Appeal.objects.get(pk=a.pk).status == Status.CLOSED

    def test_duplicate_of_must_be_an_appeal_the_desk_may_see(self, grid, api, submit):
        elsewhere = submit(user=grid.street_admin, description="东风花园路灯坏了", category=grid.lighting,
                           compound=grid.K3)
        a = submit(description=LIFT)
        r = api.post(grid.community_worker, f"/api/v1/appeals/{a.pk}/actions/reject",
                     {"note": "重复", "duplicate_of": elsewhere.number})
        assert r.status_code == 400 and r.json()["field"] == "duplicate_of"
        assert Appeal.objects.get(pk=a.pk).status == Status.SUBMITTED
        mine = submit(description=LIFT)
        r = api.post(grid.community_worker, f"/api/v1/appeals/{a.pk}/actions/reject",
                     {"note": "重复", "duplicate_of": mine.number})
        assert r.status_code == 200 and r.json()["duplicate_of"] == mine.number

    def test_dispatch_only_to_an_organisation_serving_the_place(self, grid, api, submit):
        """K3's property company would read a K1 resident's appeal if the desk could hand it over."""
        a = submit(description=LIFT)
        for other in (grid.other_property, grid.office2):
            r = api.post(grid.community_worker, f"/api/v1/appeals/{a.pk}/actions/dispatch", {"handler": other.pk})
            assert r.status_code == 400 and r.json()["field"] == "handler"
        assert Appeal.objects.get(pk=a.pk).handler_id is None
        other_staff = _user("dongfeng_staff", Role.PROPERTY_STAFF, org=grid.other_property)
        assert api.get(other_staff, f"/api/v1/appeals/{a.pk}").status_code == 404
        for ok in (grid.property_co, grid.office, grid.dept):
            assert api.post(grid.community_worker, f"/api/v1/appeals/{a.pk}/actions/"
                            + ("dispatch" if ok == grid.property_co else "reassign"), {"handler": ok.pk}).status_code == 200
        r = api.post(grid.community_worker, f"/api/v1/appeals/{a.pk}/actions/reassign", {"handler": grid.other_property.pk})
        assert r.status_code == 400 and Appeal.objects.get(pk=a.pk).handler_id == grid.dept.pk


class TestPublicMeansPublicCategoryToo:
    """An appeal is shown publicly only while its category may be public (as Open311 already had it):
    an admin who makes a category private withdraws its appeals everywhere at once."""

    def test_category_made_private_withdraws_its_public_appeals(self, grid, api, client, submit, settings, tmp_path):
        settings.STORAGES = {**settings.STORAGES, "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
        from gongzhi.appeals.photos import photo_add, photo_url

        a = submit(description="小区东门路灯坏了好几天", category=grid.lighting, is_public=True)
        photo = photo_add(user=grid.resident1, appeal=a, file=_png())
        similar = dict(text="东门路灯坏了", compound=grid.K1.pk)
        assert api.get(grid.resident2, "/api/v1/appeals/similar", **similar).json()["count"] == 1
        assert client.get(photo_url(photo)).status_code == 200
        grid.lighting.may_be_public = False
        grid.lighting.save()
        assert api.get(grid.resident2, "/api/v1/appeals/similar", **similar).json()["count"] == 0
        client.force_login(grid.resident2)
        assert "东门路灯" not in client.get("/appeals/similar/", {"description": "东门路灯坏了",
                                                                  "compound": grid.K1.pk}).content.decode()
        assert api.post(grid.resident2, f"/api/v1/appeals/{a.pk}/me-too").status_code == 404
        client.logout()
        assert client.get(photo_url(photo)).status_code == 404
        assert client.get("/open311/v2/requests.json").json() == []
        # Its reporter and the staff still see it, photo included.
        assert api.get(grid.resident1, "/api/v1/appeals/similar", **similar).json()["count"] == 1
        client.force_login(grid.community_worker)
        assert client.get(photo_url(photo)).status_code == 200


def test_only_the_reporters_photos_of_a_public_appeal_are_public(grid, client, submit, act, settings, tmp_path):
    """A public appeal shows the photos its reporter made public (what Open311 lists); the handler's evidence
    (often taken inside a home) stays with those who may see the appeal, photo ids being easy to guess."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    from gongzhi.appeals.models import PhotoKind
    from gongzhi.appeals.photos import photo_add, photo_url

    a = submit(description="楼道灯不亮", category=grid.lighting, is_public=True)
    report = photo_add(user=grid.resident1, appeal=a, file=_png())
    act(grid.community_worker, a, "dispatch", handler=grid.property_co)
    act(grid.property1, a, "take")
    evidence = photo_add(user=grid.property1, appeal=a, file=_png(), kind=PhotoKind.EVIDENCE)
    assert client.get(photo_url(report)).status_code == 200
    assert client.get(photo_url(evidence)).status_code == 404
    assert client.get(photo_url(evidence, "thumb")).status_code == 404
    for user in (grid.resident1, grid.property1, grid.community_worker):
        client.force_login(user)
        assert client.get(photo_url(evidence)).status_code == 200
    client.force_login(grid.resident2)
    assert client.get(photo_url(evidence)).status_code == 404
    # The page shows the handler's evidence with the answer, apart from what the resident reported.
    client.force_login(grid.resident1)
    body = client.get(f"/appeals/{a.pk}/").content.decode()
    content = body.index("<h2>诉求内容</h2>")
    assert body.index("<h3>办结照片</h3>") < body.index(photo_url(evidence, "thumb")) < content
    assert content < body.index(photo_url(report, "thumb")) and body.count(photo_url(evidence, "thumb")) == 1
