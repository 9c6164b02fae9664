"""A fixed cast reused by every test (the Healthchecks way).

Grid: subdistrict S → community C (compounds K1, K2) and community C2
(compound K3). Each compound has one building with two households.
Organisations: a property company serving K1 and K2, an owners' committee
for K1, a community party committee. One user per role, scoped as the demo
accounts are.
"""
import os
from decimal import Decimal

import pytest

from gongzhi.appeals.models import Category
from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.grid.models import Building, Community, Compound, Household, Subdistrict
from gongzhi.orgs.models import Coverage, Membership, Organisation, OrgKind
from gongzhi.people.models import Relation, Resident, Tag

PASSWORD = "Test@2026pass"

# Servers and workers the tests start run with the tests' settings (testing_settings, which installs the
# test-only capability in tests/example_app): they need this folder on their path as pytest has it.
_TESTS = os.path.dirname(os.path.abspath(__file__))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_TESTS, os.environ.get("PYTHONPATH", "")) if p)

# Under mutation testing (bin/mutation) each test runs in a forked process: Hypothesis would take that for a test
# called from several executors; its examples are fixed there too, so a verdict does not depend on the draw, and
# nothing is timed (no deadline, no too-slow check), so it does not depend on how loaded the machine is either.
if os.environ.get("GONGZHI_MUTATION"):
    from hypothesis import HealthCheck, settings as hypothesis_settings

    hypothesis_settings.register_profile("mutation", derandomize=True, database=None, deadline=None,
                                         suppress_health_check=[HealthCheck.differing_executors,
                                                                HealthCheck.too_slow])
    hypothesis_settings.load_profile("mutation")

# Valid 18-digit ID numbers (check digits computed) for the cast.
from gongzhi.core.identity import id_check_digit  # noqa: E402


def make_id(first17):
    return first17 + id_check_digit(first17)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A test database per run, so concurrent runs on one PostgreSQL server never collide."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # A file, not shared-cache memory: concurrency tests need real locking (WAL, busy timeout).
        db["TEST"]["NAME"] = str(settings.VAR_DIR / f"test_{os.getpid()}.sqlite3")
        template = settings.VAR_DIR / MUTATION_TEMPLATE
        if os.environ.get("GONGZHI_MUTATION") and template.exists():
            import shutil

            shutil.copyfile(template, db["TEST"]["NAME"])
    else:
        # With xdist the name is already test_<name>_gw0 …, the same in every run: the pid keeps runs apart.
        db["TEST"]["NAME"] = f"{db['TEST'].get('NAME') or 'test_' + db['NAME']}_{os.getpid()}"


# Under mutation testing every mutant's run is a fresh process that needs a test database: migrating one costs
# far more than the tests a mutant is tried on. The first run (mutmut's, on the unmutated code) keeps its freshly
# migrated SQLite database as a template (bin/mutation deletes it when a run starts afresh); later runs start from
# a copy of it, which migrate then finds up to date.
MUTATION_TEMPLATE = "mutation-test-template.sqlite3"

if os.environ.get("GONGZHI_MUTATION"):
    @pytest.fixture(scope="session")
    def django_db_keepdb():
        return True  # the copied template is this run's database: not to be recreated (removed below)

    @pytest.fixture(scope="session")
    def django_db_setup(django_db_setup):
        import sqlite3
        from contextlib import closing

        from django.conf import settings
        from django.db import connections

        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.sqlite3":
            yield
            return
        name, template = db["NAME"], settings.VAR_DIR / MUTATION_TEMPLATE
        if not template.exists():
            partial = f"{template}.{os.getpid()}"
            with closing(sqlite3.connect(name)) as source, closing(sqlite3.connect(partial)) as copy:
                source.backup(copy)  # the WAL's pages too, which a file copy could miss
            os.replace(partial, template)
        yield
        connections.close_all()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(name + suffix):
                os.remove(name + suffix)


@pytest.fixture(autouse=True)
def _migrated_data(request):
    """A transactional test empties every table when it ends, the rows the migrations loaded too (categories,
    the holiday calendar, the reference stamp): the next transactional test gets them back."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    from gongzhi.core.models import CalendarDay, ReferenceStamp

    for model, migration, function in ((Category, "gongzhi.appeals.migrations.0002_default_categories", "load"),
                                       (CalendarDay, "gongzhi.core.migrations.0003_calendar_2026", "load"),
                                       (ReferenceStamp, "gongzhi.core.migrations.0004_reference_stamp", "first_token")):
        if not model.objects.exists():
            getattr(importlib.import_module(migration), function)(apps, None)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no API requests counted (gongzhi.api.throttles keeps its counts in the cache) and
    no drain remembered as waiting (gongzhi.notifications.tasks)."""
    from django.core.cache import cache

    from gongzhi.notifications.tasks import forget_waiting_drain

    cache.clear()
    forget_waiting_drain()  # a drain remembered from another test's database is not waiting in this one


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request through the test client leaves the language it
    activated (LocaleMiddleware) on the thread, so one test in English would turn the next one's messages."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.GONGZHI_SMS_SENDER = "gongzhi.accounts.sms.MemorySender"  # texts kept, read by the tests
    from gongzhi.accounts.sms import MemorySender

    MemorySender.outbox.clear()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


class Cast:
    pass


def _user(username, role=None, scope=None, org=None, **extra):
    u = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        ra = RoleAssignment(user=u, role=role, organisation=org)
        if scope is not None:
            ra.set_node(scope)
        ra.save()
    return u


def build_cast():
    """Create the cast in the database and return it (used by `cast` and the browser tests' `cast_tx`)."""
    c = Cast()
    c.S = Subdistrict.objects.create(code="S1", name="福兴街道")
    c.C = Community.objects.create(subdistrict=c.S, code="C1", name="新城社区")
    c.C2 = Community.objects.create(subdistrict=c.S, code="C2", name="东风社区")
    c.K1 = Compound.objects.create(community=c.C, code="K1", name="宁江新城一期", center_lat=Decimal("24.14"), center_lng=Decimal("115.73"))
    c.K2 = Compound.objects.create(community=c.C, code="K2", name="宁江新城二期")
    c.K3 = Compound.objects.create(community=c.C2, code="K3", name="东风花园")
    c.B1 = Building.objects.create(compound=c.K1, code="1", name="1栋")
    c.B2 = Building.objects.create(compound=c.K2, code="1", name="1栋")
    c.B3 = Building.objects.create(compound=c.K3, code="1", name="1栋")
    c.H1 = Household.objects.create(building=c.B1, code="101", address="宁江新城一期1栋101", floor_area=Decimal("98.50"))
    c.H1b = Household.objects.create(building=c.B1, code="102", address="宁江新城一期1栋102", floor_area=Decimal("120.00"))
    c.H2 = Household.objects.create(building=c.B2, code="101", address="宁江新城二期1栋101", floor_area=Decimal("88.00"))
    c.H3 = Household.objects.create(building=c.B3, code="101", address="东风花园1栋101", floor_area=Decimal("75.00"))
    c.tag_elderly = Tag.objects.create(code="elderly_alone", name="独居老人", name_en="Elderly living alone")
    c.tag_dibao = Tag.objects.create(code="dibao", name="低保户", name_en="Minimum-allowance household", sensitive=True)

    def resident(name, household, first17, phone, relation=Relation.HEAD):
        r = Resident(name=name, household=household, relation=relation)
        r.set_id_number(make_id(first17))
        r.set_phone(phone)
        r.save()
        return r

    c.R1 = resident("张伟", c.H1, "44148119800101001", "13800135678")
    c.R1b = resident("李娜", c.H1, "44148119820202002", "13900001111", Relation.SPOUSE)
    c.R1c = resident("王强", c.H1b, "44148119700303003", "13700002222")
    c.R2 = resident("陈静", c.H2, "44148119900404004", "13600003333")
    c.R3 = resident("刘洋", c.H3, "44148119600505005", "13500004444")

    c.property_co = Organisation.objects.create(kind=OrgKind.PROPERTY_COMPANY, code="P1", name="君胜物业")
    for k in (c.K1, c.K2):
        Coverage.objects.create(organisation=c.property_co, compound=k)
    c.owners_k1 = Organisation.objects.create(kind=OrgKind.OWNERS_COMMITTEE, code="O1", name="宁江新城一期业委会")
    Coverage.objects.create(organisation=c.owners_k1, compound=c.K1)
    c.party = Organisation.objects.create(kind=OrgKind.PARTY_COMMITTEE, code="PC1", name="新城社区党委")
    Coverage.objects.create(organisation=c.party, community=c.C)
    c.other_property = Organisation.objects.create(kind=OrgKind.PROPERTY_COMPANY, code="P2", name="东风物业")
    Coverage.objects.create(organisation=c.other_property, compound=c.K3)

    c.street_admin = _user("street_admin", Role.SUBDISTRICT_ADMIN, c.S)
    c.community_worker = _user("community_worker", Role.COMMUNITY_WORKER, c.C)
    c.grid_worker = _user("grid_worker1", Role.GRID_WORKER, c.K1)
    c.property1 = _user("property1", Role.PROPERTY_STAFF, org=c.property_co)
    c.owners1 = _user("owners1", Role.OWNERS_COMMITTEE, org=c.owners_k1)
    c.member1 = _user("member1", Role.PARTY_MEMBER, org=c.party)
    c.resident1 = _user("resident1", Role.RESIDENT, c.H1, resident=c.R1)
    c.resident2 = _user("resident2", Role.RESIDENT, c.H2, resident=c.R2)
    c.rider1 = _user("rider1", Role.OUTDOOR_WORKER)
    c.nobody = _user("nobody")
    Membership.objects.create(organisation=c.party, user=c.member1, person_name="党员甲", position="委员")
    c.password = PASSWORD
    return c


@pytest.fixture
def grant_role(monkeypatch):
    """grant_role(role, action, where=None): the role holds the action too, for this test only (as if a
    capability declared it)."""
    from gongzhi.accounts.capabilities import Capability, by, discover

    registry = discover()
    monkeypatch.setattr(registry, "capabilities", list(registry.capabilities))

    def grant(role, action, where=None):
        registry.capabilities.append(Capability(name=f"test grant {action}", actions=(),
                                                grants={action: by(role, where=where)}))

    return grant


@pytest.fixture
def cast(db):
    return build_cast()


@pytest.fixture
def api(client):
    """A JSON client: api.get(user, path) / api.post(user, path, data) with a bearer token."""
    from gongzhi.accounts.models import ApiToken

    class Api:
        def _headers(self, user):
            if user is None:
                return {}
            _, raw = ApiToken.issue(user, 1)
            return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        def get(self, user, path, **params):
            return client.get(path, params, **self._headers(user))

        def post(self, user, path, data=None, **kw):
            return client.post(path, data or {}, content_type="application/json", **self._headers(user), **kw)

        def patch(self, user, path, data=None):
            return client.patch(path, data or {}, content_type="application/json", **self._headers(user))

        def delete(self, user, path):
            return client.delete(path, **self._headers(user))

    return Api()


# ---- appeals: the cast with compound polygons, offices and departments ----------------------------


def square(lat, lng, half=0.001):
    """A GeoJSON square around a point, `half` degrees each way."""
    return {"type": "Polygon", "coordinates": [[[lng - half, lat - half], [lng + half, lat - half],
                                                [lng + half, lat + half], [lng - half, lat + half],
                                                [lng - half, lat - half]]]}


@pytest.fixture
def grid(cast):
    c = cast
    for k, (lat, lng) in ((c.K1, (24.140, 115.730)), (c.K2, (24.150, 115.730)), (c.K3, (24.160, 115.750))):
        k.center_lat, k.center_lng, k.boundary = Decimal(str(lat)), Decimal(str(lng)), square(lat, lng)
        k.save()
    c.office = Organisation.objects.create(kind=OrgKind.COMMUNITY_OFFICE, code="CO1", name="新城社区居委会")
    Coverage.objects.create(organisation=c.office, community=c.C)
    c.office2 = Organisation.objects.create(kind=OrgKind.COMMUNITY_OFFICE, code="CO2", name="东风社区居委会")
    Coverage.objects.create(organisation=c.office2, community=c.C2)
    c.street_office = Organisation.objects.create(kind=OrgKind.SUBDISTRICT_OFFICE, code="SO1", name="福兴街道办事处")
    Coverage.objects.create(organisation=c.street_office, subdistrict=c.S)
    c.dept = Organisation.objects.create(kind=OrgKind.GOV_DEPARTMENT, code="D1", name="城管执法中队")
    Coverage.objects.create(organisation=c.dept, subdistrict=c.S)
    c.dept2 = Organisation.objects.create(kind=OrgKind.GOV_DEPARTMENT, code="D2", name="市场监管所")
    Coverage.objects.create(organisation=c.dept2, subdistrict=c.S)
    c.lift = Category.objects.get(code="lift")
    c.lighting = Category.objects.get(code="lighting")
    c.illegal = Category.objects.get(code="illegal_building")
    c.policy_q = Category.objects.get(code="policy")
    c.hardship = Category.objects.get(code="hardship")
    return c


def random_staff(rnd, count, password, most_roles=1):
    """`count` users named gen0…, each holding 1 to `most_roles` roles drawn at random, over a random node of the grid
    or, three times in ten, an organisation: the outsiders a confidentiality test tries its record against."""
    from gongzhi.accounts.models import Role, RoleAssignment, User
    from gongzhi.grid.models import Building, Community, Compound, Household, Subdistrict
    from gongzhi.orgs.models import Organisation

    nodes = [*Subdistrict.objects.all(), *Community.objects.all(), *Compound.objects.all(), *Building.objects.all(),
             *Household.objects.all()]
    orgs = list(Organisation.objects.all())
    made = []
    for i in range(count):
        u = User.objects.create_user(username=f"gen{i}", password=password)
        for _ in range(rnd.randint(1, most_roles)):
            ra = RoleAssignment(user=u, role=rnd.choice(Role.values))
            if orgs and rnd.random() < 0.3:
                ra.organisation = rnd.choice(orgs)
            else:
                ra.set_node(rnd.choice(nodes))
            ra.save()
        made.append(u)
    return made


def scan_qr(png):
    """The text a phone camera reads off a PNG holding one QR code. Only QR symbols are looked for (a decoder
    trying every symbology may also report a stray match inside the modules), and every reading must agree."""
    import io

    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    texts = {b.text for b in found}
    assert len(texts) == 1, [(b.format, b.text) for b in found]
    return texts.pop()
