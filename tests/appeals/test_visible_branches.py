"""The `all` queue and the three rates read the visibility rule branch by branch: the same rows as the plain rule.

The reference below is the rule asked of each appeal alone (policy.can, what the detail page asks: the scope, the
handler and the whistles), as visible_appeals() wrote it before it was split into branches; the scope being
the see-confidential scope, and the view scope for appeals whose category is not confidential (a join to the
category here, the cached ids of the ordinary categories in the product). Every user of the cast, and a few more scopes, must get exactly
its rows: page by page through the cursors, in the count, and in the rates.
"""
import datetime
import random

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.accounts.policy import can, scope_of
from gongzhi.appeals.capability import APPEAL_VIEW
from gongzhi.appeals import rates, selectors
from gongzhi.appeals.models import Appeal, Category, Rating, Status, WhistleCall
from gongzhi.core.pagination import count_capped, keyset_page
from gongzhi.grid.models import Building, Community, Compound, Household, Subdistrict
from gongzhi.orgs.models import Coverage, Organisation, OrgKind

pytestmark = pytest.mark.django_db


def plain_visible(user):
    """The rule asked of each appeal alone (policy.can, what the detail page asks), as one filter."""
    if scope_of(user).superuser:
        return Appeal.objects.all()
    every = Appeal.objects.select_related("category", "compound__community")
    return Appeal.objects.filter(pk__in=[a.pk for a in every if can(user, APPEAL_VIEW, a)])


def plain_ids(user, status=None, category=None, compound=None, q=""):
    qs = plain_visible(user)
    if status:
        qs = qs.filter(status__in=status.split(","))
    if category:
        qs = qs.filter(category_id=category)
    if compound:
        qs = qs.filter(compound_id=compound)
    if q:
        qs = qs.filter(title__contains=q)
    return list(qs.order_by("-id").values_list("id", flat=True))


@pytest.fixture
def world(grid):
    """The cast's grid with a second sub-district, more scopes, and appeals of every kind of tie to them."""
    g = grid
    g.S2 = Subdistrict.objects.create(code="S2", name="城南街道")
    g.C3 = Community.objects.create(subdistrict=g.S2, code="C3", name="南湖社区")
    g.K4 = Compound.objects.create(community=g.C3, code="K4", name="南湖小区")
    g.B4 = Building.objects.create(compound=g.K4, code="1", name="1栋")
    g.B1b = Building.objects.create(compound=g.K1, code="2", name="2栋")
    g.H4 = Household.objects.create(building=g.B4, code="101", address="南湖小区1栋101")
    g.south_office = Organisation.objects.create(kind=OrgKind.SUBDISTRICT_OFFICE, code="SO2", name="城南街道办事处")
    Coverage.objects.create(organisation=g.south_office, subdistrict=g.S2)

    def user(name, role, node=None, org=None):
        u = User.objects.create_user(name, password="x" * 12)
        ra = RoleAssignment(user=u, role=role, organisation=org)
        if node is not None:
            ra.set_node(node)
        ra.save()
        return u

    g.building_worker = user("building_worker", Role.GRID_WORKER, g.B1)
    g.household_worker = user("household_worker", Role.GRID_WORKER, g.H1)
    g.officer = user("officer", Role.PROPERTY_STAFF, org=g.dept)  # a department's staff: whistles, handling
    g.south_admin = user("south_admin", Role.SUBDISTRICT_ADMIN, g.S2)
    g.two_scopes = user("two_scopes", Role.GRID_WORKER, g.K3)
    RoleAssignment.objects.create(user=g.two_scopes, role=Role.GRID_WORKER, building=g.B4)
    g.root = User.objects.create_superuser("root", password="x" * 12)

    rng = random.Random(20261128)
    places = [(g.K1, None, None), (g.K1, g.B1, None), (g.K1, g.B1, g.H1), (g.K1, g.B1, g.H1b), (g.K1, g.B1b, None),
              (g.K2, None, None), (g.K2, g.B2, g.H2), (g.K3, None, None), (g.K3, g.B3, g.H3), (g.K4, None, None),
              (g.K4, g.B4, g.H4)]
    reporters = [None, None, g.resident1, g.resident2, g.property1, g.grid_worker, g.officer, g.south_admin,
                 g.community_worker]
    handlers = [None, None, g.property_co, g.office, g.office2, g.street_office, g.dept, g.dept2, g.other_property,
                g.south_office, g.owners_k1]
    categories = [g.lift, g.lighting, g.illegal, g.policy_q, g.hardship, Category.objects.get(code="dispute")]
    now = timezone.now()
    appeals = []
    for n in range(90):
        compound, building, household = rng.choice(places)
        status = rng.choice(Status.values)
        handler = rng.choice(handlers)
        created = now - datetime.timedelta(days=rng.uniform(0, 90))
        responded = created + datetime.timedelta(hours=rng.uniform(1, 40)) if handler and rng.random() < 0.8 else None
        done = status in (Status.RESOLVED, Status.VERIFIED, Status.CLOSED)
        appeals.append(Appeal.objects.create(
            category=rng.choice(categories), title=f"{'电梯' if n % 3 else '路灯'}问题 {n}", description="…",
            compound=compound, building=building, household=household, reporter=rng.choice(reporters),
            handler=handler, status=status, created_at=created, respond_due=created + datetime.timedelta(days=1),
            resolve_due=created + datetime.timedelta(days=5), responded_at=responded,
            resolved_at=created + datetime.timedelta(days=rng.uniform(1, 9)) if done else None,
            rating=rng.choice(["", "", Rating.SATISFIED, Rating.BASICALLY, Rating.UNSATISFIED])
            if status == Status.CLOSED else ""))
    # Outside the first sub-district, yet the street admin's: reported, handled, whistled.
    for kw in ({"reporter": g.street_admin}, {"handler": g.dept, "status": Status.CLOSED}, {"status": Status.RESOLVED}):
        appeals.append(Appeal.objects.create(category=g.lift, title="南湖", description="…", compound=g.K4,
                                             created_at=now - datetime.timedelta(days=2), **kw))
    WhistleCall.objects.create(appeal=appeals[-1], department=g.dept2)
    # Whistles: to one department, to both (one appeal, two rows), outside the departments' sub-district too.
    for a in rng.sample(appeals, 12):
        WhistleCall.objects.get_or_create(appeal=a, department=g.dept)
    for a in rng.sample(appeals, 6):
        WhistleCall.objects.get_or_create(appeal=a, department=g.dept2)
    g.appeals = appeals
    return g


USERS = ["street_admin", "community_worker", "grid_worker", "property1", "owners1", "member1", "resident1",
         "resident2", "rider1", "nobody", "building_worker", "household_worker", "officer", "south_admin",
         "two_scopes", "root"]


def page_through(user, limit, **filters):
    """Every id the listing gives, page by page through the cursors; and each page's size."""
    seen, cursor, sizes = [], None, []
    for _page in range(1000):
        qs, branches = selectors.queue_listing(user, "all", **filters)
        rows, cursor = keyset_page(qs, cursor=cursor, limit=limit, branches=branches)
        seen += [a.pk for a in rows]
        sizes.append(len(rows))
        if not cursor:
            return seen, sizes
    raise AssertionError("the cursor never ended")


@pytest.mark.parametrize("username", USERS)
def test_branches_give_the_plain_rows_page_by_page(world, username):
    user = getattr(world, username)
    expect = plain_ids(user)
    assert sorted(selectors.visible_appeals(user).values_list("id", flat=True), reverse=True) == expect
    for limit in (2, 7, 50):
        seen, sizes = page_through(user, limit)
        assert seen == expect
        assert all(size == limit for size in sizes[:-1])  # full pages until the last
    qs, branches = selectors.queue_listing(user, "all")
    assert count_capped(qs, 10_000, branches=branches) == (len(expect), False)
    if len(expect) > 3:
        assert count_capped(qs, 3, branches=branches) == (3, True)
        assert count_capped(qs, len(expect), branches=branches) == (len(expect), False)
        assert count_capped(qs, len(expect) - 1, branches=branches) == (len(expect) - 1, True)


@pytest.mark.parametrize("username", ["street_admin", "community_worker", "property1", "resident1", "officer",
                                      "building_worker", "two_scopes", "root"])
@pytest.mark.parametrize("filters", [
    {"status": "closed"},
    {"status": "submitted,dispatched,closed"},
    {"status": ",".join(Status.values)},
    {"status": "closed,nonsense"},
    {"status": "nonsense"},
    {"category": "lift"},
    {"compound": "K1", "status": "closed,rejected"},
    {"q": "路灯"},
])
def test_branches_with_filters(world, username, filters):
    user = getattr(world, username)
    filters = dict(filters)
    if "category" in filters:
        filters["category"] = getattr(world, filters["category"]).pk
    if "compound" in filters:
        filters["compound"] = getattr(world, filters["compound"]).pk
    valid = dict(filters)
    if "status" in valid:
        valid["status"] = ",".join(s for s in valid["status"].split(",") if s in Status.values) or "-"
    expect = plain_ids(user, **valid)
    seen, _sizes = page_through(user, 3, **filters)
    assert seen == expect
    assert seen == list(selectors.queue(user, "all", **filters).order_by("-id").values_list("id", flat=True))
    qs, branches = selectors.queue_listing(user, "all", **filters)
    assert count_capped(qs, 10_000, branches=branches) == (len(expect), False)


def test_someone_not_logged_in_sees_nothing(world):
    # Not "reporter IS NULL": that would be every appeal entered for a caller.
    assert Appeal.objects.filter(reporter=None).exists()
    anonymous = AnonymousUser()
    assert not selectors.visible_appeals(anonymous).exists()
    qs, branches = selectors.queue_listing(anonymous, "all")
    assert keyset_page(qs, branches=branches) == ([], None)
    assert count_capped(qs, 100, branches=branches) == (0, False)


def test_a_scope_is_the_appeals_own_columns(world):
    """A building scope is not its compound: an appeal about the whole compound stays outside. Where the user may
    only view appeals (property staff), their scope's branch leaves the confidential categories out."""
    branches = selectors.visible_branches(world.building_worker)
    assert Q(building_id__in=[world.B1.pk]) in branches
    assert not any("compound" in str(b) for b in branches)
    community = selectors.visible_branches(world.community_worker)[0]
    assert community == Q(compound_id__in=sorted([world.K1.pk, world.K2.pk]))
    ordinary = sorted(Category.objects.filter(confidential=False).values_list("pk", flat=True))
    assert len(ordinary) == Category.objects.count() - 4
    assert selectors.visible_branches(world.property1)[0] == (Q(compound_id__in=sorted([world.K1.pk, world.K2.pk]))
                                                               & Q(category_id__in=ordinary))
    assert selectors.visible_branches(world.root) is None


def test_the_world_holds_confidential_appeals_each_user_reads_or_not(world):
    """The equivalence above covers the confidential rule: there are such appeals in every scope, and property
    staff read some of them (as handler) and not others."""
    confidential = Appeal.objects.filter(category__confidential=True)
    assert {a.compound_id for a in confidential} == {world.K1.pk, world.K2.pk, world.K3.pk, world.K4.pk}
    mine = set(plain_visible(world.property1).filter(category__confidential=True).values_list("id", flat=True))
    theirs = set(confidential.filter(compound__in=[world.K1, world.K2]).values_list("id", flat=True))
    assert mine & theirs and theirs - mine  # in their compounds: some (handled or reported by them), not all


@pytest.mark.parametrize("username", ["street_admin", "community_worker", "grid_worker", "property1", "officer",
                                      "building_worker", "south_admin", "root"])
def test_the_api_pages_and_counts_the_plain_rows(world, api, username, monkeypatch):
    from gongzhi.appeals import api as appeals_api

    user = getattr(world, username)
    expect = plain_ids(user)
    seen, cursor = [], ""
    while True:
        r = api.get(user, "/api/v1/appeals", queue="all", limit=4, cursor=cursor).json()
        assert (r["count"], r["count_capped"]) == (len(expect), False)
        seen += [i["id"] for i in r["items"]]
        cursor = r["next_cursor"]
        if not cursor:
            break
    assert seen == expect
    if len(expect) > 5:
        monkeypatch.setattr(appeals_api, "COUNT_CAP", 5)
        r = api.get(user, "/api/v1/appeals", queue="all").json()
        assert (r["count"], r["count_capped"]) == (5, True)


@pytest.mark.parametrize("username", ["street_admin", "community_worker", "property1", "building_worker"])
def test_the_list_page_shows_the_plain_rows(world, client, username):
    user = getattr(world, username)
    client.force_login(user)
    expect = plain_ids(user)
    seen, cursor = [], None
    while True:
        r = client.get("/appeals/", {"tab": "all", **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200 and r.context["tab"] == "all"
        seen += [a.pk for a in r.context["rows"]]
        cursor = r.context["next_cursor"]
        if not cursor:
            break
    assert seen == expect


def _key(rows):
    return [(r["key"], r["name"], r["total"], r["overdue"], r["response_rate"], r["resolution_rate"],
             r["satisfaction_rate"]) for r in rows]


@pytest.mark.parametrize("username", ["street_admin", "community_worker", "grid_worker", "property1", "officer",
                                      "resident1", "building_worker", "south_admin", "root", "nobody"])
@pytest.mark.parametrize("group_by", list(rates.GROUPS))
def test_rates_count_the_plain_rows(world, username, group_by):
    user = getattr(world, username)
    start = timezone.now() - datetime.timedelta(days=40)
    for period in ((None, None), (start, None), (start, timezone.now() - datetime.timedelta(days=5))):
        expect = rates.three_rates(rates.period_filter(plain_visible(user), *period), group_by)
        got = rates.three_rates(rates.period_filter(selectors.visible_appeals(user), *period), group_by)
        assert _key(got) == _key(expect)
        assert sum(r["total"] for r in got) == rates.period_filter(plain_visible(user), *period).count()


def test_rates_api_and_page_count_the_plain_rows(world, api, client):
    user = world.street_admin
    expect = rates.three_rates(plain_visible(user), "compound")
    assert {r["key"] for r in expect} == {world.K1.pk, world.K2.pk, world.K3.pk, world.K4.pk}  # K4: not in scope
    got = api.get(user, "/api/v1/appeal-rates", group_by="compound").json()["rows"]
    assert _key(got) == _key(expect)
    client.force_login(user)
    first = min(a.created_at for a in world.appeals)
    r = client.get("/appeals/rates/", {"group": "compound", "start": timezone.localdate(first).isoformat(),
                                       "end": timezone.localdate().isoformat()})
    assert r.status_code == 200
    assert [(x["key"], x["total"]) for x in r.context["rows"]] == [(x["key"], x["total"]) for x in expect]


def test_one_branch_is_still_a_filter(world):
    qs = Appeal.objects.all()
    mine = Q(reporter_id=world.resident1.pk)
    rows, _cursor = keyset_page(qs, limit=200, branches=[mine])
    assert [a.pk for a in rows] == list(qs.filter(mine).order_by("-id").values_list("id", flat=True))
    assert count_capped(qs, 1000, branches=[mine]) == (qs.filter(mine).count(), False)
    assert keyset_page(qs, branches=[]) == ([], None) and count_capped(qs, 1000, branches=[]) == (0, False)


def test_counting_overlapping_and_one_column_branches(world):
    qs = Appeal.objects.filter(compound__in=[world.K1, world.K2, world.K4])
    overlapping = [Q(status=Status.CLOSED), Q(reporter_id=world.resident1.pk), Q(handler_id__in=[world.dept.pk]),
                   Q(status=Status.CLOSED)]
    expect = qs.filter(Q(status=Status.CLOSED) | Q(reporter_id=world.resident1.pk) | Q(handler_id=world.dept.pk))
    assert count_capped(qs, 1000, branches=overlapping) == (expect.count(), False)
    statuses = [Q(status=s) for s in (Status.CLOSED, Status.SUBMITTED, Status.REJECTED)]
    n = qs.filter(status__in=(Status.CLOSED, Status.SUBMITTED, Status.REJECTED)).count()
    assert n > 2 and count_capped(qs, 1000, branches=statuses) == (n, False)
    assert count_capped(qs, 2, branches=statuses) == (2, True)


def test_a_period_open_at_one_end_holds_the_same_appeals(world):
    qs = Appeal.objects.all()
    middle = sorted(a.created_at for a in world.appeals)[len(world.appeals) // 2]
    ids = lambda q: sorted(q.values_list("id", flat=True))  # noqa: E731
    assert ids(rates.period_filter(qs, middle, None)) == ids(qs.filter(created_at__gte=middle))
    assert ids(rates.period_filter(qs, None, middle)) == ids(qs.filter(created_at__lt=middle))
    assert ids(rates.period_filter(qs, None, None)) == ids(qs)
    assert 0 < len(ids(rates.period_filter(qs, middle, None))) < len(ids(qs))


@pytest.mark.parametrize("name", ["dispatch", "handle", "verify", "mine"])
@pytest.mark.parametrize("status", ["", "closed", "submitted,dispatched,closed", ",".join(Status.values), "nonsense"])
def test_the_work_queues_listing_gives_the_queue(world, name, status):
    for username in ("street_admin", "community_worker", "grid_worker", "property1", "officer", "resident1", "root"):
        user = getattr(world, username)
        expect = list(selectors.queue(user, name, status=status).order_by("-id").values_list("id", flat=True))
        seen, cursor = [], None
        while True:
            qs, branches = selectors.queue_listing(user, name, status=status)
            rows, cursor = keyset_page(qs, cursor=cursor, limit=3, branches=branches)
            seen += [a.pk for a in rows]
            if not cursor:
                break
        assert seen == expect, (username, name, status)
        qs, branches = selectors.queue_listing(user, name, status=status)
        assert count_capped(qs, 10_000, branches=branches) == (len(expect), False)
