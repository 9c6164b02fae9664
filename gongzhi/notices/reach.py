"""Where an editor may put a notice up: the sub-districts, communities and compounds inside their place.

A node is named "level:id" ("community:3") in forms and the API. The choices come from the editor's own
place for NOTICE_EDIT (the policy's scope), so a choice outside it is never offered; the services check
the finished notice with the policy all the same.
"""
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import scope_of
from gongzhi.grid.models import Community, Compound, Subdistrict

from .capability import NOTICE_EDIT

LEVELS = ("subdistrict", "community", "compound")
_MODELS = {"subdistrict": Subdistrict, "community": Community, "compound": Compound}


def key_of(node):
    return f"{node.level}:{node.pk}"


def choices(user):
    """[(key, label, node)] the user may put a notice up for, widest first."""
    scope = scope_of(user)
    subdistricts, communities, compounds = set(), set(), set()
    if scope.superuser:
        subdistricts = set(Subdistrict.objects.values_list("pk", flat=True))
    for path in scope.paths(NOTICE_EDIT):
        if "compound" in path:
            compounds.add(path["compound"])
        elif "community" in path:
            communities.add(path["community"])
        elif "subdistrict" in path:
            subdistricts.add(path["subdistrict"])
    out = []
    subs = list(Subdistrict.objects.filter(pk__in=subdistricts).order_by("code"))
    comms = list(Community.objects.filter(Q(pk__in=communities) | Q(subdistrict_id__in=subdistricts))
                 .order_by("code"))
    comm_ids = {c.pk for c in comms}
    comps = list(Compound.objects.filter(Q(pk__in=compounds) | Q(community_id__in=comm_ids)).order_by("code"))
    names = {c.pk: c.name for c in comms}
    for s in subs:
        out.append((key_of(s), _("%(name)s（全街道）") % {"name": s.name}, s))
    for c in comms:
        out.append((key_of(c), _("%(name)s（全社区）") % {"name": c.name}, c))
    for k in comps:
        label = f"{names[k.community_id]} · {k.name}" if k.community_id in names else k.name
        out.append((key_of(k), label, k))
    return out


def parse(user, keys, field="reach"):
    """The nodes named by `keys`, each among the user's choices; ValidationError naming the field otherwise."""
    keys = [str(k).strip() for k in keys or () if str(k).strip()]
    if not keys:
        raise ValidationError({field: _("请选择公告的发布范围（社区或小区）")})
    offered = {key: node for key, _label, node in choices(user)}
    nodes, seen = [], set()
    for key in keys:
        if key not in offered:
            raise ValidationError({field: _("发布范围“%(key)s”无效或不在您的管辖范围内") % {"key": key[:40]}})
        if key not in seen:
            seen.add(key)
            nodes.append(offered[key])
    return nodes


def describe(notice):
    """The names of the nodes a notice is put up for (its reach prefetched with its nodes)."""
    return [ref.node.name for ref in notice.reach.all() if ref.node is not None]
