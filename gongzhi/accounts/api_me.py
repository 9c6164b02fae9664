"""GET /api/v1/me, "who am I": the signed-in user with their roles, scopes and allowed actions; and changing
one's own password."""
from ninja import Router, Schema
from ninja.responses import Status

from gongzhi.api.base import ErrorOut, Text

from . import services
from .policy import all_actions, can, scope_of

router = Router()


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


def _role(ra):
    scope = ra.scope
    if ra.organisation_id:
        out = {"kind": "organisation", "id": ra.organisation_id, "name": str(ra.organisation)}
    elif scope is not None:
        out = {"kind": ra.node_level, "id": ra.node_id, "name": str(scope)}
    else:
        out = None
    return {"role": ra.role, "role_label": ra.get_role_display(), "scope": out}


# The operation id is the one the OpenAPI document gave before this moved from gongzhi/core/api.py.
@router.get("/me", response=MeOut, tags=["accounts"], summary="The signed-in user, their roles and scopes",
            operation_id="gongzhi_core_api_me")
def me(request):
    u = request.user
    assignments = u.roles.select_related("organisation", "subdistrict", "community", "compound",
                                         "building__compound", "household").order_by("id")
    scope = scope_of(u)
    actions = all_actions() if scope.superuser else [a for a in all_actions() if can(u, a)]
    return {"id": u.pk, "username": u.username, "display_name": u.display_name or u.username,
            "phone_masked": u.phone_masked, "is_superuser": u.is_superuser, "resident_id": u.resident_id,
            "roles": [_role(ra) for ra in assignments], "actions": actions}


class PasswordIn(Schema):
    old_password: Text
    new_password: Text


@router.post("/me/password", response={204: None, 400: ErrorOut}, tags=["accounts"],
             summary="Change your own password",
             description="Checked against the current password and the password rules (at least 8 characters, "
                         "not all digits, not a common password). Every other session and every API token but "
                         "the one making this request end. Audited without either password.")
def password_change(request, payload: PasswordIn):
    services.password_change(user=request.user, old_password=payload.old_password,
                             new_password=payload.new_password, request=request,
                             keep_token=getattr(request, "api_token", None))
    return Status(204, None)
