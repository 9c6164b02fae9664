"""The policy's three answers agree, for every model a capability declares, on random worlds.

For every user, action and record: can(user, action, record) holds exactly when the record is in
scoped(user, action, all records) and exactly when the user is in users_with(action, record). The worlds
(tests/accounts/world.py) are built from the declarations: a capability's models are covered by declaring
them. POLICY_EXAMPLES sets how many worlds (8 by default; CI uses the default).

The actions asked of a model in each world: every action of the capabilities that declare it or relate to it
(with what implies them), and FOREIGN_ACTIONS more drawn from the rest. The policy reads grants the same way
for any model, so a foreign action is one more sample of the same rules; asking every one of them of every
model in every world would grow with the square of the capabilities.
"""
import os
import random

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gongzhi.accounts import policy
from gongzhi.accounts.capabilities import discover
from gongzhi.accounts.models import User

from .world import build

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = int(os.environ.get("POLICY_EXAMPLES", "8"))
FOREIGN_ACTIONS = int(os.environ.get("POLICY_FOREIGN_ACTIONS", "4"))


def actions_for(model, registry, rnd):
    """The actions to ask of `model`'s records in one world: its own capabilities' (declaring it, relating to
    it), what implies them, and a few others at random."""
    label = model._meta.label
    own = set()
    for cap in registry.capabilities:
        if any(r.model == label for r in cap.records) or any(r.model == label for r in cap.relations):
            own.update(cap.actions)
            own.update(a for r in cap.relations if r.model == label for a in r.actions)
    own.update(a for action in list(own) for a in registry.implying(action))
    rest = sorted(set(registry.actions) - own)
    return sorted(own) + rnd.sample(rest, min(FOREIGN_ACTIONS, len(rest)))


def _fresh(users):
    return list(User.objects.filter(pk__in=[u.pk for u in users]).order_by("pk"))  # no cached scope


def check_world(w, monkeypatch):
    registry = discover()
    # A record's place does not change during the check: read it once per record, not once per question.
    memo = {}
    paths_of = policy.paths_of
    monkeypatch.setattr(policy, "paths_of", lambda obj: memo.setdefault((type(obj), obj.pk), paths_of(obj)))
    users = _fresh(w.users)
    checked = 0
    for model, records in w.records.items():
        records = [type(r)._default_manager.get(pk=r.pk) for r in records]
        for action in actions_for(model, registry, w.rnd):
            listed = {u.pk: set(policy.scoped(u, action, model._default_manager.all()).values_list("pk", flat=True))
                      for u in users}
            for obj in records:
                holders = set(policy.users_with(action, obj, include_superusers=True).values_list("pk", flat=True))
                for u in users:
                    allowed = policy.can(u, action, obj)
                    in_list = obj.pk in listed[u.pk]
                    assert allowed == in_list, (action, obj, u.username, "can", allowed, "scoped", in_list)
                    assert allowed == (u.pk in holders), (action, obj, u.username, "can", allowed, "users_with")
                    checked += 1
    return checked


@settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_can_scoped_and_users_with_agree(seed):
    with transaction.atomic(), pytest.MonkeyPatch.context() as monkeypatch:
        w = build(random.Random(seed))
        assert check_world(w, monkeypatch) > 0
        transaction.set_rollback(True)


def test_every_declared_model_gets_records():
    with transaction.atomic():
        w = build(random.Random(7))
        declared = {r.model for r in discover().records}
        assert {m._meta.label for m, rows in w.records.items() if rows} == declared
        transaction.set_rollback(True)


def test_the_world_builder_follows_a_condition_only_through_the_model_it_leads_through():
    """A condition written for appeals' `category` is not applied to another model's field of that name, and a
    relationship may reach its user or organisation through rows in between."""
    from gongzhi.appeals.models import Appeal
    from gongzhi.lists.models import Need
    from gongzhi.stations.models import Booking

    from .world import _resolves

    assert _resolves(Appeal, "category__confidential")
    assert not _resolves(Need, "category__confidential")
    assert _resolves(Booking, "room__station__keeper")
    assert not _resolves(Booking, "room__keeper")
