"""GET /api/v1/me, "who am I": the signed-in user with their roles, scopes and allowed actions; PATCH /api/v1/me,
their own display preferences (长辈版); and changing one's own password."""
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import BeforeValidator
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
    elder_mode: bool
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
    return _me(request.user)


def _yes_or_no(value):
    # JSON true or false only: "false" or 0 taken for a boolean would switch a resident's pages by accident.
    if not isinstance(value, bool):
        raise ValueError(_("长辈版只能是 true（开启）或 false（关闭）"))
    return value


class MePatch(Schema):
    elder_mode: Annotated[bool, BeforeValidator(_yes_or_no)] = None


@router.patch("/me", response={200: MeOut, 422: ErrorOut}, tags=["accounts"],
              summary="Change your own display preferences",
              description="elder_mode: 长辈版, large text and high contrast on every page, on every device you sign "
                          "in from. Fields left out stay as they are. Audited when it changes.")
def me_update(request, payload: MePatch):
    fields = payload.model_dump(exclude_unset=True)
    if "elder_mode" in fields:
        services.elder_mode_set(user=request.user, on=fields["elder_mode"], request=request)
    return _me(request.user)


def _me(u):
    assignments = u.roles.select_related("organisation", "subdistrict", "community", "compound",
                                         "building__compound", "household").order_by("id")
    scope = scope_of(u)
    actions = all_actions() if scope.superuser else [a for a in all_actions() if can(u, a)]
    return {"id": u.pk, "username": u.username, "display_name": u.display_name or u.username,
            "phone_masked": u.phone_masked, "is_superuser": u.is_superuser, "resident_id": u.resident_id,
            "elder_mode": u.elder_mode, "roles": [_role(ra) for ra in assignments], "actions": actions}


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
