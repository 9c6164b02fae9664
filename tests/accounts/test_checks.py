"""The system checks refuse an inconsistent capability declaration at start-up."""
import pytest

from gongzhi.accounts import checks
from gongzhi.accounts.capabilities import PLACED, Capability, Record, by, discover, relation
from gongzhi.accounts.models import Role


@pytest.fixture
def declare(monkeypatch):
    registry = discover()
    monkeypatch.setattr(registry, "capabilities", list(registry.capabilities))
    return registry.capabilities.append


def ids(errors):
    return sorted(e.id for e in errors)


def test_the_shipped_declarations_are_consistent():
    assert checks.check_capabilities() == []


@pytest.mark.parametrize("cap,code", [
    # a scoped model without a way to the grid
    (Capability("x", ("x.view",), {"x.view": by(Role.RESIDENT)}, records=(Record("people.Tag", "household"),)),
     "gongzhi.E003"),
    (Capability("x", ("x.view",), {"x.view": by(Role.RESIDENT)}, records=(Record("people.Tag", PLACED),)),
     "gongzhi.E003"),
    (Capability("x", ("x.view",), {"x.view": by(Role.RESIDENT)}, records=(Record("people.Nothing", PLACED),)),
     "gongzhi.E002"),
    (Capability("x", ("x.view",), {"x.view": by(Role.RESIDENT)},
                records=(Record("orgs.Organisation", "memberships", many=True),)), "gongzhi.E003"),
    # an action no role holds
    (Capability("x", ("x.view", "x.orphan"), {"x.view": by(Role.RESIDENT)}), "gongzhi.E007"),
    # a grant of an action not declared, to a role that does not exist
    (Capability("x", ("x.view",), {"x.view": by(Role.RESIDENT), "x.other": by(Role.RESIDENT)}), "gongzhi.E004"),
    (Capability("x", ("x.view",), {"x.view": by("janitor")}), "gongzhi.E005"),
    # a relationship grant on an unknown field, or one that leads to no user
    (Capability("x", ("x.view",), {"x.view": by(Role.RESIDENT)},
                relations=(relation("r", "appeals.Appeal", {"x.view"}, user="nobody"),)), "gongzhi.E009"),
    (Capability("x", ("x.view",), {"x.view": by(Role.RESIDENT)},
                relations=(relation("r", "appeals.Appeal", {"x.view"}, user="category"),)), "gongzhi.E009"),
    (Capability("x", ("x.view",), {"x.view": by(Role.RESIDENT)},
                relations=(relation("r", "people.Tag", {"x.view"}, user="residents"),)), "gongzhi.E008"),
    # a condition on a field no scoped model has
    (Capability("x", ("x.view",), {"x.view": by(Role.RESIDENT, where={"colour": "red"})}), "gongzhi.E009"),
    # an action declared twice
    (Capability("x", ("appeal.view",), {"appeal.view": by(Role.RESIDENT)}), "gongzhi.E001"),
])
def test_an_inconsistent_declaration_is_refused(declare, cap, code):
    declare(cap)
    assert code in ids(checks.check_capabilities())


def test_the_site_does_not_start_on_one(declare):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    declare(Capability("x", ("x.orphan",)))
    with pytest.raises(SystemCheckError, match="x.orphan"):
        call_command("check")
