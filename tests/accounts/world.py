"""Random worlds for the policy: a grid, organisations covering parts of it, users holding roles over nodes
or organisations, and records of every model a capability scopes, built from the declarations alone.

A new capability's models get records here by being declared: their place, their relationship fields and
their required fields are filled from the model's own metadata, nothing per model.
"""
import datetime
from decimal import Decimal

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from gongzhi.accounts.capabilities import PLACED, SELF, discover
from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.grid.models import GRID_MODELS, LEVELS, Building, Community, Compound, Household, Subdistrict
from gongzhi.orgs.models import Coverage, Membership, Organisation, OrgKind


class World:
    def __init__(self, rnd):
        self.rnd = rnd
        self.n = 0
        self.nodes = {lvl: [] for lvl in LEVELS}
        self.orgs = []
        self.users = []
        self.records = {}  # model -> [instances]

    def code(self, prefix):
        self.n += 1
        return f"{prefix}{self.n}"

    def pick(self, seq, none=False):
        options = list(seq) + ([None] if none else [])
        return self.rnd.choice(options) if options else None


def build(rnd):
    w = World(rnd)
    _grid(w)
    _orgs(w)
    _users(w)
    for rec in discover().records:
        model = apps.get_model(rec.model)
        if rec.place == SELF:
            w.records[model] = list(model.objects.all())
        elif model is Organisation:
            w.records[model] = list(w.orgs)
        else:
            made = (make(w, model, rec) for _ in range(rnd.randint(2, 6)))
            w.records[model] = [obj for obj in made if obj is not None]
    return w


def _grid(w):
    rnd = w.rnd
    for _ in range(rnd.randint(1, 2)):
        s = Subdistrict.objects.create(code=w.code("S"), name="街道")
        w.nodes["subdistrict"].append(s)
        for _ in range(rnd.randint(1, 2)):
            c = Community.objects.create(subdistrict=s, code=w.code("C"), name="社区")
            w.nodes["community"].append(c)
            for _ in range(rnd.randint(1, 2)):
                k = Compound.objects.create(community=c, code=w.code("K"), name="小区")
                w.nodes["compound"].append(k)
                for _ in range(rnd.randint(1, 2)):
                    b = Building.objects.create(compound=k, code=w.code("B"), name="楼")
                    w.nodes["building"].append(b)
                    for _ in range(rnd.randint(0 if w.nodes["household"] else 1, 2)):  # records need one
                        w.nodes["household"].append(Household.objects.create(building=b, code=w.code("R"), address="某路1号"))


def _any_node(w):
    level = w.pick([lvl for lvl in LEVELS if w.nodes[lvl]])
    return w.pick(w.nodes[level])


def _orgs(w):
    for _ in range(w.rnd.randint(1, 5)):
        org = Organisation.objects.create(kind=w.pick(OrgKind.values), code=w.code("O"), name="组织")
        for _ in range(w.rnd.randint(0, 2)):  # an organisation may cover nothing yet
            c = Coverage(organisation=org)
            c.set_node(_any_node(w))
            c.save()
        w.orgs.append(org)


def _users(w):
    rnd = w.rnd
    for i in range(rnd.randint(3, 8)):
        u = User.objects.create_user(username=w.code("u"), is_active=rnd.random() > 0.1)
        for _ in range(rnd.randint(0, 3)):
            ra = RoleAssignment(user=u, role=w.pick(Role.values))
            if w.orgs and rnd.random() < 0.35:
                ra.organisation = w.pick(w.orgs)
            else:
                ra.set_node(_any_node(w))
            ra.save()
        if w.orgs and rnd.random() < 0.3:
            Membership.objects.create(organisation=w.pick(w.orgs), user=u, person_name="某人", position="member")
        w.users.append(u)
    w.users.append(User.objects.create_superuser(username=w.code("root"), password="x" * 12))


# ---- records of any declared model ----------------------------------------------------------------------

def _relation_paths(model):
    label = model._meta.label
    return [(rel.user or rel.org, bool(rel.user)) for cap in discover().capabilities for rel in cap.relations
            if rel.model == label]


def _resolves(model, path):
    """Whether `path` ("category__confidential") leads from `model` through its fields."""
    for name in filter(None, path.split("__")):
        try:
            f = model._meta.get_field(name)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist: another model's condition
            return False
        model = f.related_model if f.is_relation else None
        if model is None and name != path.split("__")[-1]:
            return False
    return True


def _condition_fields(model):
    """{field: [the rest of each lookup]} for the fields of `model` a grant's condition reads through. A
    condition is written for another model when its lookup does not lead through this one's fields (a field
    named like appeals' `category` elsewhere is not appeals' category)."""
    heads = {}
    for cap in discover().capabilities:
        for action in cap.grants:
            for grant in cap.grants_of(action):
                for lookup, _ in grant.where:
                    if _resolves(model, lookup):
                        head, _, rest = lookup.partition("__")
                        heads.setdefault(head, []).append(rest)
    return heads


def _toward(w, model, path, to_user, depth):
    """A value for the first field of a relationship path: the user or organisation itself, or a new row of
    the model in between whose own path leads to one ("room__station__keeper": a room of a station with a
    keeper)."""
    head, _, rest = path.partition("__")
    f = model._meta.get_field(head)
    if not rest:
        return w.pick(w.users if to_user else w.orgs, none=f.null)  # a required one always has one
    if depth > 2:
        return _existing_or_new(w, f.related_model, depth)
    nested = f.related_model
    return make(w, nested, rec=_record_of(nested),
                fixed={rest.partition("__")[0]: _toward(w, nested, rest, to_user, depth + 1)}, depth=depth + 1)


def _record_of(model):
    return next((r for r in discover().records if r.model == model._meta.label), None)


def _meeting_or_not(w, f, rests):
    """A row for a conditioned foreign key, the condition's outcomes drawn evenly (confidential or not)."""
    rows = list(f.related_model._default_manager.all())
    rest = w.pick([r for r in rests if r])
    if rest is None:
        return w.pick(rows)
    from gongzhi.accounts.policy import _value_at

    value = w.pick(sorted({_value_at(r, rest) for r in rows}, key=repr))
    return w.pick([r for r in rows if _value_at(r, rest) == value])


def make(w, model, rec=None, fixed=None, depth=0):
    """One saved instance of `model`: its place and relationships drawn at random, other required fields filled.
    None when the draw breaks one of the model's constraints (a second ownership of one household): the world
    simply has one record fewer."""
    fixed = dict(fixed or {})
    if rec is not None:
        _place(w, model, rec, fixed)
    for path, to_user in _relation_paths(model):
        head = path.split("__")[0]
        f = model._meta.get_field(head)
        if f.many_to_one and head not in fixed:
            fixed[head] = _toward(w, model, path, to_user, depth)
    conditioned = _condition_fields(model)
    obj = model(**fixed)
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in fixed or f.auto_created:
            continue
        if f.many_to_one:
            if f.name in conditioned:
                setattr(obj, f.name, _meeting_or_not(w, f, conditioned[f.name]))
            elif not f.null:
                setattr(obj, f.name, _existing_or_new(w, f.related_model, depth))
            continue
        if f.has_default() or f.null or (f.blank and isinstance(f, (models.CharField, models.TextField))):
            continue
        setattr(obj, f.name, _value(w, f))
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        return None
    if rec is not None and rec.many:  # rows that each name one node: none, one or a few, anywhere on the grid
        ref_field = model._meta.get_field(rec.place)
        for _ in range(w.rnd.randint(0, 2)):
            ref = ref_field.related_model(**{ref_field.field.name: obj})
            ref.set_node(_any_node(w))
            ref.save()
    for path, to_user in _relation_paths(model):  # relationships through another table: a few rows each
        head, _, rest = path.partition("__")
        f = model._meta.get_field(head)
        if f.one_to_many:
            target = w.users if to_user else w.orgs
            for other in w.rnd.sample(target, w.rnd.randint(0, min(2, len(target)))):
                make(w, f.related_model, fixed={f.field.name: obj, rest: other}, depth=depth + 1)
    return obj


def _place(w, model, rec, fixed):
    if rec.place == PLACED:
        compound = w.pick(w.nodes["compound"])
        building = w.pick([b for b in w.nodes["building"] if b.compound_id == compound.pk], none=True)
        household = w.pick([h for h in w.nodes["household"] if building and h.building_id == building.pk], none=True)
        fixed.update(compound=compound, building=building, household=household)
    elif not rec.many:
        f = model._meta.get_field(rec.place)
        fixed[rec.place] = w.pick(w.nodes[f.related_model.level], none=f.null)


def _existing_or_new(w, model, depth):
    for lvl, grid_model in GRID_MODELS.items():
        if model is grid_model:
            return w.pick(w.nodes[lvl])
    if model is User:
        return w.pick(w.users)
    if model is Organisation:
        return w.pick(w.orgs)
    found = w.pick(model._default_manager.order_by("pk"))  # the seed decides, not the database's order
    if found is not None or depth > 2:
        return found
    return make(w, model, depth=depth + 1)


def _value(w, f):
    if f.choices:
        return w.pick([c[0] for c in f.flatchoices])
    if isinstance(f, models.BooleanField):
        return w.rnd.random() < 0.5
    if isinstance(f, (models.IntegerField, models.FloatField)):
        return 1
    if isinstance(f, models.DecimalField):
        return Decimal("1")
    if isinstance(f, models.DateTimeField):
        return timezone.now()
    if isinstance(f, models.DateField):
        return datetime.date(2026, 1, 1)
    if isinstance(f, models.JSONField):
        return {}
    if isinstance(f, (models.CharField, models.TextField)):
        return w.code("x")[: f.max_length or 20]
    raise TypeError(f"no value for {f.model.__name__}.{f.name} ({type(f).__name__}): give it a default")
