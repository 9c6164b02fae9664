"""Reads of appeals, always scoped by the asking user."""
import operator
from functools import reduce

from django.db.models import Q
from django.utils import timezone

from gongzhi.core.pagination import Tier, keyset_page, tiered_page
from gongzhi.core.workdays import end_of_day, local_date
from gongzhi.accounts.policy import acting_org_ids, can, holds_by_place, scoped
from .capability import APPEAL_DISPATCH, APPEAL_VERIFY, APPEAL_VIEW, CATEGORY_MANAGE
from gongzhi.accounts.policy import visible_branches as policy_branches
from gongzhi.core.identity import redact_identifiers
from gongzhi.core.ids import as_id
from gongzhi.orgs.models import Organisation, OrgKind

from . import rates
from .models import CLOCK_STATUSES, OPEN_STATUSES, Appeal, Category, RoutingRule, Status

# The compound's community too: what a list shows of each appeal depends on the reader's standing to it
# (presenter.views_of), which the policy reads from the appeal's place.
LIST_RELATED = ("category", "compound__community", "handler")
DISPATCH_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.RETURNED, Status.REOPENED, Status.EXTENSION_REQUESTED)
HANDLER_STATUSES = (Status.DISPATCHED, Status.IN_PROGRESS, Status.ON_HOLD, Status.EXTENSION_REQUESTED)
VERIFY_STATUSES = (Status.RESOLVED,)


# Shown to anyone (other residents' suggestions, "me too", photos, Open311): marked public by its reporter,
# in a category that may be public. Making a category private withdraws its appeals everywhere at once. A
# confidential category is never one that may be public (the constraint category_confidential_not_public).
PUBLIC = Q(is_public=True, category__may_be_public=True)


def shown_publicly(appeal):
    return bool(appeal.is_public and appeal.category.may_be_public)


def is_confidential(appeal):
    return appeal.category.confidential


def in_view_scope(user, appeal):
    """Does the user's place on the grid let them read this appeal (their relationships to it aside)?"""
    return holds_by_place(user, APPEAL_VIEW, appeal)


def visible_branches(user):
    """visible_appeals(user) as conditions whose union it is, each on the appeal's own indexed columns; None: every
    appeal. Derived from the appeals' declaration (capability.py) by the policy."""
    return policy_branches(user, APPEAL_VIEW, Appeal)


def visible_appeals(user):
    """Every appeal the user may read: in their scope, theirs, their organisation's, or whistled to it.

    Conditions on the appeal's own columns and a subquery, never a join: an aggregate over it (the
    rates) counts each appeal once.
    """
    base = Appeal.objects.select_related(*LIST_RELATED)
    branches = visible_branches(user)
    if branches is None:
        return base
    return base.filter(reduce(operator.or_, branches)) if branches else base.none()


def overdue(now):
    """On the clock and past its deadline."""
    return Q(status__in=CLOCK_STATUSES, resolve_due__lt=now)


def due_today(now):
    """On the clock and due before tonight (Xingning time)."""
    return Q(status__in=CLOCK_STATUSES, resolve_due__gte=now, resolve_due__lte=end_of_day(local_date(now)))


DUE = {"overdue": overdue, "today": due_today}  # the desk's two urgent lists, by their filter's name


def _filtered(qs, category=None, compound=None, q="", due="", handler=None):
    if handler:
        qs = qs.filter(handler_id=handler)
    if due:
        qs = qs.filter(DUE[due](timezone.now()))
    if category:
        qs = qs.filter(category_id=category)
    if compound:
        qs = qs.filter(compound_id=compound)
    # Searched as shown: a title's identifiers are masked to most readers, so a full number typed here must
    # not tell them which appeal holds it.
    q = redact_identifiers((q or "").strip())
    if q:
        from .models import pk_from_number

        pk = pk_from_number(q)
        qs = qs.filter(Q(title__contains=q) | Q(pk=pk)) if pk else qs.filter(title__contains=q)
    return qs


_QUEUE_STATUSES = {"dispatch": DISPATCH_STATUSES, "handle": HANDLER_STATUSES, "verify": VERIFY_STATUSES}


def _queue_statuses(name, status):
    """The statuses asked for (those that exist), else the queue's own; None: any status."""
    if status:
        return [s for s in str(status).split(",") if s in Status.values]
    return list(_QUEUE_STATUSES[name]) if name in _QUEUE_STATUSES else None


def _queue_rows(user, name):
    """The queue's rows of any status."""
    if name == "dispatch":
        return scoped(user, APPEAL_DISPATCH, Appeal.objects.select_related(*LIST_RELATED))
    if name == "handle":
        orgs = acting_org_ids(user)
        return Appeal.objects.select_related(*LIST_RELATED).filter(handler_id__in=orgs or [0])
    if name == "verify":
        return scoped(user, APPEAL_VERIFY, Appeal.objects.select_related(*LIST_RELATED))
    if name == "mine":
        return Appeal.objects.select_related(*LIST_RELATED).filter(reporter_id=user.pk)
    return visible_appeals(user)


def queue(user, name, *, status=None, category=None, compound=None, q="", due="", handler=None):
    """The named work queue: dispatch (the desk), handle (my organisations), verify, mine, all."""
    qs = _queue_rows(user, name)
    statuses = _queue_statuses(name, status)
    if statuses is not None:
        qs = qs.filter(status__in=statuses or ["-"])
    return _filtered(qs, category, compound, q, due, handler)


WORK_QUEUES = ("dispatch", "handle", "verify")


def work_counts(user, names):
    """{queue: how many appeals wait in it} for the work queues among `names` (open appeals only: cheap)."""
    return {name: queue(user, name).count() for name in names if name in WORK_QUEUES}


def queue_branches(name, status=None):
    """One filter per status in play, for keyset_page(branches=...): each walks its own index."""
    statuses = _queue_statuses(name, status) or []
    return [Q(status=s) for s in statuses] if len(statuses) > 1 else None


def queue_listing(user, name, *, status=None, category=None, compound=None, q="", due="", handler=None):
    """(queryset, branches): a queue as keyset_page and count_capped (core.pagination) read it.

    The rows are those of the queryset within the union of the branches: the same rows as queue(), read
    so that each branch can walk an index newest first. Several statuses are one branch each, and the
    queryset then has no status filter of its own (one row tested twice per status costs the count twice
    as much). For `all` the visibility rule is an OR of conditions on different columns, which no index
    serves in id order: the queryset holds only the filters, and the branches are the rule, one
    condition each (crossed with the statuses asked for, when there are several). The queryset alone is
    then NOT the queue: always pass both on.
    """
    visibility = visible_branches(user) if name == "all" else None
    by_status = queue_branches(name, status)
    if visibility is None and by_status is None:
        return queue(user, name, status=status, category=category, compound=compound, q=q, due=due,
                     handler=handler), None
    if name == "all":
        qs = Appeal.objects.select_related(*LIST_RELATED)
    else:
        qs = _queue_rows(user, name)
    if by_status is not None and visibility is not None and len(by_status) >= len(Status.values):
        by_status = None  # every status: a filter, not each visibility branch once per status
    if by_status is None:  # one status or none asked for: a filter of the queryset
        statuses = _queue_statuses(name, status)
        qs = qs.filter(status__in=statuses or ["-"]) if statuses is not None else qs
        branches = visibility
    elif visibility is None:
        branches = by_status
    else:
        branches = [v & s for v in visibility for s in by_status]
    return _filtered(qs, category, compound, q, due, handler), branches


def by_urgency(name, status=None):
    """Is this list a to-do, read most urgent first? A work queue of open appeals is; a history (closed or
    rejected ones asked for), `mine` and `all` read newest first."""
    statuses = _queue_statuses(name, status)
    return name in WORK_QUEUES and bool(statuses) and set(statuses) <= OPEN_STATUSES


def urgency_tiers(statuses):
    """A to-do's order: emergencies, then the rest, each by deadline (the most overdue first, then the soonest
    due), then any without a deadline, oldest first. The ordinary tier, the long one, is read a status at a time,
    each walking its range of the (status, urgent, resolve_due, id) index; emergencies and appeals without a
    deadline are few, read in one query each."""
    return [Tier([Q(status__in=statuses, urgent=True)], "resolve_due"),
            Tier([Q(status=s, urgent=False) for s in statuses], "resolve_due"),
            Tier([Q(status__in=statuses, resolve_due__isnull=True)])]


def queue_page(name, qs, branches, *, status=None, cursor=None, limit=50):
    """(rows, next cursor): a page of queue_listing(...)'s rows in the queue's order (by_urgency)."""
    if by_urgency(name, status):
        return tiered_page(qs, tiers=urgency_tiers(_queue_statuses(name, status)), cursor=cursor, limit=limit)
    return keyset_page(qs, cursor=cursor, limit=limit, branches=branches)


def appeal_rates(user, group_by, start=None, end=None):
    """(rows, totals): the three rates of the appeals the user may read, received from start (inclusive) to end
    (exclusive), grouped by group_by (rates.GROUPS); totals over all rows. The rates page and the API."""
    rows = rates.three_rates(rates.period_filter(visible_appeals(user), start, end), group_by)
    return rows, rates.totals(rows)


def _may_see_rule(user, rule):
    # A rule anywhere (no place) is every admin's; one at a place, only theirs whose scope holds the place.
    return all(node is None or can(user, CATEGORY_MANAGE, node) for node in (rule.community, rule.compound))


def routing_rules(user):
    """The routing rules the user may see and change, highest priority first: the settings page and the API."""
    rules = RoutingRule.objects.select_related("category", "community", "compound", "organisation").order_by(
        "-priority", "id")
    return [r for r in rules if _may_see_rule(user, r)]


def routing_rule(user, pk):
    """One of routing_rules(user), or None."""
    pk = as_id(pk)
    rule = pk and RoutingRule.objects.select_related("category", "community", "compound", "organisation").filter(
        pk=pk).first()
    return rule if rule is not None and _may_see_rule(user, rule) else None


def category_tree(include_inactive=False):
    """The categories as a tree, [{"category", "children"}] in display order, each category with its depth.

    Only the active ones (and so none under an inactive one), unless include_inactive: the settings pages.
    """
    cats = Category.objects.order_by("order", "code")
    children = {}
    for c in cats if include_inactive else cats.filter(is_active=True):
        children.setdefault(c.parent_id, []).append(c)

    def build(parent_id, depth):
        nodes = []
        for c in children.get(parent_id, []):
            c.depth = depth
            nodes.append({"category": c, "children": build(c.pk, depth + 1)})
        return nodes

    return build(None, 0)


def tree_categories(tree):
    """The categories of category_tree() in display order, a parent before its children."""
    out = []
    for node in tree:
        out.append(node["category"])
        out += tree_categories(node["children"])
    return out


# Party branches work inside their organisation; appeals go to the organisation itself.
_BRANCHES = (OrgKind.COMPOUND_BRANCH, OrgKind.PROPERTY_BRANCH, OrgKind.UNIT_BRANCH)


def handler_candidates(appeal):
    """Active organisations that may handle an appeal: those covering its compound, community or sub-district.

    Closest first (compound, then community, then sub-district); the suggested handler (a routing rule may name
    any organisation) and the current one are always included. The only organisations dispatch and reassign accept.
    """
    compound = appeal.compound
    community_id, subdistrict_id = compound.community_id, compound.community.subdistrict_id
    orgs = (Organisation.objects.filter(is_active=True)
            .exclude(kind__in=_BRANCHES)
            .filter(Q(coverage__compound=compound.pk) | Q(coverage__community=community_id)
                    | Q(coverage__subdistrict=subdistrict_id))
            .prefetch_related("coverage").distinct())
    ranked = {}
    for org in orgs:
        rank = 3
        for c in org.coverage.all():
            if c.compound_id == compound.pk:
                rank = min(rank, 0)
            elif c.community_id == community_id:
                rank = min(rank, 1)
            elif c.subdistrict_id == subdistrict_id:
                rank = min(rank, 2)
        ranked[org.pk] = (rank, org)
    for extra in (appeal.suggested_handler, appeal.handler):
        if extra is not None and extra.pk not in ranked and extra.is_active:
            ranked[extra.pk] = (-1, extra)
    return [org for _, org in sorted(ranked.values(), key=lambda t: (t[0], t[1].kind, t[1].code))]
