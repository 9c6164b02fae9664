"""Reads of appeals, always scoped by the asking user."""
from django.db.models import Q

from gongzhi.accounts.policy import A, acting_org_ids, scope_of, scoped

from . import workflow as wf
from .models import Appeal, AppealEvent, Category, Status, WhistleCall

LIST_RELATED = ("category", "compound", "handler")
DISPATCH_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.RETURNED, Status.REOPENED, Status.EXTENSION_REQUESTED)
HANDLER_STATUSES = (Status.DISPATCHED, Status.IN_PROGRESS, Status.ON_HOLD, Status.EXTENSION_REQUESTED)
VERIFY_STATUSES = (Status.RESOLVED,)


def visible_appeals(user):
    """Every appeal the user may read: in their scope, theirs, their organisation's, or whistled to it."""
    base = Appeal.objects.select_related(*LIST_RELATED)
    if scope_of(user).superuser:
        return base
    orgs = acting_org_ids(user)
    in_scope = scoped(user, A.APPEAL_VIEW, Appeal.objects.all()).values("id")
    q = Q(id__in=in_scope) | Q(reporter_id=user.pk)
    if orgs:
        # A subquery, not a join: an appeal whistled to several of the user's departments is still one row.
        whistled = WhistleCall.objects.filter(department_id__in=orgs).values("appeal_id")
        q |= Q(handler_id__in=orgs) | Q(id__in=whistled)
    return base.filter(q)


def queue(user, name, *, status=None, category=None, compound=None, q=""):
    """The named work queue: dispatch (the desk), handle (my organisations), verify, mine, all."""
    if name == "dispatch":
        qs = scoped(user, A.APPEAL_DISPATCH, Appeal.objects.select_related(*LIST_RELATED))
        qs = qs.filter(status__in=DISPATCH_STATUSES) if not status else qs
    elif name == "handle":
        orgs = acting_org_ids(user)
        qs = Appeal.objects.select_related(*LIST_RELATED).filter(handler_id__in=orgs or [0])
        qs = qs.filter(status__in=HANDLER_STATUSES) if not status else qs
    elif name == "verify":
        qs = scoped(user, A.APPEAL_VERIFY, Appeal.objects.select_related(*LIST_RELATED))
        qs = qs.filter(status__in=VERIFY_STATUSES) if not status else qs
    elif name == "mine":
        qs = Appeal.objects.select_related(*LIST_RELATED).filter(reporter_id=user.pk)
    else:
        qs = visible_appeals(user)
    if status:
        qs = qs.filter(status__in=[s for s in str(status).split(",") if s in Status.values] or ["-"])
    if category:
        qs = qs.filter(category_id=category)
    if compound:
        qs = qs.filter(compound_id=compound)
    q = (q or "").strip()
    if q:
        from .models import pk_from_number

        pk = pk_from_number(q)
        qs = qs.filter(Q(title__contains=q) | Q(pk=pk)) if pk else qs.filter(title__contains=q)
    return qs


def timeline(user, appeal, parties):
    """Timeline rows the user may read; internal notes stay with staff."""
    events = AppealEvent.objects.filter(appeal=appeal).select_related("actor", "organisation")
    staff = parties - {wf.REPORTER}
    if not staff and not scope_of(user).superuser:
        events = events.filter(internal=False)
    return events


def category_tree():
    cats = list(Category.objects.filter(is_active=True).order_by("order", "code"))
    children = {}
    for c in cats:
        children.setdefault(c.parent_id, []).append(c)

    def build(parent_id):
        return [{"category": c, "children": build(c.pk)} for c in children.get(parent_id, [])]

    return build(None)
