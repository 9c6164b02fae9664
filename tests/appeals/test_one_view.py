"""Issue 7, item 9: what a viewer sees of an appeal is decided in one place (appeals/presenter.py), and the page and
the API show the same: for every cast user and a set of appeals, each field the API returns is on the page, each
the API withholds or masks is not; the timelines have the same rows, notes and names. And a channel the user may
not use is refused on the field (400), through the API and the page form alike, for every channel and role."""
import re

import pytest
from django.utils.html import escape

from gongzhi.accounts.models import User
from gongzhi.appeals import presenter
from gongzhi.appeals.models import Appeal, AppealEvent, Channel
from gongzhi.appeals.services import appeal_act, appeal_me_too, appeal_submit

pytestmark = pytest.mark.django_db

USERS = ("street_admin", "community_worker", "grid_worker", "property1", "owners1", "member1", "resident1",
         "resident2", "rider1", "nobody", "boss")
FIELDS = ("title", "description", "address", "routing_note", "reporter_name", "entered_by_name", "contact_name",
          "contact_phone_masked", "public_reply", "rating_comment")


@pytest.fixture
def appeals(grid):
    """Appeals of every channel, in K1, K2 and K3, worked in the ways that decide what others see."""
    g = grid
    g.boss = User.objects.create_superuser(username="boss", password="x" * 12)
    out = {}
    # The issue's case: a call about K1, not dispatched yet.
    out["call"] = appeal_submit(user=g.community_worker, category=g.lift, channel="hotline", compound=g.K1,
                                description="来电反映3栋电梯异响，来电人电话13712345670", contact_name="周先生",
                                contact_phone="13712345670", address="3栋1单元")
    # A call handled by the property company, with an internal note and an answer.
    a = appeal_submit(user=g.community_worker, category=g.lift, channel="walk_in", compound=g.K1,
                      description="来访反映1栋电梯按钮失灵", contact_name="黄先生", contact_phone="13712345671")
    appeal_act(user=g.community_worker, appeal=a, action="dispatch", handler=g.property_co.pk, note="派单说明：请带梯子")
    appeal_act(user=g.property1, appeal=a, action="take")
    appeal_act(user=g.community_worker, appeal=a, action="note", note="内部：来访人情绪激动", internal=True)
    out["walk_in"] = appeal_act(user=g.property1, appeal=a, action="reply", note="已安排维保，联系电话13800001111")
    # A resident's own public appeal with a number in it, handled by the office, seconded by a neighbour.
    a = appeal_submit(user=g.resident1, category=g.lighting, compound=g.K1, is_public=True,
                      description="1栋楼道灯不亮，我的电话13912345678", address="1栋2单元")
    appeal_act(user=g.community_worker, appeal=a, action="dispatch", handler=g.office.pk)
    appeal_me_too(user=g.resident2, appeal=a)
    out["app"] = appeal_act(user=g.street_admin, appeal=a, action="supervise", note="督办：三天内修好")
    out["property"] = appeal_submit(user=g.property1, category=g.lift, channel="property", compound=g.K2,
                                    description="2期5栋电梯困人演练")
    out["patrol"] = appeal_submit(user=g.grid_worker, channel="patrol", category=g.lighting, compound=g.K1,
                                  description="巡查发现1栋外墙灯损坏")
    out["k3"] = appeal_submit(user=g.street_admin, category=g.lighting, channel="hotline", compound=g.K3,
                              description="东风花园路灯不亮", contact_name="刘女士", contact_phone="13500009999")
    g.appeals = out
    return g


def _main(html):
    """The page's content, without the header (which names the signed-in user)."""
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def _raw(appeal, field):
    """The stored value behind an API field: what the API and the page show, or withhold, or mask."""
    if field == "reporter_name":
        return str(appeal.reporter) if appeal.reporter_id else appeal.contact_name
    if field == "entered_by_name":
        return str(appeal.entered_by) if appeal.entered_by_id and appeal.entered_by_id != appeal.reporter_id else ""
    return getattr(appeal, field)


@pytest.mark.parametrize("username", USERS)
def test_the_page_shows_what_the_api_returns(appeals, api, client, username):
    g = appeals
    user = getattr(g, username)
    client.force_login(user)
    for name, appeal in g.appeals.items():
        appeal = Appeal.objects.select_related("reporter", "entered_by").get(pk=appeal.pk)
        r = api.get(user, f"/api/v1/appeals/{appeal.pk}")
        page = client.get(f"/appeals/{appeal.pk}/")
        assert page.status_code == r.status_code, (name, page.status_code, r.status_code)
        if r.status_code != 200:
            continue
        d, html = r.json(), _main(page.content.decode())
        for field in FIELDS:
            shown, raw = d[field], _raw(appeal, field)
            if shown:
                assert escape(shown) in html, (name, field, shown)
            if raw and raw != shown:  # withheld, or masked: the page must not hold it either
                assert escape(raw) not in html, (name, field, raw)
        timeline = html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
        assert timeline.count("<li") == len(d["timeline"]), name
        as_reporter = not presenter.view_of(user, appeal).staff
        for step in d["timeline"]:
            if step["note"]:
                assert escape(step["note"]) in timeline, (name, step["note"])
            if step["actor"]:  # the page calls a reporter's own acts 我
                who = "我" if as_reporter and step["actor"] == str(user) else step["actor"]
                assert f'<div class="who">{escape(who)}' in timeline, (name, who)
        notes = {s["note"] for s in d["timeline"]}
        for note in AppealEvent.objects.filter(appeal=appeal).exclude(note="").values_list("note", flat=True):
            if note not in notes:
                assert escape(note) not in html, (name, note)


def test_the_issues_case(appeals, api, client):
    """property1 on a hotline appeal in K1 it does not handle: the staff's view, on the page as over the API."""
    call = appeals.appeals["call"]
    d = api.get(appeals.property1, f"/api/v1/appeals/{call.pk}").json()
    assert (d["contact_name"], d["contact_phone_masked"], d["reporter_name"], d["entered_by_name"]) == \
        ("周先生", "137****5670", "周先生", "community_worker")
    assert d["routing_note"] == call.routing_note != ""
    assert d["description"] == "来电反映3栋电梯异响，来电人电话137****5670"  # not theirs to work: masked
    client.force_login(appeals.property1)
    html = _main(client.get(f"/appeals/{call.pk}/").content.decode())
    assert "周先生" in html and escape(call.routing_note) in html and "13712345670" not in html


def test_the_reporter_reads_their_appeal_as_written_but_no_staff_facts(appeals, api):
    d = api.get(appeals.resident1, f"/api/v1/appeals/{appeals.appeals['app'].pk}").json()
    assert d["description"] == "1栋楼道灯不亮，我的电话13912345678"
    assert (d["routing_note"], d["reporter_name"], d["suggested_handler_id"], d["escalation_level"]) == ("", "", None, "")
    assert [(s["action"], s["actor"], s["note"]) for s in d["timeline"]] == [
        ("submit", "resident1", ""), ("dispatch", None, ""), ("me_too", None, ""), ("supervise", None, "")]


# ---- channels ---------------------------------------------------------------------------------------------

CREATED, REFUSED = 201, 400
STAFF_CHANNELS = {  # who may enter an appeal about K1 through each staff channel
    "hotline": {"street_admin", "community_worker"},
    "walk_in": {"street_admin", "community_worker"},
    "patrol": {"street_admin", "community_worker", "grid_worker"},
    "property": {"property1"},
}
MAY_SUBMIT = {"street_admin", "community_worker", "grid_worker", "property1", "owners1", "member1", "resident1",
              "resident2"}


def expected_status(username, channel):
    if channel in STAFF_CHANNELS:
        return CREATED if username in STAFF_CHANNELS[channel] else REFUSED
    if channel == "app":
        return CREATED if username in MAY_SUBMIT else 403  # an account without the right to submit at all
    return REFUSED  # open311 (only a client's service account), or no channel at all


@pytest.mark.parametrize("username", USERS[:-1])
@pytest.mark.parametrize("channel", [*Channel.values, "nonsense"])
def test_every_channel_against_every_role_through_the_api(grid, api, username, channel):
    user = getattr(grid, username)
    r = api.post(user, "/api/v1/appeals", {"category": "lift", "description": "3栋电梯停在8楼", "channel": channel,
                                           "compound_id": grid.K1.pk, "contact_name": "来电人"})
    assert r.status_code == expected_status(username, channel), r.content
    if r.status_code == REFUSED:
        assert r.json()["field"] == "channel" and not Appeal.objects.exists()
    elif r.status_code == CREATED:
        a = Appeal.objects.get()
        assert (a.channel, a.entered_by) == (channel, user)
        assert a.reporter == (user if channel == "app" else None)
        assert api.get(user, f"/api/v1/appeals/{a.pk}").status_code == 200  # what they entered, they can open


@pytest.mark.parametrize("username", USERS[:-1])
def test_the_page_form_offers_exactly_the_channels_the_service_accepts(grid, client, username):
    user = getattr(grid, username)
    client.force_login(user)
    r = client.get("/appeals/new/")
    if username not in MAY_SUBMIT:
        assert r.status_code == 404
        return
    offered = re.findall(r'<option value="([a-z_]+)"', r.content.decode().split('name="channel"', 1)[1].split(
        "</select>", 1)[0]) if 'name="channel"' in r.content.decode() else []
    assert offered == [c for c in STAFF_CHANNELS if username in STAFF_CHANNELS[c]]
    home = grid.K2 if username == "resident2" else grid.K1  # a compound the form offers them
    data = {"category": grid.lift.pk, "description": "3栋电梯停在8楼", "place": "compound", "compound": home.pk,
            "contact_name": "来电人"}
    for channel in STAFF_CHANNELS:
        r = client.post("/appeals/new/", {**data, "channel": channel})
        if channel in offered:
            assert r.status_code == 302
            assert Appeal.objects.filter(channel=channel, entered_by=user).count() == 1
        elif offered:  # staff: a channel not offered is an error on the field, nothing saved
            assert r.status_code == 400 and "channel" in r.context["form"].errors
            assert not Appeal.objects.filter(channel=channel).exists()
        else:  # residents and the like have no channel field: it is their own appeal, whatever was posted
            assert r.status_code == 302
            assert Appeal.objects.filter(entered_by=user).latest("id").channel == "app"
