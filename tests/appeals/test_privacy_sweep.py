"""No page, list, fragment, export, notification or log carries a full ID number or mobile without an audited
reveal; internal notes stay internal everywhere; and each role reads only the appeals in its scope."""
import re

import pytest
from django.core import mail

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.appeals.services import appeal_act, appeal_submit
from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.people.services import resident_update

pytestmark = pytest.mark.django_db

ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
CALLER = "13712345670"
NEW_PHONE = "13698765432"
INTERNAL = "内部：来电人情绪激动"


def clear_values(text):
    return ID_RE.findall(text) + MOBILE_RE.findall(text)


@pytest.fixture
def world(grid, settings, django_capture_on_commit_callbacks, client):
    """A hotline call with the caller's mobile, worked with an internal note; a resident's phone changed;
    a failed login typed with a mobile; an appeal in K3 that K1/K2 staff must never see."""
    g = grid
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for u in User.objects.all():
        u.email = f"{u.username}@example.org"
        u.save()
    with django_capture_on_commit_callbacks(execute=True):
        g.call = appeal_submit(user=g.community_worker, category=g.lift, channel="hotline", compound=g.K1,
                               description="来电反映3栋电梯异响", contact_name="黄先生", contact_phone=CALLER)
        appeal_act(user=g.community_worker, appeal=g.call, action="dispatch", handler=g.property_co.pk)
        appeal_act(user=g.property1, appeal=g.call, action="take")
        appeal_act(user=g.community_worker, appeal=g.call, action="note", note=INTERNAL, internal=True)
        appeal_act(user=g.property1, appeal=g.call, action="reply", note="已安排维保")
        g.mine = appeal_submit(user=g.resident1, category=g.lift, compound=g.K1, description="1栋电梯按钮失灵")
        appeal_act(user=g.community_worker, appeal=g.mine, action="dispatch", handler=g.property_co.pk)
        appeal_act(user=g.community_worker, appeal=g.mine, action="note", note=INTERNAL, internal=True)
        appeal_act(user=g.property1, appeal=g.mine, action="take")
        g.k3 = appeal_submit(user=g.street_admin, category=g.lighting, compound=g.K3, description="东风花园路灯不亮",
                             channel="hotline", contact_phone="13500009999")
        appeal_act(user=g.street_admin, appeal=g.k3, action="dispatch", handler=g.other_property.pk)
    resident_update(user=g.community_worker, resident=g.R1, phone=NEW_PHONE, id_number="44148119800101001"
                    + __import__("gongzhi.core.identity", fromlist=["x"]).id_check_digit("44148119800101001"))
    client.post("/accounts/login/", {"username": "13700001234", "password": "wrong"})
    client.logout()
    g.boss = User.objects.create_superuser(username="boss", password="x" * 12)
    g.other_staff = User.objects.create_user(username="dongfeng_staff")
    RoleAssignment.objects.create(user=g.other_staff, role=Role.PROPERTY_STAFF, organisation=g.other_property)
    return g


def fetch(client, api, user, url, bearer=False):
    if bearer:
        r = api.get(user, url)
    else:
        client.force_login(user)
        r = client.get(url)
    assert r.status_code == 200, (user, url, r.status_code)
    return r.content.decode()


def test_no_clear_identifier_on_any_page_list_or_log(world, client, api):
    g = world
    pages = [
        (g.community_worker, f"/appeals/{g.call.pk}/"), (g.community_worker, "/appeals/?tab=all"),
        (g.property1, f"/appeals/{g.call.pk}/"), (g.property1, "/appeals/?tab=handle"),
        (g.community_worker, "/notifications/"), (g.property1, "/notifications/"), (g.resident1, "/notifications/"),
        (g.street_admin, "/audit/"), (g.community_worker, f"/people/household/{g.H1.pk}/"),
        (g.community_worker, f"/people/resident/{g.R1.pk}/"), (g.resident1, f"/people/household/{g.H1.pk}/"),
        (g.community_worker, f"/people/search/?q={NEW_PHONE}"), (g.community_worker, "/people/search/?q=张"),
        (g.boss, "/admin/people/resident/"), (g.boss, f"/admin/people/resident/{g.R1.pk}/change/"),
        (g.boss, "/admin/accounts/user/"), (g.boss, "/admin/core/auditentry/"),
        (g.boss, "/admin/notifications/notification/"), (g.boss, "/admin/axes/accessattempt/"),
    ]
    for user, url in pages:
        assert clear_values(fetch(client, api, user, url)) == [], url
    api_urls = [
        (g.community_worker, f"/api/v1/appeals/{g.call.pk}"), (g.community_worker, "/api/v1/appeals"),
        (g.property1, f"/api/v1/appeals/{g.call.pk}"), (g.community_worker, "/api/v1/notifications"),
        (g.street_admin, "/api/v1/audit"), (g.community_worker, "/api/v1/residents"),
        (g.community_worker, f"/api/v1/residents?q={NEW_PHONE}"), (g.resident1, "/api/v1/residents"),
        (g.community_worker, f"/api/v1/households/{g.H1.pk}"), (g.community_worker, "/api/v1/me"),
    ]
    for user, url in api_urls:
        assert clear_values(fetch(client, api, user, url, bearer=True)) == [], url
    client.logout()
    for url in ("/open311/v2/requests.json", "/open311/v2/requests.xml"):
        assert clear_values(client.get(url).content.decode()) == []
    for m in mail.outbox:
        assert clear_values(m.subject + m.body) == []
    # A search by the full mobile finds the resident without echoing the number into the page.
    found = fetch(client, api, g.community_worker, f"/people/search/?q={NEW_PHONE}")
    assert "张伟" in found and "136****5432" in found
    # The caller's number is kept (encrypted) and shown masked to the desk.
    assert "137****5670" in fetch(client, api, g.community_worker, f"/appeals/{g.call.pk}/")


def test_reveal_is_the_one_way_to_a_clear_value_and_it_is_audited(world, client, api):
    g = world
    n = AuditEntry.objects.filter(action=AuditAction.REVEAL).count()
    r = api.post(g.community_worker, f"/api/v1/residents/{g.R1.pk}/reveal", {"field": "phone"})
    assert r.json()["value"] == NEW_PHONE and r["Cache-Control"] == "no-store"
    client.force_login(g.community_worker)
    assert NEW_PHONE in client.post(f"/people/resident/{g.R1.pk}/reveal/", {"field": "phone"}).content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL).count() == n + 2
    # Roles without the right get the masked value only, and a refusal.
    assert api.post(g.property1, f"/api/v1/residents/{g.R1.pk}/reveal", {"field": "phone"}).status_code == 404
    assert api.post(g.resident1, f"/api/v1/residents/{g.R1.pk}/reveal", {"field": "id_number"}).status_code == 404


def test_exports_are_audited_each_time(world, client, api):
    g = world
    n = AuditEntry.objects.filter(action=AuditAction.EXPORT).count()
    assert api.get(g.community_worker, "/api/v1/exports/residents.csv").status_code == 200
    client.force_login(g.community_worker)
    r = client.get("/people/export/?format=csv")
    b"".join(r.streaming_content)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == n + 2
    for role_user in (g.property1, g.grid_worker, g.resident1, g.owners1):
        assert api.get(role_user, "/api/v1/exports/residents.csv").status_code == 404


def test_internal_notes_stay_internal_everywhere(world, client, api):
    g = world
    assert INTERNAL not in fetch(client, api, g.resident1, f"/appeals/{g.mine.pk}/")
    assert INTERNAL not in fetch(client, api, g.resident1, f"/api/v1/appeals/{g.mine.pk}", bearer=True)
    assert INTERNAL not in fetch(client, api, g.resident1, "/notifications/")
    assert INTERNAL not in fetch(client, api, g.resident1, "/api/v1/notifications", bearer=True)
    client.logout()
    assert INTERNAL not in client.get("/open311/v2/requests.json").content.decode()
    for m in mail.outbox:
        assert INTERNAL not in m.body
    from gongzhi.appeals.models import AppealEvent
    from gongzhi.appeals.timeline import payload

    for e in AppealEvent.objects.all():
        assert INTERNAL not in str(payload(e))
    # Staff of the appeal do see it.
    assert INTERNAL in fetch(client, api, g.community_worker, f"/appeals/{g.mine.pk}/")


class TestReadScope:
    def test_property_staff_of_k1_k2_never_read_k3(self, world, client, api):
        g = world
        ids = [i["id"] for i in api.get(g.property1, "/api/v1/appeals", limit=200).json()["items"]]
        assert g.k3.pk not in ids and g.call.pk in ids
        assert api.get(g.property1, f"/api/v1/appeals/{g.k3.pk}").status_code == 404
        client.force_login(g.property1)
        assert client.get(f"/appeals/{g.k3.pk}/").status_code == 404
        assert "东风花园路灯" not in client.get("/appeals/?tab=all").content.decode()
        rates = api.get(g.property1, "/api/v1/appeal-rates", group_by="compound").json()
        assert {r["key"] for r in rates["rows"]} <= {g.K1.pk, g.K2.pk}
        assert "东风花园" not in client.get("/appeals/rates/?group=compound").content.decode()
        assert api.get(g.property1, "/api/v1/appeals/similar", text="东风花园路灯不亮",
                       compound=g.K3.pk).json()["count"] == 0

    def test_a_handler_org_reads_its_own_appeals_not_another_orgs(self, world, client, api):
        g = world
        ids = [i["id"] for i in api.get(g.other_staff, "/api/v1/appeals", limit=200).json()["items"]]
        assert ids == [g.k3.pk]  # dispatched to 东风物业
        for a in (g.call, g.mine):
            assert api.get(g.other_staff, f"/api/v1/appeals/{a.pk}").status_code == 404
        assert api.get(g.owners1, f"/api/v1/appeals/{g.mine.pk}").status_code == 404  # K1 owners' committee: not its appeal

    def test_a_resident_reads_their_own_and_nothing_private_of_others(self, world, client, api):
        g = world
        ids = [i["id"] for i in api.get(g.resident1, "/api/v1/appeals", limit=200).json()["items"]]
        assert ids == [g.mine.pk]
        for user in (g.resident2, g.rider1, g.nobody):
            assert api.get(user, f"/api/v1/appeals/{g.mine.pk}").status_code == 404
        assert api.get(g.resident2, "/api/v1/appeals/similar", text="1栋电梯按钮失灵", compound=g.K1.pk).json()["count"] == 0
        client.force_login(g.resident2)
        frag = client.get("/appeals/similar/", {"description": "1栋电梯按钮失灵", "compound": g.K1.pk}).content.decode()
        assert "按钮失灵" not in frag
        assert client.get("/api/v1/appeal-rates").status_code == 401
        assert client.get("/appeals/rates/").status_code == 404
