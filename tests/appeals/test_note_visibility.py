"""The staff's coordination on an appeal stays with the staff: its reporter sees every step, not what was written."""
import datetime
import json

import pytest

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.appeals import deadlines
from gongzhi.appeals import workflow as wf

pytestmark = pytest.mark.django_db

# What the staff wrote to each other, by action.
STAFF = {
    "dispatch": "派单说明：请带上梯子",
    "hold": "挂起原因：等电梯配件",
    "resume": "恢复原因：配件已到货",
    "request_extension": "延期理由：厂家排期到下周",
    "refuse_extension": "不同意理由：先派人临时处置",
    "grant_extension": "同意延期：这是最后一次",
    "supervise": "督办意见：今天必须有进展",
    "whistle": "吹哨要求：请执法中队协助",
    "whistle_report": "报到反馈：已到场核查",
    "note": "内部备注：业主脾气急",
    "return": "退单理由：不属于我司维保范围",
}
DEADLINE_NOTES = ("距离办结时限不足", "升级至")
# What was written to the reporter.
REPLY = "答复：维保单位明天上午到场"
RESULT = "办结：已更换曳引机，电梯恢复运行"
OPEN_NOTE = "备注：停电期间请走2号楼梯"


@pytest.fixture
def worked(grid, submit, act):
    """An appeal through every kind of coordination, then answered and resolved."""
    officer = User.objects.create_user("officer", password="x" * 12)
    RoleAssignment.objects.create(user=officer, role=Role.PROPERTY_STAFF, organisation=grid.dept)
    a = submit(is_public=True)
    a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk, note=STAFF["dispatch"])
    a = act(grid.property1, a, "take")
    deadlines.watch_deadlines(now=a.resolve_due - datetime.timedelta(minutes=1))  # a reminder
    deadlines.watch_deadlines(now=a.resolve_due + datetime.timedelta(minutes=1))  # an escalation
    a = act(grid.property1, a, "hold", note=STAFF["hold"])
    a = act(grid.property1, a, "resume", note=STAFF["resume"])
    a = act(grid.property1, a, "request_extension", note=STAFF["request_extension"], days=3)
    a = act(grid.community_worker, a, "refuse_extension", note=STAFF["refuse_extension"])
    a = act(grid.property1, a, "request_extension", note="再次申请延期", days=2)
    a = act(grid.community_worker, a, "grant_extension", note=STAFF["grant_extension"])
    a = act(grid.street_admin, a, "supervise", note=STAFF["supervise"])
    a = act(grid.street_admin, a, "whistle", departments=[grid.dept.pk], note=STAFF["whistle"])
    a = act(officer, a, "whistle_report", note=STAFF["whistle_report"])
    a = act(grid.property1, a, "note", note=STAFF["note"], internal=True)
    a = act(grid.property1, a, "note", note=OPEN_NOTE, internal=False)
    a = act(grid.property1, a, "return", note=STAFF["return"])
    a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
    a = act(grid.property1, a, "take")
    a = act(grid.property1, a, "reply", note=REPLY)
    a = act(grid.property1, a, "resolve", note=RESULT)
    assert a.events.filter(action__in=("remind", "escalate")).count() == 2
    return a


def _leaks(text):
    return [s for s in (*STAFF.values(), "再次申请延期", *DEADLINE_NOTES) if s in text]


class TestTheRule:
    def test_every_action_is_decided(self):
        from gongzhi.appeals.recipients import AUDIENCES

        assert not wf.STAFF_NOTES & wf.REPORTER_NOTES
        actions = set(wf.TRANSITIONS) | set(AUDIENCES) | {"submit", "me_too", "remind", "escalate"}
        assert actions <= wf.STAFF_NOTES | wf.REPORTER_NOTES, actions - (wf.STAFF_NOTES | wf.REPORTER_NOTES)

    def test_the_coordination_named_in_the_rule_is_the_staffs(self):
        for action in ("return", "hold", "resume", "request_extension", "grant_extension", "refuse_extension",
                       "supervise", "whistle", "whistle_report", "dispatch", "reassign", "submit"):
            assert not wf.reporter_sees_note(action), action
        assert not wf.reporter_sees_note("note", internal=True)
        assert not wf.reporter_sees_note("something_new")  # undecided: the staff's
        for action in ("reply", "resolve", "reject", "rate", "reopen", "reject_result"):
            assert wf.reporter_sees_note(action), action


class TestTheReporter:
    def test_api_shows_every_step_without_the_coordination(self, grid, api, worked):
        d = api.get(grid.resident1, f"/api/v1/appeals/{worked.pk}").json()
        rows = d["timeline"]
        actions = [e["action"] for e in rows]
        # The steps are all there (the internal note aside), so the reporter sees the appeal move.
        for action in ("dispatch", "remind", "escalate", "hold", "resume", "request_extension", "refuse_extension",
                       "grant_extension", "supervise", "whistle", "whistle_report", "return", "reply", "resolve"):
            assert action in actions, action
        assert actions.count("note") == 1
        assert _leaks(json.dumps(d, ensure_ascii=False)) == []
        notes = {e["action"]: e["note"] for e in rows if e["note"]}
        assert notes == {"note": OPEN_NOTE, "reply": REPLY, "resolve": RESULT}
        # Nor the data behind the steps: days asked for, handlers and departments by id, escalation levels.
        assert all(set(e["data"]) <= {"channel", "rating", "by", "count"} for e in rows)
        hold = next(e for e in rows if e["action"] == "hold")
        assert hold["to_status"] == "on_hold" and hold["note"] == ""
        assert d["public_reply"] == RESULT

    def test_page_shows_every_step_without_the_coordination(self, grid, client, worked):
        client.force_login(grid.resident1)
        body = client.get(f"/appeals/{worked.pk}/").content.decode()
        assert _leaks(body) == []
        assert REPLY in body and RESULT in body and OPEN_NOTE in body
        for label in ("挂起", "恢复办理", "退单", "督办", "吹哨"):
            assert label in body, label

    def test_staff_still_read_it_all(self, grid, api, client, worked):
        d = api.get(grid.community_worker, f"/api/v1/appeals/{worked.pk}").json()
        text = json.dumps(d, ensure_ascii=False)
        assert [s for s in STAFF.values() if s not in text] == []
        assert any(e["data"].get("days") == 3 for e in d["timeline"])
        client.force_login(grid.property1)
        body = client.get(f"/appeals/{worked.pk}/").content.decode()
        assert STAFF["return"] in body and STAFF["hold"] in body

    def test_a_reporter_who_works_the_appeal_reads_it_as_staff(self, grid, api, submit, act):
        a = submit(user=grid.community_worker)  # the desk over K1 reporting in their own community
        act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        act(grid.property1, a, "take")
        act(grid.property1, a, "hold", note=STAFF["hold"])
        d = api.get(grid.community_worker, f"/api/v1/appeals/{a.pk}").json()
        assert STAFF["hold"] in json.dumps(d, ensure_ascii=False)

    def test_open311_lists_only_the_answer(self, grid, client, worked):
        for url in ("/open311/v2/requests.json", "/open311/v2/requests.xml", f"/open311/v2/requests/{worked.number}.json"):
            body = client.get(url).content.decode()
            assert RESULT in body, url
            assert _leaks(body) == [] and REPLY not in body, url
