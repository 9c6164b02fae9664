"""Suggestions for a need: the resources and registered members that could answer it, best first, each with
the reasons it ranks where it does (same category or skill, same compound, available in the need's window,
room for the people served, current load).

Candidates form a bounded pool, so the time does not grow with the lists: of each kind, the POOL newest
resources of the need's category in its compound and POOL more elsewhere in its community, and the POOL
members good at it with the most weekly hours in its compound and POOL more around — each an index range read
in order and stopped (models: lists_resource_here/around, lists_skill_here/around). The pool is then scored in
Python, where the window, the capacity and the current load decide the order."""
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext as _

from gongzhi.grid.places import compounds_within

from .models import MemberSkill, ProjectStatus, Resource, Take

LIMIT = 10
POOL = 50


@dataclass
class Suggestion:
    kind: str  # "resource" or "member"
    id: int
    name: str
    compound_name: str
    score: int = 0
    reasons: list = field(default_factory=list)

    def as_dict(self):
        return {"kind": self.kind, "id": self.id, "name": self.name, "compound_name": self.compound_name,
                "score": self.score, "reasons": [str(r) for r in self.reasons]}


def _place(s, need, compound_id):
    if compound_id == need.compound_id:
        s.score += 30
        s.reasons.append(_("同一小区"))
    else:
        s.score += 10
        s.reasons.append(_("同一社区"))


def _load(s, open_takes):
    if open_takes:
        s.score -= 5 * open_takes
        s.reasons.append(_("正在服务%(n)s个项目") % {"n": open_takes})
    else:
        s.score += 5
        s.reasons.append(_("当前没有在办项目"))


def suggest(user, need, limit=LIMIT):
    """The best `limit` suggestions for the need (the caller has checked the user may review it)."""
    here = need.compound_id
    around = sorted(compounds_within("community", need.compound.community_id) - {here})
    out = []
    offers = Resource.objects.filter(topic=need.topic, active=True).select_related("compound").order_by("-pk")
    resources = list(offers.filter(compound_id=here)[:POOL]) + list(offers.filter(compound_id__in=around)[:POOL])
    org_ids = {r.organisation_id for r in resources if r.organisation_id}
    org_load = dict(Take.objects.filter(project__status=ProjectStatus.OPEN, organisation_id__in=org_ids)
                    .values("organisation_id").annotate(n=Count("pk")).values_list("organisation_id", "n")) \
        if org_ids else {}
    for r in resources:
        s = Suggestion("resource", r.pk, r.title, r.compound.name, 20, [_("类别相符：%(c)s") % {"c": r.get_topic_display()}])
        _place(s, need, r.compound_id)
        if (r.available_from is None or r.available_from <= need.wanted_from) and \
                (r.available_to is None or r.available_to >= need.wanted_to):
            s.score += 20
            s.reasons.append(_("需求时段内可提供"))
        else:
            s.reasons.append(_("可提供时段与需求不完全重合"))
        if r.capacity >= need.people:
            s.score += 10
            s.reasons.append(_("可服务%(n)s人次，足够") % {"n": r.capacity})
        if r.organisation_id:
            _load(s, org_load.get(r.organisation_id, 0))
        out.append(s)
    skilled = MemberSkill.objects.filter(topic=need.topic).select_related("compound", "user") \
        .order_by("-weekly_hours", "-pk")
    members = list(skilled.filter(compound_id=here)[:POOL]) + list(skilled.filter(compound_id__in=around)[:POOL])
    user_load = dict(Take.objects.filter(project__status=ProjectStatus.OPEN,
                                         user_id__in=[m.user_id for m in members])
                     .values("user_id").annotate(n=Count("pk")).values_list("user_id", "n")) if members else {}
    for m in members:
        s = Suggestion("member", m.user_id, str(m.user), m.compound.name, 20, [_("特长相符")])
        _place(s, need, m.compound_id)
        if m.weekly_hours:
            s.score += min(m.weekly_hours, 10) * 2
            s.reasons.append(_("每周可服务%(n)s小时") % {"n": m.weekly_hours})
        _load(s, user_load.get(m.user_id, 0))
        out.append(s)
    out.sort(key=lambda s: (-s.score, s.kind, s.id))
    return out[:limit]
