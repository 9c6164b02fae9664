"""The Xincheng demo data: deterministic, plausible, synthetic, and loaded all or nothing."""
import datetime
import hashlib
import os
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import RequestFactory

from gongzhi.accounts.models import Role, User
from gongzhi.accounts.policy import scoped
from gongzhi.grid.capability import HOUSEHOLD_VIEW
from gongzhi.people.capability import RESIDENT_VIEW
from gongzhi.core import demo
from gongzhi.core.identity import birth_date_from_id, gender_from_id, validate_id_number, validate_mobile
from gongzhi.grid.models import Compound, Household, Subdistrict
from gongzhi.orgs.models import Membership, Organisation, OrgKind
from gongzhi.people.demo import TAGS
from gongzhi.people.models import Resident, Tag

from demo_digest import demo_digest, freeze_clock, restart_sequences

SMALL = 0.02
# What `load_demo --scale 0.02` writes with the clock stopped at FROZEN_AT, every table (tests/demo_digest.py).
# It changes only when the demo is meant to change; then say why in the commit.
DEMO_DIGEST = "ae87b9331e5d8ffe1bf4118ea7acbc45b9ab44ccaf11d88bec36d27a44cb86c8"
FROZEN_AT = datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.timezone.utc)  # a Tuesday, 10:00 in Xingning
DEMO_USERS = ["admin", "street_admin", "community_worker", "grid_worker1", "grid_worker2", "property1", "property2",
              "property3", "owners1", "member1", "resident1", "resident2", "rider1", "unit1", "charity1"]


@pytest.fixture(scope="module")
def full_plan():
    return demo.build_plan()


def _load(scale=SMALL, *args):
    out = StringIO()
    call_command("load_demo", "--scale", str(scale), *args, stdout=out)
    return out.getvalue()


def _login(username, password=demo.DEMO_PASSWORD):
    return authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password)


def plan_fingerprint(plan):
    """A digest of the plan's people, flats and posts: equal plans, equal digests."""
    h = hashlib.sha256()
    for c in plan.compounds:
        h.update(f"{c['code']}|{c['name']}|{c['center_lat']}|{c['center_lng']}|{c['boundary']}\n".encode())
    for hh in plan.households:
        h.update(f"{hh.address}|{hh.code}|{hh.floor_area}|{hh.tenure}\n".encode())
        for m in hh.members:
            h.update(f"  {m.name}|{m.id_number}|{m.phone}|{m.relation}|{m.birth_date}|{sorted(m.tags)}\n".encode())
    for m in plan.memberships + plan.staff_posts:
        h.update(f"{m['org']}|{m['person_name']}|{m['position']}|{m['resident']}\n".encode())
    for a in plan.accounts:
        h.update(f"{a['username']}|{a['display_name']}|{a['phone']}|{a['scope']}|{a['resident']}\n".encode())
    return h.hexdigest()


def db_fingerprint():
    """The same idea read back from the database (no primary keys, so it survives reloading)."""
    h = hashlib.sha256()
    for c in Compound.objects.order_by("code"):
        h.update(f"{c.code}|{c.name}|{c.center_lat}|{c.center_lng}|{c.boundary}\n".encode())
    for hh in Household.objects.select_related("building__compound").order_by("building__compound__code", "address"):
        h.update(f"{hh.address}|{hh.code}|{hh.floor_area}|{hh.tenure}\n".encode())
    residents = (Resident.objects.select_related("household").prefetch_related("tags")
                 .order_by("household__address", "id_number_masked", "name", "birth_date"))
    for r in residents:
        tags = sorted(t.code for t in r.tags.all())
        h.update(f"{r.household.address}|{r.name}|{r.id_number_masked}|{r.id_number_hash}|{r.phone_masked}|"
                 f"{r.relation}|{r.birth_date}|{r.gender}|{tags}\n".encode())
    for m in Membership.objects.select_related("organisation").order_by("organisation__code", "position", "person_name"):
        h.update(f"{m.organisation.code}|{m.person_name}|{m.position}|{m.term_start}|{m.term_end}\n".encode())
    return h.hexdigest()


# --- the plan (no database) -------------------------------------------------------------

def test_same_seed_same_plan_other_seed_other_plan():
    a, b = demo.build_plan(scale=0.1), demo.build_plan(scale=0.1)
    assert plan_fingerprint(a) == plan_fingerprint(b)
    assert [m.id_number for h in a.households for m in h.members] == [m.id_number for h in b.households for m in h.members]
    other = demo.build_plan(seed=demo.DEFAULT_SEED + 1, scale=0.1)
    assert plan_fingerprint(other) != plan_fingerprint(a)


def test_full_scale_counts(full_plan):
    assert 2500 <= len(full_plan.households) <= 3500
    assert 8000 <= full_plan.resident_count <= 10000
    names = [c["name"] for c in full_plan.compounds]
    assert len(names) == 10 and names[:2] == ["宁江新城一期", "宁江新城二期"] and len(set(names)) == 10
    assert all(4 <= len(c["buildings"]) <= 12 for c in full_plan.compounds)


def test_scale_shrinks_households(full_plan):
    small = demo.build_plan(scale=SMALL)
    assert len(small.households) < len(full_plan.households) / 20
    # every compound keeps at least its first, occupied flat
    assert {h.compound for h in small.households} == set(range(10))
    with pytest.raises(ValueError):
        demo.build_plan(scale=0)


def test_people_are_valid_and_consistent(full_plan):
    ids, phones = set(), set()
    for h in full_plan.households:
        assert Decimal("55") <= h.floor_area <= Decimal("180") and h.floor_area == h.floor_area.quantize(Decimal("0.01"))
        if h.tenure == "vacant":
            assert h.members == []
            continue
        assert h.members[0].relation == "head"
        for m in h.members:
            assert validate_id_number(m.id_number) == m.id_number
            assert birth_date_from_id(m.id_number) == m.birth_date
            assert gender_from_id(m.id_number) == m.gender
            assert 0 <= m.age <= 100
            ids.add(m.id_number)
            if m.phone:
                assert validate_mobile(m.phone) == m.phone
                phones.add(m.phone)
    everyone = [m for h in full_plan.households for m in h.members]
    assert len(ids) == len(everyone), "ID numbers are unique"
    assert len(phones) == sum(1 for m in everyone if m.phone), "phones are unique"
    adults = [m for m in everyone if m.age >= 18]
    assert sum(1 for m in adults if m.phone) > 0.8 * len(adults)
    assert sum(1 for m in everyone if m.id_number.startswith("441481")) > 0.7 * len(everyone)
    tenures = [h.tenure for h in full_plan.households]
    assert tenures.count("owner") > tenures.count("tenant") > tenures.count("vacant") > 0


def test_no_real_names_from_the_article(full_plan):
    names = {m.name for h in full_plan.households for m in h.members}
    names |= {m["person_name"] for m in full_plan.memberships + full_plan.staff_posts}
    names |= {a["display_name"] for a in full_plan.accounts}
    assert not names & demo.FORBIDDEN_NAMES
    assert {"袁山", "何晓园", "米宗浩", "石春源", "何雪芬", "王丽莉", "谢女士"} <= demo.FORBIDDEN_NAMES
    # generated names look like names: surname + one or two characters
    assert all(2 <= len(n) <= 3 for n in names - {"系统管理员"})


def test_tags_are_plausible(full_plan):
    for h in full_plan.households:
        for m in h.members:
            if "elderly_alone" in m.tags:
                assert len(h.members) == 1 and m.age >= 70
            if "left_behind_child" in m.tags:
                assert m.age < 16 and m.relation == "grandchild"
            if "pregnant" in m.tags:
                assert m.gender == "F" and 18 <= m.age <= 45
    used = {t for h in full_plan.households for m in h.members for t in m.tags}
    assert used == {t[0] for t in TAGS}


def test_compound_geometry(full_plan):
    for c in full_plan.compounds:
        assert abs(c["center_lat"] - Decimal("24.14")) < Decimal("0.02")
        assert abs(c["center_lng"] - Decimal("115.73")) < Decimal("0.02")
        ring = c["boundary"]["coordinates"][0]
        assert c["boundary"]["type"] == "Polygon"
        assert len(ring) >= 6 and ring[0] == ring[-1]
        for lng, lat in ring:  # within ~250 m of the centre
            assert abs(lat - float(c["center_lat"])) < 0.0025 and abs(lng - float(c["center_lng"])) < 0.0025


# --- the steps ------------------------------------------------------------------------------

def test_each_app_adds_its_step_in_one_declared_order():
    assert [s.name for s in demo.steps()] == ["grid", "people", "accounts.homes", "orgs", "accounts", "notices",
                                              "open311", "appeals", "lists", "stations", "care",
                                              "deliberation"]
    assert demo.provided("occupants") is not None  # people fill the grid's flats while the grid is planned


def test_an_order_the_steps_leave_open_is_refused(monkeypatch):
    monkeypatch.setattr(demo, "_steps", dict(demo._steps))
    demo.register_demo("extra", plan=lambda plan: None, after="grid")  # beside people: which draws first?
    with pytest.raises(ValueError, match="no order"):
        demo.steps()
    demo._steps.pop("extra")
    demo.register_demo("extra", plan=lambda plan: None, after="lists", before="grid")
    with pytest.raises(ValueError, match="cycle"):
        demo.steps()
    demo._steps.pop("extra")
    demo.register_demo("extra", after="nowhere")
    with pytest.raises(ValueError, match="not registered"):
        demo.steps()
    demo._steps.pop("extra")
    demo.register_demo("extra", plan=lambda plan: None, after="deliberation")  # after the last step
    assert demo.steps()[-1].name == "extra"
    with pytest.raises(ValueError, match="twice"):
        demo.register_demo("extra", plan=lambda plan: None, after="deliberation")


# --- loading --------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=False)
def test_loading_twice_gives_identical_data():
    prints = []
    for _ in range(2):
        with transaction.atomic():
            demo.load_demo(scale=SMALL)
            prints.append(db_fingerprint())
            assert Resident.objects.exists()
            transaction.set_rollback(True)
        assert not Subdistrict.objects.exists()
    assert prints[0] == prints[1]


@pytest.mark.django_db
def test_load_demo_command_writes_the_plan():
    plan = demo.build_plan(scale=SMALL)
    output = _load()
    assert "已载入演示数据" in output
    assert Household.objects.count() == len(plan.households)
    assert Resident.objects.count() == plan.resident_count
    assert Compound.objects.count() == 10
    assert Subdistrict.objects.get().name == "福兴街道"
    for r in Resident.objects.all():
        clear = r.id_number_clear()
        assert validate_id_number(clear) == clear
        assert r.birth_date == birth_date_from_id(clear) and r.gender == gender_from_id(clear)
        assert r.id_number_masked == clear[:6] + "********" + clear[14:]
        assert r.name not in demo.FORBIDDEN_NAMES
    assert not Membership.objects.filter(person_name__in=demo.FORBIDDEN_NAMES).exists()
    assert set(Tag.objects.filter(sensitive=True).values_list("code", flat=True)) >= {"dibao", "extreme_poverty"}
    assert Tag.objects.exclude(name_en="").count() == len(TAGS)


@pytest.mark.django_db
def test_organisations_and_cross_appointment():
    _load()
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds == set(OrgKind.values)
    assert Organisation.objects.filter(kind=OrgKind.COMPOUND_BRANCH).count() == 3
    junsheng = Organisation.objects.get(name="君胜物业兴宁分公司")
    assert {c.compound.name for c in junsheng.coverage.all()} >= {"宁江新城一期", "宁江新城二期"}
    assert Organisation.objects.get(kind=OrgKind.PROPERTY_BRANCH).parent.kind == OrgKind.PARTY_COMMITTEE
    owners = Organisation.objects.get(name="宁江新城一期业主委员会")
    assert [c.compound.name for c in owners.coverage.all()] == ["宁江新城一期"]
    manager = Membership.objects.get(organisation=junsheng, position="总经理")
    assert manager.resident is not None
    assert manager.resident.org_memberships.filter(organisation__kind=OrgKind.PARTY_COMMITTEE, position="委员").exists()


@pytest.mark.django_db
def test_demo_accounts_log_in_and_see_their_scope():
    _load()
    assert sorted(User.objects.values_list("username", flat=True)) == sorted(DEMO_USERS)
    for username in DEMO_USERS:
        assert _login(username) is not None, username
    assert _login("street_admin", "wrong-password") is None
    assert User.objects.get(username="admin").is_superuser
    # login by mobile number
    worker = User.objects.get(username="grid_worker1")
    from gongzhi.core import crypto
    assert _login(crypto.decrypt(worker.phone_enc)) == worker

    users = {u.username: u for u in User.objects.all()}
    assert users["street_admin"].roles.get().role == Role.SUBDISTRICT_ADMIN
    assert users["rider1"].roles.get().role == Role.OUTDOOR_WORKER
    everyone = scoped(users["street_admin"], RESIDENT_VIEW, Resident.objects.all()).count()
    assert everyone == Resident.objects.count()
    assert 0 < scoped(users["property1"], RESIDENT_VIEW, Resident.objects.all()).count() < everyone
    k1 = Compound.objects.get(name="宁江新城一期")
    gw = scoped(users["grid_worker1"], HOUSEHOLD_VIEW, Household.objects.all())
    assert gw.exists() and not gw.exclude(building__compound=k1).exists()
    for username, compound in (("resident1", "宁江新城一期"), ("resident2", "宁江新城二期")):
        u = users[username]
        assert u.resident.relation == "head" and u.resident.household.building.compound.name == compound
        assert list(scoped(u, HOUSEHOLD_VIEW, Household.objects.all())) == [u.resident.household]
    member = users["member1"]
    assert member.roles.get().organisation.kind == OrgKind.PARTY_COMMITTEE
    assert member.org_memberships.filter(organisation__kind=OrgKind.COMPOUND_BRANCH).exists()


@pytest.mark.django_db
def test_if_empty_skips_second_time_and_plain_load_refuses():
    _load()
    counts = (Resident.objects.count(), Household.objects.count(), User.objects.count())
    assert "未载入" in _load(SMALL, "--if-empty")
    with pytest.raises(CommandError):
        _load()
    assert (Resident.objects.count(), Household.objects.count(), User.objects.count()) == counts


@pytest.mark.django_db
def test_bad_scale_is_refused():
    with pytest.raises(CommandError):
        _load(0)
    with pytest.raises(CommandError):
        _load(1.5)
    assert not Subdistrict.objects.exists()


@pytest.mark.django_db
def test_all_or_nothing(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Membership.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        _load()
    assert not Subdistrict.objects.exists()
    assert not Resident.objects.exists()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_conflict_with_existing_records_is_a_clear_error():
    Organisation.objects.create(kind=OrgKind.SOCIAL_ORG, code="FX-JDB", name="已有组织")
    with pytest.raises(CommandError, match="未写入任何数据"):
        _load()
    assert not Subdistrict.objects.exists() and not Resident.objects.exists()


@pytest.mark.django_db
def test_the_small_demo_is_exactly_the_pinned_data(monkeypatch):
    restart_sequences()
    freeze_clock(FROZEN_AT, monkeypatch)
    _load()
    lines = []
    digest, counts = demo_digest(demo.DEMO_PASSWORD, lines)
    if os.environ.get("DEMO_DIGEST_DUMP"):  # a file to diff against an earlier run's when the digest moves
        with open(os.environ["DEMO_DIGEST_DUMP"], "w") as f:
            f.write("\n".join(lines) + "\n")
    # the digest covers what the demo writes, every app's share of it
    for label in ("grid.Household", "people.Resident", "people.Resident_tags", "orgs.Organisation", "orgs.Membership",
                  "accounts.User", "accounts.RoleAssignment", "appeals.Appeal", "appeals.AppealEvent",
                  "open311.ApiKey", "core.AuditEntry", "deliberation.Ownership", "deliberation.Ballot",
                  "deliberation.Resolution", "deliberation.Mediation", "deliberation.MediationParty"):
        assert counts[label] > 0, label
    # 宁江新城一期's two maintenance-fund votes: the first too few owners took part in, the second passed.
    from gongzhi.deliberation import selectors as deliberation
    from gongzhi.deliberation.models import Vote

    lift, roof = Vote.objects.filter(status="closed").order_by("pk")
    assert not deliberation.result(lift)["valid"] and deliberation.result(roof)["passed"]
    assert Vote.objects.filter(status="open").count() == 1
    assert digest == DEMO_DIGEST
