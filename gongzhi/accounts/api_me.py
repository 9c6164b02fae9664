"""GET /api/v1/me, "who am I": the signed-in user with their roles, scopes and allowed actions."""
from ninja import Router, Schema

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
