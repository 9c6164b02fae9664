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

Each party is one query. The drain (services.drain_batch) passes one `memo`
dict for a whole batch of events: a party is decided by the appeal's place on
the grid (desk, verifiers, whistlers, supervisors) or by an organisation
(handler, old handler, called departments), so it is asked once per place or
organisation in the batch. Without a memo every call asks afresh; the answers
are the same either way (tests/notifications/test_drain.py compares them).
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
    return frozenset(users.values_list("pk", flat=True))


def _memo(memo, key, compute):
    if memo is None:
        return compute()
    found = memo.get(key)
    if found is None:
        found = memo[key] = compute()
    return found


def _place(appeal):
    """What the grid-scoped parties depend on: the appeal's node and its ancestors."""
    return tuple(appeal.path().items())


def desk(appeal, memo=None):
    def compute():
        ids = _ids(users_with_action(A.APPEAL_DISPATCH, appeal, roles=(Role.COMMUNITY_WORKER,)))
        return ids or _ids(users_with_action(A.APPEAL_DISPATCH, appeal))

    return _memo(memo, (DESK, _place(appeal)), compute)


def acting_for(org_id, memo=None):
    """Users acting for one organisation (a whistle's departments are the union of each one's)."""
    return _memo(memo, ("org", org_id), lambda: _ids(users_acting_for(org_id)))


def handler_rows(appeal_ids):
    """{appeal id: [(event id, data), ...]} of the dispatch and reassign rows, for handlers(); one query."""
    out = {pk: [] for pk in appeal_ids}
    for appeal_id, pk, data in (AppealEvent.objects.filter(appeal_id__in=out, action__in=("dispatch", "reassign"))
                                .order_by("id").values_list("appeal_id", "id", "data")):
        out[appeal_id].append((pk, data))
    return out


def handlers(event, rows=None):
    """(handler then, handler before) as of this event, from the timeline's dispatch and reassign rows.

    The worker may run after later changes have committed; the organisation
    that handled the appeal when the event happened is the one concerned.
    Appeals without such rows (imported history) fall back to the current handler.
    `rows` are the appeal's dispatch and reassign rows when already read (handler_rows).
    """
    cached = getattr(event, "_gz_handlers", None)
    if cached is not None:
        return cached
    if rows is None:
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


def party(name, event, memo=None):
    """User ids of one party for this event; `memo` shares the answers across a batch of events."""
    appeal = event.appeal
    if name == REPORTER:
        return {appeal.reporter_id} if appeal.reporter_id else set()
    if name == DESK:
        return desk(appeal, memo)
    if name == HANDLER:
        handler_id = handlers(event)[0]
        if handler_id is None:
            return desk(appeal, memo) if event.action == "remind" else set()
        return acting_for(handler_id, memo)
    if name == OLD_HANDLER:
        old = previous_handler_id(event)
        return acting_for(old, memo) if old else set()
    if name == VERIFIERS:
        found = _memo(memo, (VERIFIERS, _place(appeal)),
                      lambda: _ids(users_with_action(A.APPEAL_VERIFY, appeal, roles=(Role.GRID_WORKER,))))
        return found or desk(appeal, memo)
    if name == CALLED:
        return set().union(*(acting_for(pk, memo) for pk in called_department_ids(event)))
    if name == WHISTLERS:
        return _memo(memo, (WHISTLERS, _place(appeal)), lambda: _ids(users_with_action(A.APPEAL_WHISTLE, appeal)))
    if name == SUPERVISORS:
        level = (event.data or {}).get("level") or appeal.escalation_level
        roles = _SUPERVISOR_ROLES.get(level, (Role.COMMUNITY_WORKER,))
        return _memo(memo, (SUPERVISORS, roles, _place(appeal)),
                     lambda: _ids(users_with_action(A.APPEAL_SUPERVISE, appeal, roles=roles)))
    raise ValueError(name)


def recipients_for(event, memo=None):
    """{user id: party} of everyone this event concerns, the two rules applied."""
    out = {}
    for name in AUDIENCES.get(event.action, ()):
        if name == REPORTER and event.internal:
            continue
        for uid in party(name, event, memo):
            out.setdefault(uid, name)
    out.pop(event.actor_id, None)
    if event.internal:
        out.pop(event.appeal.reporter_id, None)
    return out


def organisations_for(event, called=None):
    """Organisations whose webhooks hear of this event: the handler (and the one a reassignment left), called departments.

    `called` is every department called to the appeal so far, when already read (one query for a batch).
    """
    appeal = event.appeal
    if called is None:
        called = appeal.whistle_calls.values_list("department_id", flat=True)
    ids = set(called)
    handler_id = handlers(event)[0]
    if handler_id:
        ids.add(handler_id)
    if event.action == "reassign":
        old = previous_handler_id(event)
        if old:
            ids.add(old)
    return ids
