"""The appeal workflow as an explicit transition table.

Each action names the statuses it may start from, the status it leads to
(None: the status does not change), which party may take it, and what it
requires. services.appeal_act() is the only code that applies it.
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Status as S

# Parties an acting user may be, relative to one appeal (see services.parties_of).
REPORTER = "reporter"        # who submitted it (or for whom staff entered it)
DISPATCHER = "dispatcher"    # the community desk (and the sub-district above it)
HANDLER = "handler"          # acts for the organisation the appeal is dispatched to
VERIFIER = "verifier"        # a grid worker over the place, or the desk
SUPERVISOR = "supervisor"    # community and sub-district: supervise, whistle
WHISTLE = "whistle"          # the sub-district only
CALLED = "called"            # a department called by a whistle


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset
    target: str | None
    parties: frozenset
    needs_note: bool = False
    needs_handler: bool = False
    needs_category: bool = False


def T(label, sources, target, parties, **kw):
    return Transition(label, frozenset(sources), target, frozenset(parties), **kw)


_WORKING = {S.DISPATCHED, S.IN_PROGRESS, S.ON_HOLD, S.EXTENSION_REQUESTED}
OPEN = {S.SUBMITTED, S.ACCEPTED, S.RETURNED, S.REOPENED, S.RESOLVED, S.VERIFIED} | _WORKING

TRANSITIONS = {
    "accept": T(_("受理"), {S.SUBMITTED, S.REOPENED}, S.ACCEPTED, {DISPATCHER}),
    "dispatch": T(_("派单"), {S.SUBMITTED, S.ACCEPTED, S.RETURNED, S.REOPENED}, S.DISPATCHED, {DISPATCHER}, needs_handler=True),
    "reassign": T(_("改派"), _WORKING, S.DISPATCHED, {DISPATCHER}, needs_handler=True),
    "return": T(_("退单"), {S.DISPATCHED, S.IN_PROGRESS}, S.RETURNED, {HANDLER}, needs_note=True),
    "take": T(_("接单"), {S.DISPATCHED}, S.IN_PROGRESS, {HANDLER}),
    "hold": T(pgettext_lazy("appeal action", "挂起"), {S.IN_PROGRESS}, S.ON_HOLD, {HANDLER, DISPATCHER}, needs_note=True),
    "resume": T(_("恢复办理"), {S.ON_HOLD}, S.IN_PROGRESS, {HANDLER, DISPATCHER}),
    "request_extension": T(pgettext_lazy("appeal action", "申请延期"), {S.IN_PROGRESS}, S.EXTENSION_REQUESTED, {HANDLER}, needs_note=True),
    "grant_extension": T(_("同意延期"), {S.EXTENSION_REQUESTED}, S.IN_PROGRESS, {DISPATCHER}),
    "refuse_extension": T(_("不同意延期"), {S.EXTENSION_REQUESTED}, S.IN_PROGRESS, {DISPATCHER}, needs_note=True),
    "resolve": T(_("办结"), {S.IN_PROGRESS}, S.RESOLVED, {HANDLER}, needs_note=True),
    "verify": T(_("核查通过"), {S.RESOLVED}, S.VERIFIED, {VERIFIER, REPORTER}),
    "reject_result": T(_("不认可办理结果"), {S.RESOLVED}, S.IN_PROGRESS, {VERIFIER, REPORTER}, needs_note=True),
    "close": T(_("结案"), {S.VERIFIED}, S.CLOSED, {DISPATCHER, REPORTER}),
    "reject": T(pgettext_lazy("appeal action", "不予受理"), {S.SUBMITTED, S.ACCEPTED, S.RETURNED, S.REOPENED}, S.REJECTED, {DISPATCHER}, needs_note=True),
    "reopen": T(_("重启"), {S.CLOSED}, S.REOPENED, {REPORTER}, needs_note=True),
    # The reporter takes back an appeal nobody has taken up yet. Only from SUBMITTED: a reopened or returned
    # appeal was accepted or dispatched once, and withdrawing it would erase handled work from the rates.
    "withdraw": T(_("撤回"), {S.SUBMITTED}, S.WITHDRAWN, {REPORTER}),
    # The reporter adds what they forgot (more detail, photos) while the appeal is being dealt with.
    "supplement": T(_("补充"), _WORKING | {S.SUBMITTED, S.ACCEPTED, S.RETURNED, S.REOPENED}, None, {REPORTER},
                    needs_note=True),
    # The reporter chases an appeal past its deadline, at most once a working day (services.may_chase).
    "chase": T(_("催办"), _WORKING | {S.SUBMITTED, S.ACCEPTED, S.RETURNED, S.REOPENED}, None, {REPORTER}),
    # Actions that leave the status alone but always leave a timeline row.
    "rate": T(_("评价"), {S.VERIFIED, S.CLOSED}, None, {REPORTER}),
    "reply": T(_("答复"), _WORKING | {S.RESOLVED}, None, {HANDLER, DISPATCHER}, needs_note=True),
    "note": T(_("内部备注"), OPEN | {S.CLOSED, S.REJECTED, S.WITHDRAWN}, None, {HANDLER, DISPATCHER, VERIFIER, SUPERVISOR, CALLED}, needs_note=True),
    "supervise": T(_("督办"), OPEN - {S.RESOLVED, S.VERIFIED}, None, {SUPERVISOR}, needs_note=True),
    "whistle": T(_("吹哨"), OPEN - {S.RESOLVED, S.VERIFIED}, None, {WHISTLE}),
    "whistle_report": T(_("部门报到反馈"), OPEN | {S.CLOSED}, None, {CALLED}, needs_note=True),
    # The desk files an appeal under the right category, at any stage: moving a hardship story out of "suggestions"
    # into a confidential category withdraws it at once from everyone who may no longer read it.
    "recategorise": T(_("调整分类"), set(S), None, {DISPATCHER}, needs_category=True),
}


def allowed_actions(status, parties):
    """Actions the parties may take from this status, in table order."""
    return [name for name, t in TRANSITIONS.items() if status in t.sources and t.parties & parties]


# Whose eyes each timeline row's note is written for. Every action is in exactly one of the two sets
# (tests/appeals/test_note_visibility.py checks it), so a new action has to be decided, not leaked.
#
# The staff's coordination: the routing note, the desk's instructions to a handler, why a handler returned,
# held or resumed it, extension requests and the answers to them, supervision, whistles and the departments'
# reports, the deadline reminders and escalations. The reporter sees that the step happened (its label and the
# status it led to), never what was written.
STAFF_NOTES = frozenset({
    "submit", "dispatch", "reassign", "return", "hold", "resume", "request_extension", "grant_extension",
    "refuse_extension", "supervise", "whistle", "whistle_report", "remind", "escalate", "recategorise",
})
# Written to the reporter or by them: the answers and the result, why it was refused, what verification found,
# their own rating and reasons. A "note" is the reporter's only when its author left it not internal.
REPORTER_NOTES = frozenset({
    "accept", "take", "reply", "resolve", "verify", "reject_result", "close", "reject", "reopen", "rate", "note",
    "me_too", "chase", "supplement", "withdraw",
})
# Timeline data the reporter may read (the rest names handlers, rules, departments, days asked for).
REPORTER_DATA = frozenset({"channel", "rating", "by", "count"})


def reporter_sees_note(action, internal=False):
    """May a reporter (reading as such, not as staff) read the note of a row with this action?

    Unknown actions count as the staff's: a row nobody classified shows the reporter only that it happened.
    """
    return not internal and action in REPORTER_NOTES
