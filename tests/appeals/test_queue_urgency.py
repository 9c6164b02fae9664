"""Work queues read most urgent first: emergencies, then by deadline (most overdue first), then any without one."""
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gongzhi.appeals import selectors
from gongzhi.appeals.models import Appeal, Category
from gongzhi.core.pagination import encode_cursor

pytestmark = pytest.mark.django_db


def walk(user, name, limit, status=None):
    seen, cursor = [], None
    while True:
        qs, branches = selectors.queue_listing(user, name, status=status)
        rows, cursor = selectors.queue_page(name, qs, branches, status=status, cursor=cursor, limit=limit)
        seen += [r.pk for r in rows]
        if not cursor:
            return seen


@pytest.fixture
def desk_queue(grid, submit, act):
    """Six appeals waiting for the desk, deadlines set apart: two emergencies, three ordinary, one without."""
    now = timezone.now()
    gas = Category.objects.get(code="gas_leak")
    made = {}
    for name, category, due in (("late_5", grid.lift, -5), ("gas_due_later", gas, 2), ("soon", grid.lift, 1),
                                ("late_19", grid.lighting, -19), ("gas_late", gas, -1), ("no_due", grid.lift, None)):
        a = submit(category=category, description=f"{name} 的诉求内容写在这里")
        Appeal.objects.filter(pk=a.pk).update(resolve_due=None if due is None else now + timedelta(days=due))
        made[name] = a.pk
    act(grid.community_worker, Appeal.objects.get(pk=made["soon"]), "accept")  # two statuses: two branches
    return made


def test_the_desk_sees_emergencies_then_the_most_overdue_then_the_soonest_due(grid, desk_queue):
    expected = [desk_queue[n] for n in ("gas_late", "gas_due_later", "late_19", "late_5", "soon", "no_due")]
    for limit in (1, 2, 4, 50):  # every page boundary, inside a tier and across tiers
        assert walk(grid.community_worker, "dispatch", limit) == expected


def test_equal_deadlines_keep_submission_order(grid, desk_queue):
    same = timezone.now() + timedelta(days=3)
    Appeal.objects.filter(pk__in=[desk_queue["late_5"], desk_queue["late_19"], desk_queue["soon"]]).update(resolve_due=same)
    ties = sorted([desk_queue["late_5"], desk_queue["late_19"], desk_queue["soon"]])
    assert walk(grid.community_worker, "dispatch", 1)[2:5] == ties


def test_history_and_the_full_list_stay_newest_first(grid, desk_queue):
    newest = sorted(desk_queue.values(), reverse=True)
    assert walk(grid.community_worker, "all", 2) == newest
    every = ",".join(s for s in ("submitted", "accepted", "closed"))
    assert not selectors.by_urgency("dispatch", every)
    assert walk(grid.community_worker, "dispatch", 2, status=every) == newest


@pytest.mark.parametrize("values", [[0, "nonsense", 5], [7, "2026-01-01T00:00:00+00:00", 5], [1, None, 5], [1]])
def test_a_forged_cursor_is_refused(grid, desk_queue, values):
    qs, branches = selectors.queue_listing(grid.community_worker, "dispatch")
    with pytest.raises(ValidationError):
        selectors.queue_page("dispatch", qs, branches, cursor=encode_cursor(values))


def test_the_page_and_the_api_show_the_same_order(grid, desk_queue, client, api):
    expected = [desk_queue[n] for n in ("gas_late", "gas_due_later", "late_19", "late_5", "soon", "no_due")]
    numbers = dict(Appeal.objects.filter(pk__in=expected).values_list("pk", "created_at"))
    r = api.get(grid.community_worker, "/api/v1/appeals", queue="dispatch", limit=4)
    assert [i["id"] for i in r.json()["items"]] == expected[:4] and r.json()["count"] == 6
    r = api.get(grid.community_worker, "/api/v1/appeals", queue="dispatch", limit=4, cursor=r.json()["next_cursor"])
    assert [i["id"] for i in r.json()["items"]] == expected[4:] and r.json()["next_cursor"] is None
    client.force_login(grid.community_worker)
    body = client.get("/appeals/", {"tab": "dispatch"}).content.decode()
    from gongzhi.appeals.models import number_for
    places = [body.index(f">{number_for(pk, numbers[pk])}<") for pk in expected]
    assert places == sorted(places)


def test_an_appeal_filed_under_an_emergency_moves_to_the_top_and_back(grid, desk_queue, act):
    late_5 = Appeal.objects.get(pk=desk_queue["late_5"])
    act(grid.community_worker, late_5, "recategorise", category=Category.objects.get(code="gas_leak").pk,
        version=late_5.version)
    order = walk(grid.community_worker, "dispatch", 2)
    assert order[:3] == [desk_queue["late_5"], desk_queue["gas_late"], desk_queue["gas_due_later"]]
    late_5.refresh_from_db()
    act(grid.community_worker, late_5, "recategorise", category=grid.lift.pk, version=late_5.version)
    assert walk(grid.community_worker, "dispatch", 2)[:3] == [desk_queue["gas_late"], desk_queue["gas_due_later"],
                                                            desk_queue["late_19"]]


def test_a_category_made_an_emergency_takes_its_open_appeals_along(grid, desk_queue, act):
    from gongzhi.appeals.admin_services import category_update

    closed = Appeal.objects.get(pk=desk_queue["late_19"])
    act(grid.community_worker, closed, "reject", note="重复诉求", version=closed.version)
    category_update(user=grid.street_admin, category=grid.lighting, **_form_of(grid.lighting, kind="emergency"))
    assert walk(grid.community_worker, "dispatch", 50)[:2] == [desk_queue["gas_late"], desk_queue["gas_due_later"]]
    category_update(user=grid.street_admin, category=grid.lift, **_form_of(grid.lift, kind="emergency"))
    assert set(Appeal.objects.filter(urgent=True).values_list("pk", flat=True)) == {
        desk_queue[n] for n in ("gas_late", "gas_due_later", "late_5", "soon", "no_due")}
    assert walk(grid.community_worker, "dispatch", 2)[:4] == [desk_queue[n] for n in ("late_5", "gas_late", "soon",
                                                                                       "gas_due_later")]


def _form_of(category, **changes):
    from gongzhi.appeals.admin_services import CATEGORY_FIELDS

    data = {f: getattr(category, f"{f}_id" if f == "parent" else f) for f in CATEGORY_FIELDS}
    data.update(changes)
    return data


def test_the_desk_filters_by_handler_on_the_page_and_in_the_api(grid, submit, act, client, api):
    to_property, to_office, waiting = (submit(description=f"第{i}件：楼道灯坏了很久") for i in range(3))
    act(grid.community_worker, to_property, "dispatch", handler=grid.property_co.pk)
    act(grid.community_worker, to_office, "dispatch", handler=grid.office.pk)
    r = api.get(grid.community_worker, "/api/v1/appeals", handler=grid.property_co.pk)
    assert [i["id"] for i in r.json()["items"]] == [to_property.pk] and r.json()["count"] == 1
    assert api.get(grid.community_worker, "/api/v1/appeals", handler=0).status_code == 422
    client.force_login(grid.community_worker)
    page = client.get("/appeals/", {"tab": "all", "handler": grid.office.pk}).content.decode()
    assert f">{to_office.number}<" in page and f">{to_property.number}<" not in page and waiting.number not in page
    offered = re.search(r'<select name="handler".*?</select>', page, re.S).group(0)
    assert grid.property_co.name in offered and grid.office.name in offered and grid.office2.name not in offered
    client.force_login(grid.resident1)  # a resident's own list offers no handler filter
    assert 'name="handler"' not in client.get("/appeals/").content.decode()
