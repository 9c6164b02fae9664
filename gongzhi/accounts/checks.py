"""System checks on the capabilities' declarations: the site does not start on an inconsistent one."""
from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist

from gongzhi.grid.models import GridRef

from .capabilities import PLACED, SELF, discover
from .models import Role

_PLACED_FIELDS = ("compound", "building", "household")


def _error(msg, code, hint=None):
    return checks.Error(msg, hint=hint, id=f"gongzhi.{code}")


def _model(label):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _resolve(model, path):
    """The model at the end of a path of relations and the last field, or (None, None) if it leads nowhere."""
    field = None
    for part in path.split("__"):
        if model is None:
            return None, None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None, None
        model = field.related_model if field.is_relation else None
    return model, field


def _check_record(rec):
    model = _model(rec.model)
    if model is None:
        return [_error(f"{rec.model} is scoped but is not a model", "E002")]
    if rec.place == SELF:
        if getattr(model, "level", None) is None:
            return [_error(f"{rec.model} is declared a grid node but has no grid level", "E003")]
        return []
    if rec.place == PLACED:
        missing = [f for f in _PLACED_FIELDS if not _has_field(model, f)]
        if missing:
            return [_error(f"{rec.model} is declared placed but has no {', '.join(missing)}", "E003",
                           hint="Inherit gongzhi.grid.places.Placed.")]
        if rec.context:
            return [_error(f"{rec.model}: a placed record cannot be seen from below", "E003")]
        return []
    target, field = _resolve(model, rec.place)
    if field is None:
        return [_error(f"{rec.model} reaches the grid through {rec.place!r}, which it does not have", "E003")]
    if rec.many:
        if not (field.one_to_many and issubclass(target, GridRef)):
            return [_error(f"{rec.model}.{rec.place} must be the reverse of a grid reference (GridRef) to be many",
                           "E003")]
    elif not (field.many_to_one and getattr(target, "level", None)):
        return [_error(f"{rec.model}.{rec.place} is not a foreign key to a grid node", "E003")]
    return []


def _has_field(model, name):
    try:
        model._meta.get_field(name)
        return True
    except FieldDoesNotExist:
        return False


@checks.register()
def check_capabilities(app_configs=None, **kwargs):
    registry = discover()
    errors = []
    seen = {}
    roles = set(Role.values)
    for cap in registry.capabilities:
        for action in cap.actions:
            if action in seen:
                errors.append(_error(f"{action} is declared by {seen[action]} and {cap.name}", "E001"))
            seen[action] = cap.name
        errors += _check_record_list(cap)
        for action, _grants in cap.grants.items():
            if action not in cap.actions:
                errors.append(_error(f"{cap.name} grants {action}, which it does not declare", "E004"))
            for grant in cap.grants_of(action):
                for role in grant.roles - roles:
                    errors.append(_error(f"{cap.name} grants {action} to an unknown role {role!r}", "E005"))
        for rel in cap.relations:
            errors += _check_relation(cap, rel)
        for action, implying in cap.implied_by.items():
            for a in (action, *implying):
                if a not in registry.actions:
                    errors.append(_error(f"{cap.name}: {a} is implied or implies but is not declared", "E006"))
    held = {a for role in registry.role_actions().values() for a in role}
    by_relation = {a for cap in registry.capabilities for rel in cap.relations for a in rel.actions}
    for action, cap in registry.actions.items():
        if action not in held and action not in by_relation:
            errors.append(_error(f"{cap.name} declares {action}, which no role and no relationship holds", "E007"))
    errors += _check_where(registry)
    if sum(cap.acting is not None for cap in registry.capabilities) > 1:
        errors.append(_error("more than one capability declares who acts for an organisation", "E010"))
    return errors


def _check_record_list(cap):
    errors = []
    for rec in cap.records:
        errors += _check_record(rec)
    return errors


def _check_relation(cap, rel):
    model = _model(rel.model)
    if model is None:
        return [_error(f"{cap.name}: relationship {rel.name!r} is on {rel.model}, which is not a model", "E008")]
    if bool(rel.user) == bool(rel.org):
        return [_error(f"{cap.name}: relationship {rel.name!r} needs exactly one of user= or org=", "E008")]
    if not any(r.model == rel.model for c in discover().capabilities for r in c.records):
        return [_error(f"{cap.name}: relationship {rel.name!r} is on {rel.model}, which no capability scopes",
                       "E008")]
    target, field = _resolve(model, rel.user or rel.org)
    user_model = apps.get_model("accounts.User")
    want = user_model if rel.user else _org_model()
    if field is None or target is not want:
        return [_error(f"{cap.name}: relationship {rel.name!r} grants on {rel.model}.{rel.user or rel.org}, "
                       f"which is not a path to {want._meta.label}", "E009")]
    return []


def _org_model():
    from .models import RoleAssignment

    return RoleAssignment._meta.get_field("organisation").related_model


def _check_where(registry):
    errors = []
    for cap in registry.capabilities:
        for action in cap.grants:
            for grant in cap.grants_of(action):
                for lookup, _value in grant.where:
                    models = [_model(r.model) for c in registry.capabilities for r in c.records]
                    if not any(m is not None and _resolve(m, lookup)[1] is not None for m in models):
                        errors.append(_error(f"{cap.name}: the condition on {action} reads {lookup!r}, "
                                             "which no scoped model has", "E009"))
    return errors
