"""Who is concerned by each change to an appeal: the one table, and the queries behind its words.

AUDIENCES maps a timeline action to the parties who hear of it, in order
(a user in two parties gets the first one's wording). Two rules hold over the
whole table: the actor is never told of their own act, and an internal
note never reaches the reporter.

Parties:
  reporter     the resident who submitted the appeal (none for hotline / walk-in entries)
  desk         the dispatchers: community workers over the appeal's community
               (sub-district admins when the community has none)
  handler      users acting for the handler organisation when the event happened (policy.acts_for)
  old_handler  on a reassignment, users acting for the organisation it was taken from
  verifiers    grid workers over the appeal's place (the desk when there is none)
  called       users acting for the departments a whistle called
  whistlers    sub-district admins (who may blow the whistle) over the place
  supervisors  on an escalation, the supervisors of the level it went up to
"""
from gongzhi.accounts.models import Role
from gongzhi.accounts.policy import A
from gongzhi.accounts.selectors import users_acting_for, users_with_action
from gongzhi.appeals.models import AppealEvent, HandlerLevel

REPORTER = "reporter"
DESK = "desk"
HANDLER = "handler"
OLD_HANDLER = "old_handler"
VERIFIERS = "verifiers"
CALLED = "called"
WHISTLERS = "whistlers"
SUPERVISORS = "supervisors"

AUDIENCES = {
    "submit": (DESK,),
    "accept": (REPORTER,),
    "dispatch": (HANDLER,),
    "reassign": (HANDLER, OLD_HANDLER),
    "return": (DESK,),
    "take": (REPORTER,),
    "hold": (HANDLER, DESK),
    "resume": (HANDLER, DESK),
    "request_extension": (DESK,),
    "grant_extension": (HANDLER,),
    "refuse_extension": (HANDLER,),
    "reply": (REPORTER,),
    "resolve": (REPORTER, VERIFIERS),
    "verify": (REPORTER, DESK),
    "reject_result": (HANDLER, DESK),
    "close": (REPORTER,),
    "reject": (REPORTER,),
    "reopen": (HANDLER, DESK),
    "rate": (HANDLER, DESK),
    "note": (HANDLER, DESK),
    "supervise": (HANDLER,),
    "whistle": (HANDLER, CALLED),
    "whistle_report": (WHISTLERS,),
    "remind": (HANDLER,),          # the desk, while no handler has been chosen
    "escalate": (SUPERVISORS,),
    "me_too": (),
}
# Every action a webhook may subscribe to.
ACTIONS = tuple(AUDIENCES)

# Who supervises at each level an appeal can be escalated to.
_SUPERVISOR_ROLES = {
    HandlerLevel.COMPOUND: (Role.COMMUNITY_WORKER,),
    HandlerLevel.COMMUNITY: (Role.COMMUNITY_WORKER,),
    HandlerLevel.SUBDISTRICT: (Role.SUBDISTRICT_ADMIN,),
}


def _ids(users):
    return set(users.values_list("pk", flat=True))


def desk(appeal):
    ids = _ids(users_with_action(A.APPEAL_DISPATCH, appeal, roles=(Role.COMMUNITY_WORKER,)))
    return ids or _ids(users_with_action(A.APPEAL_DISPATCH, appeal))


def handlers(event):
    """(handler then, handler before) as of this event, from the timeline's dispatch and reassign rows.

    The worker may run after later changes have committed; the organisation
    that handled the appeal when the event happened is the one concerned.
    Appeals without such rows (imported history) fall back to the current handler.
    """
    cached = getattr(event, "_gz_handlers", None)
    if cached is not None:
        return cached
    rows = list(AppealEvent.objects.filter(appeal_id=event.appeal_id, action__in=("dispatch", "reassign"))
                .order_by("id").values_list("id", "data"))
    if not rows:
        result = (event.appeal.handler_id, None)
    else:
        upto = [(data or {}).get("handler") for pk, data in rows if pk <= event.pk]
        result = (upto[-1] if upto else None, upto[-2] if len(upto) > 1 else None)
    event._gz_handlers = result
    return result


def previous_handler_id(event):
    """On a reassignment, the organisation the appeal was taken from."""
    now, before = handlers(event)
    return before if before and before != now else None


def called_department_ids(event):
    """Departments this whistle called (earlier calls were told when they were made)."""
    return list((event.data or {}).get("departments") or [])


def party(name, event):
    """User ids of one party for this event."""
    appeal = event.appeal
    if name == REPORTER:
        return {appeal.reporter_id} if appeal.reporter_id else set()
    if name == DESK:
        return desk(appeal)
    if name == HANDLER:
        handler_id = handlers(event)[0]
        if handler_id is None:
            return desk(appeal) if event.action == "remind" else set()
        return _ids(users_acting_for(handler_id))
    if name == OLD_HANDLER:
        old = previous_handler_id(event)
        return _ids(users_acting_for(old)) if old else set()
    if name == VERIFIERS:
        return _ids(users_with_action(A.APPEAL_VERIFY, appeal, roles=(Role.GRID_WORKER,))) or desk(appeal)
    if name == CALLED:
        return _ids(users_acting_for(called_department_ids(event)))
    if name == WHISTLERS:
        return _ids(users_with_action(A.APPEAL_WHISTLE, appeal))
    if name == SUPERVISORS:
        level = (event.data or {}).get("level") or appeal.escalation_level
        roles = _SUPERVISOR_ROLES.get(level, (Role.COMMUNITY_WORKER,))
        return _ids(users_with_action(A.APPEAL_SUPERVISE, appeal, roles=roles))
    raise ValueError(name)


def recipients_for(event):
    """{user id: party} of everyone this event concerns, the two rules applied."""
    out = {}
    for name in AUDIENCES.get(event.action, ()):
        if name == REPORTER and event.internal:
            continue
        for uid in party(name, event):
            out.setdefault(uid, name)
    out.pop(event.actor_id, None)
    if event.internal:
        out.pop(event.appeal.reporter_id, None)
    return out


def organisations_for(event):
    """Organisations whose webhooks hear of this event: the handler (and the one a reassignment left), called departments."""
    appeal = event.appeal
    ids = set(appeal.whistle_calls.values_list("department_id", flat=True))  # every department called so far
    handler_id = handlers(event)[0]
    if handler_id:
        ids.add(handler_id)
    if event.action == "reassign":
        old = previous_handler_id(event)
        if old:
            ids.add(old)
    return ids
