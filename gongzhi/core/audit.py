"""Writing the audit log. Sensitive values are recorded as masked, never in clear."""
from .middleware import client_ip, current_request
from .models import AuditAction, AuditEntry

SENSITIVE = "***"


def _actor(user):
    if user is not None and getattr(user, "is_authenticated", False):
        return user, user.get_username()
    return None, (getattr(user, "attempted_username", "") if user is not None else "")


def audit(action, *, user=None, obj=None, object_type="", object_id="", object_repr="",
          changes=None, success=True, detail="", request=None, username=None):
    request = request or current_request()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    actor, name = _actor(user)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditEntry.objects.create(
        user=actor, username=(username or name or "")[:150], ip=client_ip(request),
        action=action, object_type=object_type, object_id=str(object_id), object_repr=object_repr[:200],
        changes=changes or {}, success=success, detail=detail[:500],
    )


def diff(before: dict, after: dict, sensitive=()) -> dict:
    """{field: [before, after]} for changed fields; sensitive fields show only that they changed."""
    out = {}
    for key in after:
        if before.get(key) != after.get(key):
            if key in sensitive:
                out[key] = [SENSITIVE if before.get(key) else "", SENSITIVE if after.get(key) else ""]
            else:
                out[key] = [_plain(before.get(key)), _plain(after.get(key))]
    return out


def _plain(v):
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, (list, tuple, set)):
        return sorted(_plain(x) for x in v)
    return str(v)


__all__ = ["audit", "diff", "AuditAction"]
