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

An appeal in a confidential category reaches only those who may read it now (confidential_circle): its
reporter, who may read confidential appeals at its place (desk, sub-district, grid workers), and who acts
for its current handler or a department whistled to it. Whoever else a party names (the organisation a
reassignment took it from, the handler of an event the worker reaches after a reassignment) hears nothing,
and their webhooks neither.

Each party is one query. The appeals' source (timeline.AppealTimeline.
audience) passes one `memo` dict for a whole batch of events: a party is decided by the appeal's place on
the grid (desk, verifiers, whistlers, supervisors) or by an organisation
(handler, old handler, called departments). prefetch() fills it for every
place of the batch at once (grid_users: two queries per party, however many
places), and an organisation's users are asked once per batch. Without a memo
every call asks afresh; the answers are the same either way
(tests/notifications/test_drain.py compares them).
"""
from django.db.models import Q

from gongzhi.accounts.models import Role, RoleAssignment
from .capability import APPEAL_DISPATCH, APPEAL_SUPERVISE, APPEAL_VERIFY, APPEAL_VIEW, APPEAL_WHISTLE
from gongzhi.accounts.policy import roles_granting, users_acting_for, users_with
from gongzhi.appeals.models import AppealEvent, HandlerLevel
from gongzhi.appeals.selectors import is_confidential
from gongzhi.grid.models import LEVELS
from gongzhi.orgs.models import Coverage

REPORTER = "reporter"
DESK = "desk"
HANDLER = "handler"
OLD_HANDLER = "old_handler"
VERIFIERS = "verifiers"
CALLED = "called"
WHISTLERS = "whistlers"
SUPERVISORS = "supervisors"
CIRCLE = "circle"  # not a party: who may read a confidential appeal at a place (memo key)

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
    "chase": (HANDLER, DESK),
    "supplement": (HANDLER, DESK),
    # Nobody had taken it up: the desk is not told of a job that went away before it was theirs. Only
    # departments a whistle called to it have started on it and must hear to stop.
    "withdraw": (CALLED,),
    "note": (HANDLER, DESK),
    "supervise": (HANDLER,),
    "whistle": (HANDLER, CALLED),
    "whistle_report": (WHISTLERS,),
    "remind": (HANDLER,),          # the desk, while no handler has been chosen
    "escalate": (SUPERVISORS,),
    "me_too": (),
    "recategorise": (HANDLER,),
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
        ids = _ids(users_with(APPEAL_DISPATCH, appeal, roles=(Role.COMMUNITY_WORKER,)))
        return ids or _ids(users_with(APPEAL_DISPATCH, appeal, by_relation=False))

    return _memo(memo, (DESK, _place(appeal)), compute)


def grid_users(action, places, roles=None):
    """{place: user ids} as policy.users_with(action, an appeal at that place, roles=roles, by_relation=False),
    for many places at once: two queries however many places. `roles`: at most those holding the action for
    the appeals in question (policy.roles_granting(action, appeal)).

    The same rule as policy.users_with for a placed record (an appeal is not a grid node, so no scope below
    its place counts): an active user's role grants the action and is over the place's node or one of its
    ancestors, or over an organisation covering one. tests/notifications/test_drain.py holds the two equal.
    """
    places = set(places)
    out = dict.fromkeys(places, frozenset())
    granting = [r for r in roles_granting(action) if roles is None or r in roles]
    if not granting or not places:
        return out
    wanted = {lvl: {pk for place in places for level, pk in place if level == lvl} for lvl in LEVELS}
    node = Q()
    for lvl, pks in wanted.items():
        if pks:
            node |= Q(**{f"{lvl}_id__in": pks})
    cols = [f"{lvl}_id" for lvl in LEVELS]
    covers = list(Coverage.objects.filter(node).values_list("organisation_id", *cols))
    held = list(RoleAssignment.objects.filter(role__in=granting, user__is_active=True)
                .filter((Q(organisation__isnull=True) & node) | Q(organisation_id__in={c[0] for c in covers}))
                .values_list("user_id", "organisation_id", *cols))
    for place in places:
        nodes = set(place)

        def over(columns):
            return any(pk is not None and (lvl, pk) in nodes for lvl, pk in zip(LEVELS, columns))

        orgs = {org for org, *columns in covers if over(columns)}
        out[place] = frozenset(uid for uid, org, *columns in held if (org in orgs if org is not None else over(columns)))
    return out


def prefetch(events, memo):
    """Put in `memo` the grid-scoped parties of every place these events concern (desk, verifiers,
    whistlers, supervisors), with grid_users: a few queries for the whole batch."""
    want = {}
    for e in events:
        names = AUDIENCES.get(e.action, ())
        place = _place(e.appeal)
        if DESK in names or VERIFIERS in names or (HANDLER in names and e.action == "remind"):
            want.setdefault((DESK,), set()).add(place)
        if VERIFIERS in names:
            want.setdefault((VERIFIERS,), set()).add(place)
        if WHISTLERS in names:
            want.setdefault((WHISTLERS,), set()).add(place)
        if SUPERVISORS in names:
            want.setdefault((SUPERVISORS, _supervisor_roles(e)), set()).add(place)
        if names and is_confidential(e.appeal):
            want.setdefault((CIRCLE, _circle_roles(e.appeal)), set()).add(place)
    for key, places in want.items():
        places = {p for p in places if (*key, p) not in memo}
        if not places:
            continue
        if key[0] == DESK:
            found = grid_users(APPEAL_DISPATCH, places, roles=(Role.COMMUNITY_WORKER,))
            found.update(grid_users(APPEAL_DISPATCH, [p for p, ids in found.items() if not ids]))
        elif key[0] == VERIFIERS:
            found = grid_users(APPEAL_VERIFY, places, roles=(Role.GRID_WORKER,))
        elif key[0] == WHISTLERS:
            found = grid_users(APPEAL_WHISTLE, places)
        elif key[0] == CIRCLE:
            found = grid_users(APPEAL_VIEW, places, roles=key[1])
        else:
            found = grid_users(APPEAL_SUPERVISE, places, roles=key[1])
        for place, ids in found.items():
            memo[(*key, place)] = ids


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


def called_department_ids(event, called=None):
    """Of a whistle, the departments it called (earlier calls were told when they were made); of any other
    event, every department called to the appeal so far (`called`, when already read)."""
    if event.action == "whistle":
        return list((event.data or {}).get("departments") or [])
    return sorted(_called(event.appeal, called))


def party(name, event, memo=None, called=None):
    """User ids of one party for this event; `memo` shares the answers across a batch of events, `called` is
    every department called to the appeal so far, when already read."""
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
                      lambda: _ids(users_with(APPEAL_VERIFY, appeal, roles=(Role.GRID_WORKER,))))
        return found or desk(appeal, memo)
    if name == CALLED:
        return set().union(*(acting_for(pk, memo) for pk in called_department_ids(event, called)))
    if name == WHISTLERS:
        return _memo(memo, (WHISTLERS, _place(appeal)), lambda: _ids(users_with(APPEAL_WHISTLE, appeal, by_relation=False)))
    if name == SUPERVISORS:
        roles = _supervisor_roles(event)
        return _memo(memo, (SUPERVISORS, roles, _place(appeal)),
                     lambda: _ids(users_with(APPEAL_SUPERVISE, appeal, roles=roles)))
    raise ValueError(name)


def _supervisor_roles(event):
    level = (event.data or {}).get("level") or event.appeal.escalation_level
    return _SUPERVISOR_ROLES.get(level, (Role.COMMUNITY_WORKER,))


def _called(appeal, called):
    return set(called if called is not None else appeal.whistle_calls.values_list("department_id", flat=True))


def _circle_roles(appeal):
    """The roles that read this appeal where it is: for a confidential one, not every role that reads the rest."""
    return tuple(roles_granting(APPEAL_VIEW, appeal))


def confidential_circle(appeal, memo=None, called=None):
    """User ids of everyone who may read this confidential appeal now (appeals.selectors.visible_branches,
    reversed): its reporter; who may read confidential appeals at its place; who acts for its current handler
    or for a department whistled to it. `called`: those departments, when already read."""
    ids = set(_memo(memo, (CIRCLE, _circle_roles(appeal), _place(appeal)),
                    lambda: _ids(users_with(APPEAL_VIEW, appeal, by_relation=False))))
    if appeal.reporter_id:
        ids.add(appeal.reporter_id)
    orgs = _called(appeal, called) | ({appeal.handler_id} if appeal.handler_id else set())
    for org in orgs:
        ids |= acting_for(org, memo)
    return ids


def recipients_for(event, memo=None, called=None):
    """{user id: party} of everyone this event concerns, the two rules applied, and none outside a confidential
    appeal's circle. `called`: every department called to the appeal so far, when already read."""
    out = {}
    for name in AUDIENCES.get(event.action, ()):
        if name == REPORTER and event.internal:
            continue
        for uid in party(name, event, memo, called):
            out.setdefault(uid, name)
    out.pop(event.actor_id, None)
    if event.internal:
        out.pop(event.appeal.reporter_id, None)
    if out and is_confidential(event.appeal):
        circle = confidential_circle(event.appeal, memo, called)
        out = {uid: name for uid, name in out.items() if uid in circle}
    return out


def organisations_for(event, called=None):
    """Organisations whose webhooks hear of this event: the handler (and the one a reassignment left), called departments.

    `called` is every department called to the appeal so far, when already read (one query for a batch).
    Of a confidential appeal, only its current handler and called departments.
    """
    appeal = event.appeal
    called = _called(appeal, called)
    ids = set(called)
    handler_id = handlers(event)[0]
    if handler_id:
        ids.add(handler_id)
    if event.action == "reassign":
        old = previous_handler_id(event)
        if old:
            ids.add(old)
    if is_confidential(appeal):
        ids &= called | {appeal.handler_id}
    return ids
