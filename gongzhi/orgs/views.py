"""Organisation pages: the list by kind, and one organisation with its coverage and members."""
from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render

from gongzhi.accounts.policy import can, get_or_404, scoped
from gongzhi.grid.capability import GRID_VIEW
from .capability import ORG_VIEW
from gongzhi.people.capability import RESIDENT_VIEW

from .models import Membership, Organisation, OrgKind

GRID_RELATED = ("subdistrict", "community", "compound__community", "building__compound__community",
                "household__building__compound__community")


@login_required
def org_list(request):
    if not can(request.user, ORG_VIEW):
        raise Http404
    orgs = scoped(request.user, ORG_VIEW, Organisation.objects.filter(is_active=True).annotate(
        member_count=Count("memberships", distinct=True), coverage_count=Count("coverage", distinct=True)))
    by_kind = defaultdict(list)
    for org in orgs:
        by_kind[org.kind].append(org)
    groups = [{"kind": kind, "label": label, "orgs": by_kind[kind]} for kind, label in OrgKind.choices if by_kind[kind]]
    return render(request, "orgs/list.html", {"groups": groups, "total": sum(len(g["orgs"]) for g in groups)})


@login_required
def org_page(request, pk):
    user = request.user
    org = get_or_404(user, ORG_VIEW, Organisation.objects.select_related("parent"), pk=pk)
    visible = set(scoped(user, ORG_VIEW, Organisation.objects.all()).values_list("pk", flat=True))

    coverage = []
    for c in org.coverage.select_related(*GRID_RELATED):
        node = c.node
        coverage.append({"node": node, "level": node.level, "viewable": can(user, GRID_VIEW, node)})

    members = list(org.memberships.select_related("user", "resident__household__building__compound__community"))
    # Cross-appointments: the other posts of the same people, in organisations the user may see.
    people = Q(pk__in=[])
    resident_ids = {m.resident_id for m in members if m.resident_id}
    user_ids = {m.user_id for m in members if m.user_id}
    if resident_ids:
        people |= Q(resident_id__in=resident_ids)
    if user_ids:
        people |= Q(user_id__in=user_ids)
    others = defaultdict(list)
    for post in (Membership.objects.filter(people).exclude(organisation=org)
                 .filter(organisation_id__in=visible).select_related("organisation")):
        others[("r", post.resident_id)].append(post)
        others[("u", post.user_id)].append(post)
    for m in members:
        posts = {p.pk: p for key in (("r", m.resident_id), ("u", m.user_id)) if key[1] for p in others[key]}
        m.other_posts = list(posts.values())
        m.resident_viewable = bool(m.resident_id) and can(user, RESIDENT_VIEW, m.resident)

    return render(request, "orgs/detail.html", {
        "org": org,
        "parent_visible": org.parent_id in visible,
        "children": [o for o in org.children.filter(is_active=True) if o.pk in visible],
        "coverage": coverage,
        "members": members,
    })
