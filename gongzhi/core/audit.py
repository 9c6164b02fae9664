"""Writing the audit log. Sensitive values are recorded as masked, never in clear.

Names and texts of records (an appeal's title, an import's file name, whatever a change carried) are
written by people and may hold a phone or an ID number: the log keeps them masked
(identity.redact_identifiers), for every reader of the log.
"""
from .identity import redact_identifiers
from .middleware import client_ip, current_request
from .models import AuditAction, AuditEntry

SENSITIVE = "***"


def _actor(user):
    if user is not None and getattr(user, "is_authenticated", False):
        return user, user.get_username()
    return None, (getattr(user, "attempted_username", "") if user is not None else "")


def audit(action, *, user=None, obj=None, object_type="", object_id="", object_repr="",
          changes=None, success=True, detail="", request=None, username=None, anonymous=False):
    """anonymous: the write was promised to name nobody; the entry keeps neither the user nor the address."""
    request = None if anonymous else (request or current_request())
    if user is None and request is not None:
        user = getattr(request, "user", None)
    actor, name = _actor(user)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)  # masked before it is cut (below): a cut number is not found
    return AuditEntry.objects.create(
        user=actor, username=(username or name or "")[:150], ip=client_ip(request),
        action=action, object_type=object_type, object_id=str(object_id),
        object_repr=redact_identifiers(object_repr)[:200], changes=masked(changes or {}), success=success,
        detail=redact_identifiers(detail)[:500],
    )


def masked(value):
    """Every text inside a change record with its identifiers masked."""
    if isinstance(value, str):
        return redact_identifiers(value)
    if isinstance(value, dict):
        # A keyed digest ("term_hash") is no text anyone typed, and its hex digits can look like a phone number.
        return {k: v if str(k).endswith("_hash") else masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(v) for v in value]
    return value


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


# What an app calls the steps it records in an entry's `detail` (a workflow's actions): registered by the app
# in its AppConfig.ready(), read by the audit log's page, so the log says 派单, not "dispatch".
_VERBS = {}


def register_verbs(object_type, verbs):
    """`verbs`: {detail: label} for entries about records of `object_type` ("app_label.model")."""
    _VERBS.setdefault(object_type, {}).update(verbs)


def verb_of(entry):
    """The entry's action as a word: the app's name for its step, else the kind of action."""
    return _VERBS.get(entry.object_type, {}).get(entry.detail) or entry.get_action_display()


def names_its_step(entry):
    return entry.detail in _VERBS.get(entry.object_type, {})
