"""Confidential categories (issue 7, item 4): who reads an appeal about a person's circumstances.

A confidential appeal is read by its reporter, the community desk and sub-district staff over its place, the
grid workers of its place, the staff of the organisation handling it and of departments whistled to it: no one
else, on any surface (lists and queues, details, photos, rates, duplicate suggestions, Open311, notifications).
Property staff read the other appeals of the compounds they serve as before.

The world below has five confidential appeals (A-E) and one ordinary appeal (F) per compound; each surface is
asked for every user of the cast and must give exactly the expected appeals.
"""
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.accounts.capabilities import discover
from gongzhi.accounts.policy import where_q
from gongzhi.appeals.capability import APPEAL_DISPATCH, APPEAL_SUPERVISE, APPEAL_VERIFY, APPEAL_VIEW, APPEAL_WHISTLE
from gongzhi.appeals import admin_services, rates, selectors
from gongzhi.appeals.models import Appeal, AppealEvent, AppealPhoto, Category
from gongzhi.appeals.photos import photo_add, photo_url
from gongzhi.appeals.services import appeal_act, appeal_submit
from gongzhi.appeals.similar import similar_appeals
from gongzhi.core.models import AuditEntry
from gongzhi.notifications.models import Notification, WebhookDelivery
from gongzhi.notifications.services import webhook_create

pytestmark = pytest.mark.django_db

# Every description shares these words, so one duplicate search finds them all.
WORDS = "家里老人生病邻居纠纷"
QUEUES = ("dispatch", "handle", "verify", "mine", "all")


def png():
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _user(name, role, node=None, org=None):
    u = User.objects.create_user(name, password="x" * 12, email=f"{name}@example.org")
    ra = RoleAssignment(user=u, role=role, organisation=org)
    if node is not None:
        ra.set_node(node)
    ra.save()
    return u


@pytest.fixture
def world(grid, django_capture_on_commit_callbacks):
    """A: hardship in K1, by resident1, handled by the community office, resolved (in the verify queue).
    B: dispute in K2, by resident2, with their photo, just submitted.
    C: dispute in K1 taken by phone, dispatched to the property company (the desk decided it must act).
    D: report about a person in K1, taken by phone, accepted, whistled by the sub-district to a department.
    E: hardship in K1 that property staff spotted and reported through the property channel, with their photo.
    F: an ordinary lift appeal in K1 (property staff read it), public, with its reporter's photo.
    """
    g = grid
    g.grid_worker2 = _user("grid_worker2", Role.GRID_WORKER, g.K2)
    g.property3 = _user("property3", Role.PROPERTY_STAFF, org=g.other_property)
    g.officer = _user("officer", Role.PROPERTY_STAFF, org=g.dept)  # a department's staff (scoped to the sub-district)
    g.root = User.objects.create_superuser("root", password="x" * 12)
    for u in User.objects.filter(email=""):
        u.email = f"{u.username}@example.org"
        u.save()
    g.dispute = Category.objects.get(code="dispute")
    g.person_report = Category.objects.get(code="person_report")
    g.suggestion = Category.objects.get(code="suggestion")
    cw, sa = g.community_worker, g.street_admin
    with django_capture_on_commit_callbacks(execute=True):
        g.A = appeal_submit(user=g.resident1, category=g.hardship, compound=g.K1, household=g.H1,
                            description=f"{WORDS}，失业后生活困难，想咨询低保申请条件")
        g.a_photo = photo_add(user=g.resident1, appeal=g.A, file=png())
        for action, kw in (("accept", {}), ("dispatch", {"handler": g.office.pk}), ("take", {}),
                           ("resolve", {"note": "已协助申请低保"})):
            appeal_act(user=cw, appeal=g.A, action=action, **kw)
        g.B = appeal_submit(user=g.resident2, category=g.dispute, compound=g.K2, description=f"{WORDS}，楼上漏水赔偿")
        g.b_photo = photo_add(user=g.resident2, appeal=g.B, file=png())
        g.C = appeal_submit(user=cw, category=g.dispute, compound=g.K1, channel="hotline", contact_name="黄先生",
                            description=f"{WORDS}，楼上楼下因为漏水产生纠纷")
        appeal_act(user=cw, appeal=g.C, action="dispatch", handler=g.property_co.pk)
        g.D = appeal_submit(user=cw, category=g.person_report, compound=g.K1, channel="hotline",
                            description=f"{WORDS}，反映1栋有群租")
        appeal_act(user=cw, appeal=g.D, action="accept")
        appeal_act(user=sa, appeal=g.D, action="whistle", departments=[g.dept.pk])
        g.E = appeal_submit(user=g.property1, category=g.hardship, compound=g.K1, channel="property",
                            description=f"{WORDS}，3栋独居老人生活困难")
        g.e_photo = photo_add(user=g.property1, appeal=g.E, file=png())
        g.F = appeal_submit(user=g.resident1, category=g.lift, compound=g.K1, is_public=True,
                            description=f"{WORDS}，电梯停在8楼不动")
        g.f_photo = photo_add(user=g.resident1, appeal=g.F, file=png())
    g.confidential = [g.A, g.B, g.C, g.D, g.E]
    return g


# Who reads which confidential appeal: the rule, written out for every user of the cast.
EXPECTED = {
    "street_admin": "ABCDE", "community_worker": "ABCDE", "grid_worker": "ACDE", "grid_worker2": "B",
    "property1": "C", "property3": "", "officer": "D", "owners1": "", "member1": "", "resident1": "A",
    "resident2": "B", "rider1": "", "nobody": "", "root": "ABCDE",
}
# The work queues' confidential rows (every other queue of every user: none).
EXPECTED_QUEUES = {
    ("street_admin", "dispatch"): "BDE", ("community_worker", "dispatch"): "BDE", ("root", "dispatch"): "BDE",
    ("street_admin", "verify"): "A", ("community_worker", "verify"): "A", ("grid_worker", "verify"): "A",
    ("root", "verify"): "A", ("property1", "handle"): "C",
    ("resident1", "mine"): "A", ("resident2", "mine"): "B",
}
USERS = list(EXPECTED)


def letters(world, ids):
    names = {getattr(world, x).pk: x for x in "ABCDE"}
    return "".join(sorted(names[i] for i in ids if i in names))


def api_ids(api, user, path, **params):
    """Every id of an API list, through its cursors."""
    seen, cursor = [], ""
    while True:
        r = api.get(user, path, **params, cursor=cursor, limit=200)
        assert r.status_code == 200, r.content
        body = r.json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return seen


def bearer(user):
    from gongzhi.accounts.models import ApiToken

    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 1)[1]}"}


@pytest.mark.parametrize("username", USERS)
def test_lists_and_queues(world, api, client, username):
    user = getattr(world, username)
    for name in QUEUES:
        expected = EXPECTED[username] if name == "all" else EXPECTED_QUEUES.get((username, name), "")
        assert letters(world, api_ids(api, user, "/api/v1/appeals", queue=name)) == expected, name
        assert letters(world, selectors.queue(user, name).values_list("id", flat=True)) == expected, name
    r = api.get(user, "/api/v1/appeals", queue="all")
    assert r.json()["count"] == len(EXPECTED[username]) + _reads_f(username)
    client.force_login(user)
    r = client.get("/appeals/", {"tab": "all"})
    if username in ("rider1", "nobody"):  # no appeal pages at all
        assert r.status_code == 404
    elif r.context["tab"] == "all":
        assert letters(world, [a.pk for a in r.context["rows"]]) == EXPECTED[username]
    else:  # residents have no "all" tab: their own
        assert (r.context["tab"], letters(world, [a.pk for a in r.context["rows"]])) == ("mine", EXPECTED[username])


def _reads_f(username):
    """Whether the user reads the ordinary appeal F (K1, resident1's): the rule for it is unchanged."""
    return username in ("street_admin", "community_worker", "grid_worker", "property1", "officer", "resident1",
                             "root")


@pytest.mark.parametrize("username", USERS)
def test_details_and_photos(world, api, client, username):
    user = getattr(world, username)
    client.force_login(user)
    photos = {"A": world.a_photo, "B": world.b_photo, "E": world.e_photo}
    seen = {"api": "", "page": "", "photo list": "", "photo files": ""}
    for name in "ABCDE":
        a = getattr(world, name)
        for surface, response in (("api", api.get(user, f"/api/v1/appeals/{a.number}")),
                                  ("page", client.get(f"/appeals/{a.pk}/")),
                                  ("photo list", api.get(user, f"/api/v1/appeals/{a.pk}/photos"))):
            assert response.status_code in (200, 404)
            seen[surface] += name if response.status_code == 200 else ""
        if name in photos:
            codes = {client.get(photo_url(photos[name], size)).status_code for size in ("full", "thumb")}
            codes.add(api.get(user, photo_url(photos[name])).status_code)  # with a bearer token instead
            assert len(codes) == 1, codes
            seen["photo files"] += name if codes == {200} else ""
    entitled = EXPECTED[username]
    assert seen == {"api": entitled, "page": entitled, "photo list": entitled,
                    "photo files": "".join(x for x in entitled if x in photos)}
    assert (api.get(user, f"/api/v1/appeals/{world.F.number}").status_code == 200) == _reads_f(username)


def test_no_photo_of_a_confidential_appeal_without_signing_in(world, client):
    for photo in (world.a_photo, world.b_photo, world.e_photo):
        assert client.get(photo_url(photo)).status_code == 404
    r = client.get(photo_url(world.f_photo))  # F is public, until its category is made confidential or it is moved:
    assert (r.status_code, r["Cache-Control"]) == (200, "public, max-age=300")  # no shared cache keeps it longer


@pytest.mark.parametrize("username", USERS)
def test_rates_in_every_grouping(world, api, client, username):
    from gongzhi.accounts.policy import can

    user = getattr(world, username)
    confidential = set(Category.objects.filter(confidential=True).values_list("pk", flat=True))
    ordinary = sorted(set(Category.objects.values_list("pk", flat=True)) - confidential)
    assert where_q(Appeal, (("category__confidential", False),)) == Q(category_id__in=ordinary)
    if not can(user, APPEAL_VIEW):
        assert api.get(user, "/api/v1/appeal-rates").status_code == 404
        return
    for group in rates.GROUPS:
        rows = api.get(user, "/api/v1/appeal-rates", group_by=group).json()["rows"]
        assert sum(row["total"] for row in rows) == len(EXPECTED[username]) + _reads_f(username), group
    rows = api.get(user, "/api/v1/appeal-rates", group_by="category").json()["rows"]
    assert sum(row["total"] for row in rows if row["key"] in confidential) == len(EXPECTED[username])
    client.force_login(user)
    today = timezone.localdate()
    page = client.get("/appeals/rates/", {"group": "category", "start": (today - datetime.timedelta(days=30)).isoformat(),
                                          "end": today.isoformat()})
    assert page.context["group"] == "category"
    assert sum(row["total"] for row in page.context["rows"] if row["key"] in confidential) == len(EXPECTED[username])


@pytest.mark.parametrize("username", USERS)
def test_duplicate_suggestions(world, api, username):
    user = getattr(world, username)
    found = set()
    for compound in (world.K1, world.K2):
        found |= {a.pk for a in similar_appeals(text=WORDS, compound=compound.pk, limit=20, user=user)}
    assert letters(world, found) == EXPECTED[username]
    assert world.F.pk in found  # public: offered to everyone
    if username in ("property1", "owners1", "resident1", "resident2"):  # some who may file, through the API
        r = api.get(user, "/api/v1/appeals/similar", text=WORDS, compound=world.K1.pk, limit=20)
        assert letters(world, [i["id"] for i in r.json()["items"]]) == EXPECTED[username].replace("B", "")


def test_open311_never_shows_a_confidential_appeal(world, client):
    listed = {x["service_request_id"] for x in client.get("/open311/v2/requests.json").json()}
    assert listed == {world.F.number}
    for a in world.confidential:
        assert client.get(f"/open311/v2/requests/{a.number}.json").status_code == 404
    offered = {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    assert not offered & set(Category.objects.filter(confidential=True).values_list("code", flat=True))


def notified(world, username):
    """(appeal, action) of every inbox message the user got about a confidential appeal."""
    names = {getattr(world, x).pk: x for x in "ABCDE"}
    return sorted((names[a], action) for a, action in Notification.objects.filter(
        recipient=getattr(world, username), source="appeals", subject_id__in=names).values_list("subject_id", "action"))


NOTIFIED = {
    "community_worker": [("A", "submit"), ("B", "submit"), ("E", "submit")],
    "resident1": [("A", "accept"), ("A", "resolve"), ("A", "take")],
    "grid_worker": [("A", "resolve")],
    "property1": [("C", "dispatch")],
    "officer": [("D", "whistle")],
}


@pytest.mark.parametrize("username", USERS)
def test_notifications(world, username):
    assert notified(world, username) == NOTIFIED.get(username, [])


def test_a_reassignment_away_tells_the_old_handler_nothing_of_a_confidential_appeal(
        world, settings, monkeypatch, django_capture_on_commit_callbacks):
    """On an ordinary appeal the organisation it is taken from hears of it (and its webhook); of a confidential
    one, nothing: it may no longer read it."""
    from gongzhi.notifications import webhooks

    g = world
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    monkeypatch.setattr(webhooks, "post", lambda url, **kw: (True, 200, ""))
    endpoint, _secret = webhook_create(user=g.street_admin, organisation=g.property_co, url="http://127.0.0.1:9/hook")
    with django_capture_on_commit_callbacks(execute=True):
        appeal_act(user=g.community_worker, appeal=g.F, action="dispatch", handler=g.property_co.pk)
        appeal_act(user=g.community_worker, appeal=g.F, action="reassign", handler=g.office.pk)
        appeal_act(user=g.community_worker, appeal=g.C, action="reassign", handler=g.office.pk)
    assert Notification.objects.filter(recipient=g.property1, subject_id=g.F.pk, action="reassign").count() == 1
    assert Notification.objects.filter(recipient=g.property1, subject_id=g.C.pk, action="reassign").count() == 0
    appeal_of = dict(AppealEvent.objects.values_list("pk", "appeal_id"))
    hooks = {(appeal_of[pk], action) for pk, action in
             WebhookDelivery.objects.filter(endpoint=endpoint, source="appeals").values_list("event_id", "action")}
    assert hooks == {(g.F.pk, "dispatch"), (g.F.pk, "reassign")}
    # And the appeal itself is withdrawn from them at once.
    assert not selectors.visible_appeals(g.property1).filter(pk=g.C.pk).exists()


def test_the_author_adds_photos_then_reads_nothing(world, api, client):
    """Property staff who report a family in hardship hand it over: the receipt of what they sent, the photos they
    took, and no more. On the page the submission with a photo goes through and says so."""
    g = world
    assert g.E.entered_by_id == g.property1.pk and AppealPhoto.objects.filter(appeal=g.E).count() == 1
    r = api.post(g.property1, "/api/v1/appeals", {"category": "hardship", "description": "5栋有位老人独居无人照顾",
                                                  "channel": "property", "compound_id": g.K2.pk})
    assert r.status_code == 201
    body = r.json()
    assert body["description"] == "5栋有位老人独居无人照顾" and body["routing_note"] == "" and body["actions"] == []
    assert api.get(g.property1, f"/api/v1/appeals/{body['number']}").status_code == 404
    client.force_login(g.property1)
    r = client.post("/appeals/new/", {"category": g.hardship.pk, "description": "2栋有户人家生活困难", "place": "compound",
                                      "compound": g.K1.pk, "channel": "property", "photos": png()}, follow=True)
    assert r.status_code == 200 and r.redirect_chain[-1][0].endswith("/appeals/")
    made = Appeal.objects.get(description="2栋有户人家生活困难")
    assert made.photos.count() == 1
    assert "该分类的诉求保密" in r.content.decode()
    assert client.get(f"/appeals/{made.pk}/").status_code == 404
    assert client.get(photo_url(made.photos.get())).status_code == 404
    # An appeal they did not enter takes no photo from them.
    r = client.post(f"/api/v1/appeals/{g.A.pk}/photos", {"photo": png()}, **bearer(g.property1))
    assert r.status_code == 404


def category_data(category, **changes):
    return {f: getattr(category, f) for f in admin_services.CATEGORY_FIELDS if f != "parent"} | {
        "parent": category.parent_id} | changes


def page_form(data):
    """The category as the settings page posts it: a ticked box is "on", an unticked one absent."""
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not None and v is not False}


def test_flipping_the_flag_withdraws_and_restores_at_once(world, api, client):
    """The street admin makes the lift category confidential: property staff lose F everywhere at once (the
    public lose it too: a confidential category may not be public); made ordinary again, it comes back."""
    g = world
    surfaces = ("list", "detail", "photo", "similar", "rates", "open311")

    def property1_reads_f():
        return {
            "list": g.F.pk in api_ids(api, g.property1, "/api/v1/appeals", queue="all"),
            "detail": api.get(g.property1, f"/api/v1/appeals/{g.F.number}").status_code == 200,
            "photo": api.get(g.property1, photo_url(g.f_photo)).status_code == 200,
            "similar": g.F.pk in {a.pk for a in similar_appeals(text=WORDS, compound=g.K1.pk, user=g.property1,
                                                               limit=20)},
            "rates": sum(r["total"] for r in api.get(g.property1, "/api/v1/appeal-rates",
                                                      group_by="category").json()["rows"]
                         if r["key"] == g.lift.pk) == 1,
            "open311": g.F.number in {x["service_request_id"] for x in client.get("/open311/v2/requests.json").json()},
        }

    assert property1_reads_f() == dict.fromkeys(surfaces, True)
    admin_services.category_update(user=g.street_admin, category=g.lift,
                                   **category_data(g.lift, confidential=True, may_be_public=False))
    assert property1_reads_f() == dict.fromkeys(surfaces, False)
    assert api.get(g.grid_worker, f"/api/v1/appeals/{g.F.number}").status_code == 200
    entry = AuditEntry.objects.filter(object_type__endswith="category", object_id=str(g.lift.pk)).latest("id")
    assert entry.changes["confidential"] == [False, True]
    r = client.put(f"/api/v1/appeal-categories/{g.lift.pk}", category_data(g.lift, confidential=False, may_be_public=True),
                   content_type="application/json", **bearer(g.street_admin))
    assert r.status_code == 200
    assert property1_reads_f() == dict.fromkeys(surfaces, True)


def test_recategorising_withdraws_at_once(world, api, client, django_capture_on_commit_callbacks):
    """A resident files their hardship under "suggestions", public: anyone may read it. The desk moves it into
    困难求助: from that moment only the circle reads it. The step is on the timeline and in the audit log."""
    g = world
    s = appeal_submit(user=g.resident1, category=g.suggestion, compound=g.K1, is_public=True,
                      description=f"{WORDS}，家里两位老人都病了，没有收入")
    photo = photo_add(user=g.resident1, appeal=s, file=png())
    outsiders = (g.property1, g.resident2, g.owners1)
    assert all(api.get(u, f"/api/v1/appeals/{s.number}").status_code == 200 for u in (g.property1,))
    assert all(s.pk in {a.pk for a in similar_appeals(text=WORDS, compound=g.K1.pk, user=u, limit=20)}
               for u in outsiders)
    assert client.get(photo_url(photo)).status_code == 200
    assert api.post(g.property1, f"/api/v1/appeals/{s.number}/actions/recategorise",
                    {"category": "hardship"}).status_code == 403  # not the desk's
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(g.community_worker, f"/api/v1/appeals/{s.number}/actions/recategorise",
                     {"category": "hardship", "note": "涉及家庭困难，转困难求助"})
    assert r.status_code == 200 and r.json()["category"] == "hardship"
    assert api.get(g.property1, f"/api/v1/appeals/{s.number}").status_code == 404
    assert s.pk not in api_ids(api, g.property1, "/api/v1/appeals", queue="all")
    assert all(s.pk not in {a.pk for a in similar_appeals(text=WORDS, compound=g.K1.pk, user=u, limit=20)}
               for u in outsiders)
    assert client.get(photo_url(photo)).status_code == 404
    assert s.number not in {x["service_request_id"] for x in client.get("/open311/v2/requests.json").json()}
    assert api.get(g.resident1, f"/api/v1/appeals/{s.number}").status_code == 200
    assert api.get(g.grid_worker, f"/api/v1/appeals/{s.number}").status_code == 200
    s.refresh_from_db()
    assert s.category_id == g.hardship.pk
    event = s.events.get(action="recategorise")
    assert event.data == {"category": ["suggestion", "hardship"]} and event.actor == g.community_worker
    entry = AuditEntry.objects.filter(object_type__endswith="appeal", object_id=str(s.pk)).latest("id")
    assert entry.changes["category"] == ["suggestion", "hardship"]
    # The reporter sees the step, not the desk's reason.
    timeline = api.get(g.resident1, f"/api/v1/appeals/{s.number}").json()["timeline"]
    assert [(e["action"], e["note"]) for e in timeline if e["action"] == "recategorise"] == [("recategorise", "")]


def test_recategorise_input(world, api, client):
    g = world
    path = f"/api/v1/appeals/{g.B.number}/actions/recategorise"
    for category, field in (("", "category"), ("nonsense", "category"), ("dispute", "category")):
        r = api.post(g.community_worker, path, {"category": category})
        assert (r.status_code, r.json()["field"]) == (400, field)
    client.force_login(g.community_worker)
    page = client.get(f"/appeals/{g.B.pk}/").content.decode()
    assert 'name="category"' in page and f'<option value="{g.dispute.pk}" selected>' in page
    r = client.post(f"/appeals/{g.B.pk}/act/", {"action": "recategorise", "version": g.B.version,
                                                "category": g.lift.pk})
    assert r.status_code == 302
    assert Appeal.objects.get(pk=g.B.pk).category_id == g.lift.pk


def test_a_confidential_category_may_not_be_public(world, client):
    g = world
    with pytest.raises(ValidationError) as e:
        admin_services.category_update(user=g.street_admin, category=g.lift, **category_data(g.lift, confidential=True))
    assert e.value.message_dict == {"may_be_public": ["保密分类的诉求不能公开，请取消“可公开”"]}
    client.force_login(g.street_admin)
    form = page_form(category_data(g.lift)) | {"confidential": "on"}
    r = client.post(f"/appeals/categories/{g.lift.pk}/", form)
    assert r.status_code == 400 and "保密分类的诉求不能公开" in r.content.decode()
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database holds to it
        Category.objects.filter(pk=g.lift.pk).update(confidential=True)
    with pytest.raises(ValidationError) as e:
        appeal_submit(user=g.resident1, category=g.hardship, compound=g.K1, description="生活困难", is_public=True)
    assert list(e.value.message_dict) == ["is_public"]


def test_admins_set_the_flag_on_the_page_and_through_the_api(world, client):
    g = world
    client.force_login(g.street_admin)
    page = client.get("/appeals/categories/").content.decode()
    assert page.count('<span class="badge">保密</span>') == Category.objects.filter(confidential=True).count() == 4
    form = page_form(category_data(g.lighting, may_be_public=False, confidential=True))
    assert client.post(f"/appeals/categories/{g.lighting.pk}/", form).status_code == 302
    g.lighting.refresh_from_db()
    assert (g.lighting.confidential, g.lighting.may_be_public) == (True, False)
    path, body = f"/api/v1/appeal-categories/{g.policy_q.pk}", category_data(g.policy_q, confidential=True,
                                                                                 may_be_public=False)
    r = client.put(path, body, content_type="application/json", **bearer(g.street_admin))
    assert r.status_code == 200 and r.json()["confidential"] is True
    r = client.put(path, body | {"may_be_public": True}, content_type="application/json", **bearer(g.street_admin))
    assert r.status_code == 400 and r.json()["field"] == "may_be_public"
    r = client.put(path, body | {"confidential": False}, content_type="application/json", **bearer(g.community_worker))
    assert r.status_code == 404  # not an admin of categories
    assert Category.objects.get(pk=g.policy_q.pk).confidential is True
    changes = [e.changes.get("confidential") for e in AuditEntry.objects.filter(
        object_type__endswith="category", object_id__in=[str(g.lighting.pk), str(g.policy_q.pk)]).order_by("id")]
    assert changes == [[False, True], [False, True]]


def test_the_migration_flags_the_categories_about_a_person():
    flags = dict(Category.objects.values_list("code", "confidential"))
    assert {code for code, on in flags.items() if on} == {"hardship", "dispute", "property_complaint", "person_report"}
    assert not Category.objects.filter(confidential=True, may_be_public=True).exists()
    complaint = Category.objects.get(code="property_complaint")
    assert (complaint.parent_id, complaint.handler_kind) == (None, "community_office")  # never to the company itself


def test_every_party_of_the_workflow_but_the_reporter_may_read_confidential_appeals():
    """services.may_view lets the workflow's parties read an appeal; all of them but its reporter come from roles
    that read appeals where they are with no condition (or from the handler and whistle grants, which read it
    too): the appeals' declaration says so once (implied_by), and the role table follows."""
    held = discover().role_actions()
    for role, actions in held.items():
        if set(actions) & {APPEAL_DISPATCH, APPEAL_VERIFY, APPEAL_SUPERVISE, APPEAL_WHISTLE}:
            assert () in actions[APPEAL_VIEW], role
    holders = {role for role, actions in held.items() if () in actions.get(APPEAL_VIEW, ())}
    assert holders == {Role.SUBDISTRICT_ADMIN, Role.COMMUNITY_WORKER, Role.GRID_WORKER}
    assert held[Role.PROPERTY_STAFF][APPEAL_VIEW] == [(("category__confidential", False),)]


def test_staff_reporting_a_confidential_appeal_of_their_own_read_it_as_its_reporter(world, api):
    """Property staff live in the compounds they serve too. Their own dispute is theirs to follow, as any resident
    follows theirs: not the desk's notes, not who did what."""
    g = world
    mine = appeal_submit(user=g.property1, category=g.dispute, compound=g.K1, description="楼上邻居装修损坏我家墙面")
    appeal_act(user=g.community_worker, appeal=mine, action="dispatch", handler=g.office.pk, note="请调解员周三上门")
    body = api.get(g.property1, f"/api/v1/appeals/{mine.number}").json()
    dispatch = next(e for e in body["timeline"] if e["action"] == "dispatch")
    assert (dispatch["note"], dispatch["actor"], body["routing_note"]) == ("", None, "")
    ordinary = appeal_submit(user=g.property1, category=g.lift, compound=g.K1, description="我家楼栋电梯坏了")
    appeal_act(user=g.community_worker, appeal=ordinary, action="dispatch", handler=g.office.pk, note="请调解员周三上门")
    body = api.get(g.property1, f"/api/v1/appeals/{ordinary.number}").json()
    dispatch = next(e for e in body["timeline"] if e["action"] == "dispatch")
    assert dispatch["note"] == "请调解员周三上门"  # an appeal of their compounds: read as staff, as before
