import pytest

from gongzhi.appeals.models import Category, RoutingRule
from gongzhi.core.models import AuditEntry, CalendarDay

pytestmark = pytest.mark.django_db

CAT = {"code": "pet", "name": "宠物扰民", "kind": "complaint", "handler_level": "community",
       "handler_kind": "community_office", "respond_amount": 1, "respond_unit": "wd",
       "resolve_amount": 15, "resolve_unit": "wd"}


def test_categories_crud_for_admins_only(grid, api):
    r = api.post(grid.community_worker, "/api/v1/appeal-categories", CAT)
    assert r.status_code == 404
    r = api.post(grid.street_admin, "/api/v1/appeal-categories", CAT)
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert AuditEntry.objects.filter(action="create", object_type="appeals.category", object_id=str(pk)).exists()
    r = api.post(grid.street_admin, "/api/v1/appeal-categories", {**CAT, "code": "pet"})
    assert r.status_code == 400 and r.json()["field"] == "code"
    r = api.post(grid.street_admin, "/api/v1/appeal-categories", {**CAT, "code": "pet2", "resolve_amount": 0})
    assert r.status_code == 400 and r.json()["field"] == "resolve_amount"
    parent = Category.objects.get(code="property")
    r = api_put(api, grid.street_admin, f"/api/v1/appeal-categories/{parent.pk}",
                {**CAT, "code": "property", "name": "物业服务", "parent": Category.objects.get(code="lift").pk})
    assert r.status_code == 400 and r.json()["field"] == "parent"  # a cycle
    assert api.get(grid.resident1, "/api/v1/appeal-categories").status_code == 200
    r = api.delete(grid.street_admin, f"/api/v1/appeal-categories/{pk}")
    assert r.status_code == 204 and not Category.objects.filter(pk=pk).exists()


def api_put(api, user, path, data):
    from gongzhi.accounts.models import ApiToken
    from django.test import Client

    _, raw = ApiToken.issue(user, 1)
    return Client().put(path, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_routing_rules(grid, api):
    body = {"name": "一期电梯交业委会", "category": grid.lift.pk, "compound": grid.K1.pk,
            "organisation": grid.owners_k1.pk}
    assert api.post(grid.community_worker, "/api/v1/routing-rules", body).status_code == 404
    r = api.post(grid.street_admin, "/api/v1/routing-rules", body)
    assert r.status_code == 201, r.content
    r = api.post(grid.street_admin, "/api/v1/routing-rules", {"name": "空规则"})
    assert r.status_code == 400 and r.json()["field"] == "handler_kind"
    assert api.get(grid.street_admin, "/api/v1/routing-rules").json()[0]["name"] == "一期电梯交业委会"
    rule = RoutingRule.objects.get()
    assert api.delete(grid.street_admin, f"/api/v1/routing-rules/{rule.pk}").status_code == 204


def test_calendar(grid, api):
    r = api.get(grid.resident1, "/api/v1/calendar", year=2026)
    assert r.status_code == 200 and any(d["name"] == "国庆节" for d in r.json())
    body = {"date": "2026-12-07", "kind": "holiday", "name": "演练", "until": "2026-12-08"}
    assert api.post(grid.community_worker, "/api/v1/calendar", body).status_code == 404
    r = api.post(grid.street_admin, "/api/v1/calendar", body)
    assert r.status_code == 201 and len(r.json()) == 2
    r = api.post(grid.street_admin, "/api/v1/calendar", {"date": "2026-12-09", "kind": "workday"})
    assert r.status_code == 400 and r.json()["field"] == "date"  # a Wednesday is a working day already
    day = CalendarDay.objects.get(date="2026-12-07")
    assert api.delete(grid.street_admin, f"/api/v1/calendar/{day.pk}").status_code == 204
