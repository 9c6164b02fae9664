"""The audit log (read-only, for A.AUDIT_VIEW) and "who am I" over JSON."""
from datetime import date, datetime

from django.db.models import Q
from ninja import Router, Schema

from gongzhi.accounts.policy import A, all_actions, can, require, scope_of
from gongzhi.api.base import ErrorOut, Page, Text, paginate

from .ids import as_id
from .models import AuditAction, AuditEntry

router = Router()


class AuditOut(Schema):
    id: int
    at: datetime
    user_id: int | None = None
    username: str
    ip: str | None = None
    action: str
    action_label: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict
    success: bool
    detail: str


class ScopeOut(Schema):
    kind: str
    id: int | None = None
    name: str


class RoleOut(Schema):
    role: str
    role_label: str
    scope: ScopeOut | None = None


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    phone_masked: str
    is_superuser: bool
    resident_id: int | None = None
    roles: list[RoleOut]
    actions: list[str]


def audit_entries(*, user="", action="", object_type="", object_id="", date_from=None, date_to=None):
    """Audit entries filtered; dates are whole days in the site's time zone, both ends included."""
    qs = AuditEntry.objects.all()
    user = (user or "").strip()
    if user:
        match = Q(username=user)
        if as_id(user):
            match |= Q(user_id=as_id(user))
        qs = qs.filter(match)
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type.strip().lower())
    if object_id:
        qs = qs.filter(object_id=str(object_id).strip())
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs.order_by("-at", "-id")


def _entry(e):
    return {"id": e.pk, "at": e.at, "user_id": e.user_id, "username": e.username, "ip": e.ip, "action": e.action,
            "action_label": str(AuditAction(e.action).label) if e.action in AuditAction.values else e.action,
            "object_type": e.object_type, "object_id": e.object_id, "object_repr": e.object_repr,
            "changes": e.changes if isinstance(e.changes, dict) else {"value": e.changes},
            "success": e.success, "detail": e.detail}


@router.get("/audit", response={200: Page[AuditOut], 404: ErrorOut}, tags=["audit"],
            summary="The audit log, newest first (sub-district admins only)")
def audit_list(request, user: Text = "", action: Text = "", object_type: Text = "", object_id: Text = "",
               date_from: date | None = None, date_to: date | None = None, limit: int = 50, offset: int = 0):
    require(request.user, A.AUDIT_VIEW)
    qs = audit_entries(user=user, action=action, object_type=object_type, object_id=object_id,
                       date_from=date_from, date_to=date_to)
    page = paginate(qs, limit, offset)
    page["items"] = [_entry(e) for e in page["items"]]
    return page


def _role(ra):
    scope = ra.scope
    if ra.organisation_id:
        out = {"kind": "organisation", "id": ra.organisation_id, "name": str(ra.organisation)}
    elif scope is not None:
        out = {"kind": ra.node_level, "id": ra.node_id, "name": str(scope)}
    else:
        out = None
    return {"role": ra.role, "role_label": ra.get_role_display(), "scope": out}


@router.get("/me", response=MeOut, tags=["accounts"], summary="The signed-in user, their roles and scopes")
def me(request):
    u = request.user
    assignments = u.roles.select_related("organisation", "subdistrict", "community", "compound",
                                         "building__compound", "household").order_by("id")
    scope = scope_of(u)
    actions = all_actions() if scope.superuser else [a for a in all_actions() if can(u, a)]
    return {"id": u.pk, "username": u.username, "display_name": u.display_name or u.username,
            "phone_masked": u.phone_masked, "is_superuser": u.is_superuser, "resident_id": u.resident_id,
            "roles": [_role(ra) for ra in assignments], "actions": actions}
