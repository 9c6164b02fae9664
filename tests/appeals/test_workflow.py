import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from gongzhi.appeals import workflow as wf
from gongzhi.appeals.errors import Conflict, NotAllowed
from gongzhi.appeals.models import Appeal, AppealEvent, Channel, Status, WhistleCall
from gongzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def full_loop(grid, submit, act):
    a = submit()
    a = act(grid.community_worker, a, "accept")
    a = act(grid.community_worker, a, "dispatch", handler=a.suggested_handler.pk)
    a = act(grid.property1, a, "take")
    a = act(grid.property1, a, "resolve", note="已联系电梯维保单位修复")
    return a


class TestSubmit:
    def test_routes_and_sets_deadlines(self, grid, submit):
        a = submit()
        assert a.status == Status.SUBMITTED and a.reporter == grid.resident1
        assert a.suggested_handler == grid.property_co
        assert a.routing_note
        assert a.respond_due < a.resolve_due
        ev = a.events.get()
        assert (ev.action, ev.to_status) == ("submit", Status.SUBMITTED)
        assert AuditEntry.objects.filter(action="create", object_type="appeals.appeal", object_id=str(a.pk)).exists()

    def test_emergency_deadline_in_hours(self, grid, submit):
        from gongzhi.appeals.models import Category
        now = timezone.now()
        a = submit(category=Category.objects.get(code="gas_leak"), now=now)
        assert a.resolve_due == now + datetime.timedelta(hours=2)

    def test_enquiry_two_working_days(self, grid, submit):
        friday = datetime.datetime(2026, 11, 27, 9, tzinfo=datetime.timezone.utc)
        a = submit(category=grid.policy_q, compound=grid.K1, now=friday)
        assert a.resolve_due.astimezone(datetime.timezone(datetime.timedelta(hours=8))).date() == datetime.date(2026, 12, 1)

    def test_by_point(self, grid, submit):
        a = submit(lat="24.1402", lng="115.7301")
        assert a.compound == grid.K1 and "范围内" in a.routing_note

    @pytest.mark.parametrize("kw,field", [
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "长" * 51200}, "description"),
        ({"category": 999999}, "category"),
        ({"category": None}, "category"),
        ({"lat": "23.0", "lng": "113.0"}, "location"),
        ({"lat": "99", "lng": "115.7"}, "lat"),
        ({"lat": "24.14"}, "location"),
        ({"contact_phone": "12345"}, "contact_phone"),
    ])
    def test_bad_input_rejected_nothing_written(self, grid, submit, kw, field):
        if "category" in kw:
            kw = dict(kw)
            cat = kw.pop("category")
            with pytest.raises(ValidationError) as e:
                from gongzhi.appeals.services import appeal_submit
                appeal_submit(user=grid.resident1, category=cat, description="x", compound=grid.K1)
        else:
            with pytest.raises(ValidationError) as e:
                submit(**kw)
        assert field in e.value.message_dict
        assert Appeal.objects.count() == 0 and AppealEvent.objects.count() == 0

    def test_private_category_cannot_be_public(self, grid, submit):
        with pytest.raises(ValidationError) as e:
            submit(category=grid.hardship, is_public=True)
        assert "is_public" in e.value.message_dict

    def test_staff_channel_needs_scope(self, grid, submit):
        a = submit(user=grid.community_worker, channel=Channel.HOTLINE, contact_name="来电人", contact_phone="13800001234")
        assert a.reporter is None and a.entered_by == grid.community_worker
        assert a.contact_phone_masked == "138****1234" and "13800001234" not in a.contact_phone_enc
        for user, channel, compound in ((grid.community_worker, Channel.HOTLINE, grid.K3),
                                        (grid.resident1, Channel.PATROL, grid.K1),
                                        (grid.grid_worker, Channel.PATROL, grid.K2)):
            with pytest.raises(ValidationError) as e:  # bad input on the field, as any other
                submit(user=user, channel=channel, compound=compound)
            assert list(e.value.message_dict) == ["channel"]
        patrol = submit(user=grid.grid_worker, channel=Channel.PATROL)
        assert patrol.channel == Channel.PATROL
        assert submit(user=grid.property1, channel=Channel.PROPERTY, compound=grid.K2).compound == grid.K2


# Actions open from every status: nothing to refuse on the status.
ANY_STATUS = {"note", "recategorise"}


class TestTransitions:
    def test_whole_loop(self, grid, submit, act):
        a = full_loop(grid, submit, act)
        assert a.status == Status.RESOLVED and a.public_reply and a.responded_at and a.resolved_at
        a = act(grid.resident1, a, "verify")
        assert a.status == Status.VERIFIED
        a = act(grid.resident1, a, "rate", rating="satisfied", note="很快")
        assert a.status == Status.CLOSED and a.rating == "satisfied" and a.closed_at
        actions = list(a.events.values_list("action", flat=True))
        assert actions == ["submit", "accept", "dispatch", "take", "resolve", "verify", "rate"]
        assert a.version == 7

    def test_only_note_and_recategorise_are_open_from_every_status(self):
        assert {a for a, t in wf.TRANSITIONS.items() if t.sources == set(Status)} == ANY_STATUS

    @pytest.mark.parametrize("action", [a for a in wf.TRANSITIONS if a not in ANY_STATUS])
    def test_every_transition_is_in_the_table_and_checked(self, grid, submit, act, action):
        # The actor IS a party the action allows (the handler's staff, the reporter, a called department…),
        # so the refusal can only come from the status check, and it must be that Conflict, nothing else.
        from gongzhi.accounts.models import Role, RoleAssignment, User
        from gongzhi.appeals.services import parties_of

        t = wf.TRANSITIONS[action]
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        a = act(grid.street_admin, a, "whistle", departments=[grid.dept.pk], note="联合执法")
        officer = User.objects.create_user("officer", password="x")
        RoleAssignment.objects.create(user=officer, role=Role.PROPERTY_STAFF, organisation=grid.dept)
        actor_of = {wf.HANDLER: grid.property1, wf.REPORTER: grid.resident1, wf.CALLED: officer,
                    wf.VERIFIER: grid.grid_worker, wf.WHISTLE: grid.street_admin,
                    wf.SUPERVISOR: grid.community_worker, wf.DISPATCHER: grid.community_worker}
        party = next(p for p in actor_of if p in t.parties)  # the narrowest party first
        user = actor_of[party]
        status = next(s for s in Status if s not in t.sources)
        Appeal.objects.filter(pk=a.pk).update(status=status)
        a.refresh_from_db()
        assert party in parties_of(user, a)
        version, events = a.version, a.events.count()
        with pytest.raises(Conflict) as e:
            act(user, a, action, note="x", rating="satisfied", handler=grid.office.pk,
                departments=[grid.dept2.pk], days=2, category=grid.lighting.pk, version=version)
        assert e.value.message == f"诉求当前状态为“{a.get_status_display()}”，不能{t.label}"
        a.refresh_from_db()
        assert (a.status, a.version, a.events.count()) == (status, version, events)

    def test_close_unresolved_is_illegal(self, grid, submit, act):
        a = submit()
        with pytest.raises(Conflict) as e:
            act(grid.community_worker, a, "close")
        assert "不能" in e.value.message

    @pytest.mark.parametrize("user,action", [
        ("resident1", "accept"), ("property1", "accept"), ("grid_worker", "dispatch"),
        ("resident2", "accept"), ("owners1", "accept"), ("rider1", "accept"),
    ])
    def test_who_may_not(self, grid, submit, act, user, action):
        a = submit()
        with pytest.raises((NotAllowed, Http404)):
            act(getattr(grid, user), a, action, handler=grid.office.pk)

    def test_out_of_scope_is_404(self, grid, submit, act):
        a = submit(compound=grid.K3, user=grid.street_admin, channel=Channel.HOTLINE)
        with pytest.raises(Http404):
            act(grid.community_worker, a, "accept")
        with pytest.raises(Http404):
            act(grid.property1, a, "take")

    def test_only_the_handler_takes(self, grid, submit, act):
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.office.pk)
        with pytest.raises(NotAllowed):
            act(grid.property1, a, "take")
        a = act(grid.community_worker, a, "take")  # community worker acts for the community office
        assert a.status == Status.IN_PROGRESS

    def test_return_requires_reason_and_goes_back(self, grid, submit, act):
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        with pytest.raises(ValidationError):
            act(grid.property1, a, "return", note="  ")
        a = act(grid.property1, a, "return", note="不属于物业服务范围")
        assert a.status == Status.RETURNED
        a = act(grid.community_worker, a, "dispatch", handler=grid.office.pk)
        assert a.status == Status.DISPATCHED and a.handler == grid.office

    def test_reassign(self, grid, submit, act):
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        a = act(grid.community_worker, a, "reassign", handler=grid.office.pk)
        assert a.handler == grid.office and a.status == Status.DISPATCHED
        with pytest.raises(ValidationError):
            act(grid.community_worker, a, "reassign", handler=999999)

    def test_hold_and_resume(self, grid, submit, act):
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        a = act(grid.property1, a, "take")
        a = act(grid.property1, a, "hold", note="等待配件")
        assert a.status == Status.ON_HOLD
        a = act(grid.property1, a, "resume")
        assert a.status == Status.IN_PROGRESS

    def test_extension_granted_moves_deadline(self, grid, submit, act):
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        a = act(grid.property1, a, "take")
        due = a.resolve_due
        with pytest.raises(ValidationError):
            act(grid.property1, a, "request_extension", note="配件需从厂家订购", days=99)
        a = act(grid.property1, a, "request_extension", note="配件需从厂家订购", days=3)
        assert a.status == Status.EXTENSION_REQUESTED
        with pytest.raises(NotAllowed):
            act(grid.property1, a, "grant_extension")
        a = act(grid.community_worker, a, "grant_extension")
        assert a.status == Status.IN_PROGRESS and a.resolve_due > due

    def test_extension_refused_keeps_deadline(self, grid, submit, act):
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        a = act(grid.property1, a, "take")
        due = a.resolve_due
        a = act(grid.property1, a, "request_extension", note="需要更多时间", days=2)
        a = act(grid.community_worker, a, "refuse_extension", note="请按期办结")
        assert a.status == Status.IN_PROGRESS and a.resolve_due == due

    def test_resident_rejects_result(self, grid, submit, act):
        a = full_loop(grid, submit, act)
        with pytest.raises(Http404):  # not theirs, not public: it does not exist for them
            act(grid.resident2, a, "reject_result", note="x")
        a = act(grid.resident1, a, "reject_result", note="电梯还是不动")
        assert a.status == Status.IN_PROGRESS

    def test_grid_worker_verifies(self, grid, submit, act):
        a = full_loop(grid, submit, act)
        a = act(grid.grid_worker, a, "verify")
        assert a.status == Status.VERIFIED
        a = act(grid.community_worker, a, "close")
        assert a.status == Status.CLOSED

    def test_reject_duplicate_links_original(self, grid, submit, act):
        first = submit()
        second = submit(user=grid.resident2)
        with pytest.raises(ValidationError):
            act(grid.community_worker, second, "reject")
        second = act(grid.community_worker, second, "reject", note="与已有诉求重复", duplicate_of=first.number)
        assert second.status == Status.REJECTED and second.duplicate_of == first

    def test_reopen_within_window_when_unsatisfied(self, grid, submit, act, settings):
        a = full_loop(grid, submit, act)
        a = act(grid.resident1, a, "verify")
        a = act(grid.resident1, a, "rate", rating="unsatisfied", note="修得不彻底")
        with pytest.raises(Conflict):
            act(grid.resident1, a, "rate", rating="satisfied")
        a = act(grid.resident1, a, "reopen", note="又坏了")
        assert a.status == Status.REOPENED and a.reopen_count == 1 and a.rating == ""

    def test_reopen_refused_when_satisfied_or_late(self, grid, submit, act, settings):
        a = full_loop(grid, submit, act)
        a = act(grid.resident1, a, "verify")
        a = act(grid.resident1, a, "rate", rating="satisfied")
        with pytest.raises(NotAllowed):
            act(grid.resident1, a, "reopen", note="x")
        b = full_loop(grid, submit, act)
        b = act(grid.resident1, b, "verify")
        b = act(grid.resident1, b, "rate", rating="unsatisfied")
        late = timezone.now() + datetime.timedelta(days=settings.APPEAL_REOPEN_DAYS + 1)
        with pytest.raises(NotAllowed):
            act(grid.resident1, b, "reopen", note="x", now=late)

    def test_bad_rating(self, grid, submit, act):
        a = full_loop(grid, submit, act)
        a = act(grid.resident1, a, "verify")
        with pytest.raises(ValidationError):
            act(grid.resident1, a, "rate", rating="great")

    def test_internal_notes_apart_from_public_reply(self, grid, submit, act):
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        a = act(grid.property1, a, "note", note="业主情绪激动，注意沟通", internal=True)
        a = act(grid.property1, a, "reply", note="维修人员已出发")
        assert a.public_reply == "维修人员已出发"
        note = a.events.get(action="note")
        assert note.internal and a.events.get(action="reply").internal is False

    def test_supervise(self, grid, submit, act):
        a = submit()
        with pytest.raises(NotAllowed):
            act(grid.property1, a, "supervise", note="x")
        a = act(grid.street_admin, a, "supervise", note="请加快办理")
        assert a.events.filter(action="supervise").exists() and a.status == Status.SUBMITTED


class TestWithdraw:
    """撤回: the reporter takes back an appeal that nobody has accepted or dispatched yet."""

    def test_reporter_withdraws_a_submitted_appeal_with_or_without_a_reason(self, grid, submit, act):
        a = submit()
        a = act(grid.resident1, a, "withdraw", note="电梯已经自己恢复了", version=a.version)
        assert (a.status, a.version, a.is_open) == (Status.WITHDRAWN, 2, False) and a.closed_at
        ev = a.events.get(action="withdraw")
        assert (ev.from_status, ev.to_status, ev.note, ev.actor) == (Status.SUBMITTED, Status.WITHDRAWN,
                                                                    "电梯已经自己恢复了", grid.resident1)
        entry = AuditEntry.objects.get(object_type="appeals.appeal", object_id=str(a.pk), detail="withdraw")
        assert entry.changes == {"status": [Status.SUBMITTED, Status.WITHDRAWN]}
        b = act(grid.resident1, submit(), "withdraw")
        assert b.status == Status.WITHDRAWN and b.events.get(action="withdraw").note == ""

    def test_only_from_submitted(self):
        assert wf.TRANSITIONS["withdraw"].sources == {Status.SUBMITTED}
        assert wf.TRANSITIONS["withdraw"].parties == {wf.REPORTER}
        assert wf.allowed_actions(Status.SUBMITTED, {wf.REPORTER}) == ["withdraw", "supplement", "chase"]
        for status in set(Status) - {Status.SUBMITTED}:
            assert "withdraw" not in wf.allowed_actions(status, {wf.REPORTER, wf.DISPATCHER, wf.HANDLER})

    @pytest.mark.parametrize("stage", ["accepted", "dispatched", "returned", "reopened"])
    def test_not_once_the_desk_has_taken_it_up(self, grid, submit, act, stage):
        # Reopened and returned appeals wait for the desk again, but it accepted or dispatched them once.
        a = submit()
        if stage == "accepted":
            a = act(grid.community_worker, a, "accept")
        elif stage in ("dispatched", "returned"):
            a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
            if stage == "returned":
                a = act(grid.property1, a, "return", note="不属于物业服务范围")
        else:
            a = full_loop(grid, submit, act)
            a = act(grid.resident1, a, "verify")
            a = act(grid.resident1, a, "rate", rating="unsatisfied")
            a = act(grid.resident1, a, "reopen", note="又坏了")
        status, version = a.status, a.version
        with pytest.raises(Conflict) as e:
            act(grid.resident1, a, "withdraw", note="算了")
        assert e.value.message == f"诉求当前状态为“{a.get_status_display()}”，不能撤回"
        a.refresh_from_db()
        assert (a.status, a.version, a.events.filter(action="withdraw").exists()) == (status, version, False)

    def test_nobody_but_the_reporter(self, grid, submit, act):
        a = submit()
        with pytest.raises(Http404):  # another resident may not even see it
            act(grid.resident2, a, "withdraw")
        for staff in (grid.community_worker, grid.street_admin, grid.grid_worker, grid.property1):
            with pytest.raises(NotAllowed) as e:  # they see it, and are not its reporter
                act(staff, a, "withdraw")
            assert e.value.message == "您无权对该诉求执行“撤回”"
        hotline = submit(user=grid.community_worker, channel=Channel.HOTLINE, contact_name="来电人")
        with pytest.raises(NotAllowed):  # entered for a caller: no reporter, so nobody withdraws it
            act(grid.community_worker, hotline, "withdraw")
        a.refresh_from_db()
        hotline.refresh_from_db()
        assert a.status == hotline.status == Status.SUBMITTED

    def test_withdrawn_is_ended_for_everyone(self, grid, submit, act):
        from gongzhi.appeals.services import appeal_me_too

        a = act(grid.resident1, submit(is_public=True), "withdraw")
        for user, action, kw in ((grid.community_worker, "accept", {}),
                                 (grid.community_worker, "dispatch", {"handler": grid.property_co.pk}),
                                 (grid.community_worker, "reject", {"note": "x"}),
                                 (grid.resident1, "supplement", {"note": "补充"}),
                                 (grid.resident1, "withdraw", {}),
                                 (grid.street_admin, "whistle", {"departments": [grid.dept.pk]})):
            with pytest.raises(Conflict):
                act(user, a, action, **kw)
        with pytest.raises(Conflict):
            appeal_me_too(user=grid.resident2, appeal=a)
        # The desk may still file a note on it, as on any ended appeal.
        assert act(grid.community_worker, a, "note", note="居民来电确认已自行解决").status == Status.WITHDRAWN

    def test_open_sets_agree(self):
        from gongzhi.appeals.models import ENDED_STATUSES, OPEN_STATUSES

        assert wf.OPEN == OPEN_STATUSES and Status.WITHDRAWN in ENDED_STATUSES
        assert OPEN_STATUSES | ENDED_STATUSES == set(Status) and not OPEN_STATUSES & ENDED_STATUSES


class TestWhistle:
    def test_sub_district_calls_departments_who_report_back(self, grid, submit, act):
        from gongzhi.accounts.models import Role, RoleAssignment, User
        a = submit(category=grid.illegal)
        with pytest.raises(NotAllowed):
            act(grid.community_worker, a, "whistle", departments=[grid.dept.pk])
        with pytest.raises(ValidationError):
            act(grid.street_admin, a, "whistle", departments=[])
        a = act(grid.street_admin, a, "whistle", departments=[grid.dept.pk, grid.dept2.pk], note="联合执法")
        assert WhistleCall.objects.filter(appeal=a).count() == 2
        with pytest.raises(ValidationError):
            act(grid.street_admin, a, "whistle", departments=[grid.dept.pk])
        officer = User.objects.create_user("officer", password="x")
        RoleAssignment.objects.create(user=officer, role=Role.PROPERTY_STAFF, organisation=grid.dept)
        a = act(officer, a, "whistle_report", note="已现场核查，责令拆除")
        call = WhistleCall.objects.get(appeal=a, department=grid.dept)
        assert call.reported_by == officer and call.report.startswith("已现场")
        assert not WhistleCall.objects.get(appeal=a, department=grid.dept2).reported_at


class TestConcurrency:
    def test_stale_version_is_a_conflict_and_changes_nothing(self, grid, submit, act):
        a = submit()
        seen = a.version
        act(grid.community_worker, a, "accept", version=seen)
        with pytest.raises(Conflict) as e:
            act(grid.street_admin, a, "reject", version=seen, note="重复")
        assert "刷新" in e.value.message
        a.refresh_from_db()
        assert a.status == Status.ACCEPTED and a.events.count() == 2

    @pytest.mark.parametrize("action", ["reply", "note", "supervise"])
    def test_stale_version_refused_for_actions_that_keep_the_status(self, grid, submit, act, action):
        # These actions leave the status alone, so only the version tells that someone else acted since the
        # page was read: a check keyed on the status change would let them through.
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        seen = a.version
        a = act(grid.community_worker, a, "note", note="先联系物业", version=seen)
        events, audits = a.events.count(), AuditEntry.objects.count()
        with pytest.raises(Conflict) as e:
            act(grid.community_worker, a, action, note="迟到的操作", version=seen)
        assert "刷新" in e.value.message
        a.refresh_from_db()
        assert a.version == seen + 1 and a.status == Status.DISPATCHED
        assert a.public_reply == "" and a.escalated_at is None
        assert a.events.count() == events and AuditEntry.objects.count() == audits
        assert not a.events.filter(note="迟到的操作").exists()

    def test_second_actor_without_version_gets_clear_conflict(self, grid, submit, act):
        a = submit()
        act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        with pytest.raises(Conflict):
            act(grid.street_admin, a, "dispatch", handler=grid.office.pk)
        a.refresh_from_db()
        assert a.handler == grid.property_co


@pytest.mark.django_db(transaction=True)
def test_two_threads_one_winner(grid, submit):
    """Two dispatchers press 派单 at once: exactly one succeeds."""
    import threading

    from django.db import connection

    from gongzhi.appeals.services import appeal_act

    a = submit()
    results = []
    barrier = threading.Barrier(2)

    def worker(user, handler):
        try:
            barrier.wait()
            appeal_act(user=user, appeal=a.pk, action="dispatch", handler=handler.pk, version=a.version)
            results.append("ok")
        except Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(grid.community_worker, grid.property_co)),
               threading.Thread(target=worker, args=(grid.street_admin, grid.office))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    a.refresh_from_db()
    assert a.version == 2 and a.events.filter(action="dispatch").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("desk_action", ["accept", "dispatch"])
def test_withdraw_racing_the_desk_one_winner(grid, submit, desk_action):
    """The reporter presses 撤回 as the desk presses 受理 (or 派单), both from the page they read: one of them
    wins, the other is told it changed, and the appeal holds exactly the winner's step."""
    import threading

    from django.db import connection

    from gongzhi.appeals.services import appeal_act

    a = submit()
    results = {}
    barrier = threading.Barrier(2)

    def worker(name, user, action, **kw):
        try:
            barrier.wait()
            appeal_act(user=user, appeal=a.pk, action=action, version=a.version, **kw)
            results[name] = "ok"
        except Conflict as e:
            results[name] = e.message
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=("reporter", grid.resident1, "withdraw")),
               threading.Thread(target=worker, args=("desk", grid.community_worker, desk_action),
                                kwargs={"handler": grid.property_co.pk} if desk_action == "dispatch" else {})]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()).count("ok") == 1, results
    a.refresh_from_db()
    winner = next(name for name, r in results.items() if r == "ok")
    loser_message = results["desk" if winner == "reporter" else "reporter"]
    assert loser_message.startswith("该诉求已被他人处理") and "请刷新后重试" in loser_message
    assert a.version == 2
    assert list(a.events.exclude(action="submit").values_list("action", flat=True)) == \
        (["withdraw"] if winner == "reporter" else [desk_action])
    assert a.status == (Status.WITHDRAWN if winner == "reporter" else wf.TRANSITIONS[desk_action].target)


def test_withdraw_after_the_desk_accepted_the_page_the_reporter_read(grid, submit, act):
    """In turn rather than at once: the one who acts second on a stale page is told what it is now."""
    a = submit()
    seen = a.version
    act(grid.community_worker, a, "accept", version=seen)
    with pytest.raises(Conflict) as e:
        act(grid.resident1, a, "withdraw", version=seen)
    assert e.value.message == "该诉求已被他人处理（当前状态：已受理），请刷新后重试"
    b = submit()
    seen = b.version
    act(grid.resident1, b, "withdraw", version=seen)
    with pytest.raises(Conflict) as e:
        act(grid.community_worker, b, "dispatch", handler=grid.property_co.pk, version=seen)
    assert e.value.message == "该诉求已被他人处理（当前状态：已撤回），请刷新后重试"
    with pytest.raises(Conflict) as e:  # without a version, the status says it
        act(grid.community_worker, b, "accept")
    assert e.value.message == "诉求当前状态为“已撤回”，不能受理"


def test_nobody_anonymous_sees_a_hotline_appeal(grid, submit):
    from django.contrib.auth.models import AnonymousUser

    from gongzhi.appeals.services import may_view

    a = submit(user=grid.community_worker, channel=Channel.HOTLINE)
    assert a.reporter_id is None
    assert not may_view(None, a) and not may_view(AnonymousUser(), a)
    assert may_view(grid.community_worker, a)
