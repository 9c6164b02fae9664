"""Reference data kept in memory per process (gongzhi.core.reference): loaded once, reloaded on any change —
the process's own, another process's (a new token in the stamp row), and never kept after a rollback."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from gongzhi.appeals import admin_services
from gongzhi.appeals.models import Category, RoutingRule
from gongzhi.appeals.routing import categories, compounds, locate, route
from gongzhi.appeals.services import category_lookup, deadlines
from gongzhi.core import reference
from gongzhi.core.models import CalendarDay, DayKind, ReferenceStamp
from gongzhi.core.workdays import LOCAL
from gongzhi.open311 import services as o311
from gongzhi.orgs.models import Coverage, OrgKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted():
    calls = []

    @reference.cached
    def loader():
        calls.append(1)
        return len(calls)

    return loader, calls


def other_process_writes():
    """What another process's committed change looks like from here: a new token, and nothing else."""
    ReferenceStamp.objects.filter(pk=1).update(token="from-another-process")


def test_loaded_once_while_nothing_changes(counted):
    loader, calls = counted
    assert [loader() for _ in range(5)] == [1] * 5
    assert len(calls) == 1


def test_a_write_to_a_watched_model_reloads(grid, counted):
    loader, calls = counted
    loader()
    Category.objects.filter(code="lift").get().save()
    assert loader() == 2


def test_another_process_change_reloads(counted):
    loader, _calls = counted
    loader()
    other_process_writes()
    assert loader() == 2
    assert loader() == 2


def test_unwatched_writes_keep_the_cache(grid, counted):
    loader, _calls = counted
    loader()
    grid.H1.save()  # households are not reference data
    assert loader() == 1


def test_a_rolled_back_change_is_not_kept(grid):
    before = set(categories())
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            Category.objects.create(code="phantom", name="幻影分类", kind="help", respond_amount=1, resolve_amount=1)
            assert "phantom" in {c.code for c in categories().values()}  # the writer sees its own change
            raise RuntimeError
    assert set(categories()) == before
    assert category_lookup("phantom") is None


def test_new_category_is_found_at_once(grid):
    assert category_lookup("brand_new") is None
    c = Category.objects.create(code="brand_new", name="新分类", kind="help", respond_amount=1, resolve_amount=1)
    assert category_lookup("brand_new").pk == c.pk
    assert category_lookup(str(c.pk)).code == "brand_new"
    c.is_active = False
    c.save()
    assert category_lookup("brand_new") is None


def test_parents_are_linked_without_queries(grid):
    lift = categories()[grid.lift.pk]
    with CaptureQueriesContext(connection) as ctx:
        lineage = lift.ancestors()
    assert len(ctx.captured_queries) == 0
    assert lineage[0].code == "lift" and len(lineage) >= 2


def test_routing_follows_a_new_rule_and_a_deactivated_organisation(grid):
    assert route(grid.lighting, grid.K1)[0] == grid.office
    rule = RoutingRule.objects.create(name="路灯归街道", category=grid.lighting, organisation=grid.street_office)
    assert route(grid.lighting, grid.K1)[:2] == (grid.street_office, rule)
    grid.street_office.is_active = False
    grid.street_office.save()
    assert route(grid.lighting, grid.K1)[0] == grid.office


def test_routing_follows_coverage_changes(grid):
    assert grid.lift.handler_kind == OrgKind.PROPERTY_COMPANY
    assert route(grid.lift, grid.K3)[0] == grid.other_property
    cov = Coverage.objects.get(organisation=grid.other_property, compound=grid.K3)
    cov.delete()  # nobody manages K3 any more: the community desk takes it
    assert route(grid.lift, grid.K3)[0] == grid.office2
    Coverage.objects.create(organisation=grid.property_co, compound=grid.K3)
    assert route(grid.lift, grid.K3)[0] == grid.property_co


def test_locate_follows_a_moved_boundary(grid):
    lat, lng = Decimal("24.170"), Decimal("115.770")  # far from every compound
    with pytest.raises(Exception):
        locate(lat, lng)
    grid.K3.center_lat, grid.K3.center_lng = lat, lng
    grid.K3.save()
    assert locate(lat, lng)[0].pk == grid.K3.pk
    assert compounds()[grid.K3.pk].center_lat == lat


def test_deadlines_follow_a_holiday_added_in_bulk(grid):
    start = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=LOCAL)  # a Monday
    before = deadlines(start, grid.policy_q)
    admin_services.calendar_day_add(user=grid.street_admin, date=datetime.date(2027, 3, 2),
                                    until=datetime.date(2027, 3, 3), kind=DayKind.HOLIDAY, name="测试假日")
    assert CalendarDay.objects.filter(date__year=2027, date__month=3).count() == 2
    after = deadlines(start, grid.policy_q)
    assert after[1] - before[1] >= datetime.timedelta(days=2)


def test_a_revoked_key_stops_working_at_once(grid):
    client = o311.client_create(user=grid.street_admin, name="测试客户端")
    key, raw = o311.key_issue(user=grid.street_admin, client=client)
    assert o311.key_authenticate(raw).pk == key.pk
    o311.key_revoke(user=grid.street_admin, key=key)
    assert o311.key_authenticate(raw) is None


def test_a_key_revoked_by_another_process_stops_working(grid):
    client = o311.client_create(user=grid.street_admin, name="测试客户端")
    key, raw = o311.key_issue(user=grid.street_admin, client=client)
    assert o311.key_authenticate(raw) is not None
    from gongzhi.open311.models import ApiKey

    ApiKey.objects.filter(pk=key.pk).update(revoked_at=datetime.datetime.now(datetime.timezone.utc))
    assert o311.key_authenticate(raw) is not None  # nothing told this process yet
    other_process_writes()
    assert o311.key_authenticate(raw) is None


def test_the_stamp_is_read_once_per_request(grid, client):
    client_ = o311.client_create(user=grid.street_admin, name="测试客户端")
    _key, raw = o311.key_issue(user=grid.street_admin, client=client_)
    body = {"api_key": raw, "service_code": "lift", "lat": "24.1401", "long": "115.7301", "description": "电梯坏了"}
    assert client.post("/open311/v2/requests.json", body).status_code == 200  # makes the client's service account
    with CaptureQueriesContext(connection) as ctx:
        assert client.post("/open311/v2/requests.json", body).status_code == 200
    reads = [q for q in ctx.captured_queries if "core_referencestamp" in q["sql"]]
    assert len(reads) == 1
