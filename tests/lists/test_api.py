import datetime

from gongzhi.lists.models import LedgerEntry, Need, Take

from .conftest import TODAY


def _need(api, user, **kw):
    data = {"title": "儿童阅读角", "category": "children", "compound": kw.pop("compound"),
            "wanted_from": TODAY.isoformat(), "wanted_to": (TODAY + datetime.timedelta(days=7)).isoformat(),
            "people": 12}
    data.update(kw)
    return api.post(user, "/api/v1/needs", data)


def test_the_loop_over_the_api(lists, api):
    c = lists
    r = _need(api, c.resident1, compound=c.K1.pk)
    assert r.status_code == 201, r.content
    need = r.json()
    assert need["status"] == "open" and need["category_label"] == "儿童关爱"
    assert api.get(c.resident2, f"/api/v1/needs/{need['id']}").status_code == 404
    assert api.get(c.resident1, "/api/v1/needs", mine="true").json()["count"] == 1
    assert api.get(c.community_worker, "/api/v1/needs").json()["count"] == 1
    sugg = api.get(c.community_worker, f"/api/v1/needs/{need['id']}/suggestions")
    assert sugg.status_code == 200
    r = api.post(c.community_worker, "/api/v1/projects",
                 {"needs": [need["id"]], "title": "儿童阅读角", "mode": "publish", "places": 1})
    assert r.status_code == 201, r.content
    project = r.json()
    board = api.get(c.member1, "/api/v1/projects", board="true").json()
    assert [p["id"] for p in board["items"]] == [project["id"]]
    r = api.post(c.member1, f"/api/v1/projects/{project['id']}/take")
    assert r.status_code == 200 and r.json()["taken"] == 1
    r = api.post(c.unit1, f"/api/v1/projects/{project['id']}/take")
    assert r.status_code == 409 and r.json()["detail"] == "该项目名额已满。"
    assert Take.objects.filter(project_id=project["id"]).count() == 1
    r = api.post(c.member1, f"/api/v1/projects/{project['id']}/services",
                 {"served_on": TODAY.isoformat(), "hours": 25, "people_served": 12})
    assert r.status_code == 400 and r.json()["field"] == "hours"
    r = api.post(c.member1, f"/api/v1/projects/{project['id']}/services",
                 {"served_on": TODAY.isoformat(), "hours": 2, "people_served": 12, "note": "布置阅读角"})
    assert r.status_code == 201, r.content
    service = r.json()
    assert api.post(c.resident2, f"/api/v1/services/{service['id']}/rating", {"rating": 3}).status_code == 404
    assert api.post(c.resident1, f"/api/v1/services/{service['id']}/rating", {"rating": 9}).status_code == 400
    assert api.post(c.resident1, f"/api/v1/services/{service['id']}/rating", {"rating": 3}).status_code == 200
    r = api.post(c.resident1, f"/api/v1/services/{service['id']}/rating", {"rating": 2})
    assert r.status_code == 409 and r.json()["detail"] == "您已评价过这次服务。"
    assert api.post(c.member1, f"/api/v1/services/{service['id']}/confirm", {}).status_code == 404
    r = api.post(c.community_worker, f"/api/v1/services/{service['id']}/confirm", {"version": service["version"]})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    mine = api.get(c.member1, "/api/v1/ledger/mine").json()
    assert mine["hours"] == "2.0" and mine["points"] == 20 and mine["commitment"] == "12.0"
    assert api.get(c.member1, "/api/v1/ledger").json()["count"] == 1
    assert api.get(c.resident1, "/api/v1/ledger").json()["count"] == 0


def test_bad_input_changes_nothing(lists, api):
    c = lists
    r = _need(api, c.resident1, compound=c.K3.pk)
    assert r.status_code == 400 and r.json()["field"] == "compound"
    assert "范围" in r.json()["detail"]
    r = _need(api, c.resident1, compound=c.K1.pk, wanted_to="2001-01-01")
    assert r.status_code == 400 and r.json()["field"] == "wanted_to"
    assert not Need.objects.exists()
    r = api.post(c.community_worker, "/api/v1/ledger/corrections", {"entry": 424242, "reason": "更正"})
    assert r.status_code == 400 and r.json()["field"] == "entry"
    assert not LedgerEntry.objects.exists()


def test_registrations_and_resources(lists, api):
    c = lists
    r = api.post(c.resident2, "/api/v1/registrations", {"kind": "member", "compound": c.K2.pk,
                                                        "work_unit": "兴宁中学", "skills": ["children"]})
    assert r.status_code == 201, r.content
    reg = r.json()
    assert api.get(c.community_worker, "/api/v1/registrations", status="pending").json()["count"] == 1
    r = api.post(c.community_worker, f"/api/v1/registrations/{reg['id']}/decision", {"confirm": True})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    r = api.post(c.community_worker, f"/api/v1/registrations/{reg['id']}/decision", {"confirm": True})
    assert r.status_code == 409
    r = api.post(c.unit1, "/api/v1/resources", {"title": "会议室", "kind": "venue", "category": "culture",
                                               "provider_kind": "unit", "compound": c.K1.pk,
                                               "organisation": c.unit.pk, "capacity": 40})
    assert r.status_code == 201, r.content
    assert api.get(c.community_worker, "/api/v1/resources").json()["count"] == 1
    assert api.get(c.resident1, "/api/v1/resources").json()["count"] == 0


def test_micro_services_per_community_and_compound(lists, api, published, client):
    from gongzhi.lists import services

    c = lists
    for hours in ("2.5", "1"):
        project = published(places=1)
        services.project_take(user=c.member1, project=project)
        service = services.service_record(user=c.member1, project=project, served_on=TODAY.isoformat(), hours=hours,
                                          people_served=2)
        services.service_confirm(user=c.community_worker, service=service)
    unconfirmed = published(places=1)
    services.project_take(user=c.member1, project=unconfirmed)
    services.service_record(user=c.member1, project=unconfirmed, served_on=TODAY.isoformat(), hours="4", people_served=1)

    body = api.get(c.community_worker, "/api/v1/services/totals").json()
    assert body["year"] == TODAY.year
    assert body["by_community"] == [{"name": c.C.name, "n": 2, "hours": "3.5"}]
    assert body["by_compound"] == [{"name": c.K1.name, "n": 2, "hours": "3.5"}]
    assert api.get(c.community_worker, "/api/v1/services/totals", year=TODAY.year - 1).json()["by_community"] == []
    assert api.get(c.community_worker, "/api/v1/services/totals", year=1999).status_code == 400
    from gongzhi.accounts.models import Role, RoleAssignment, User

    elsewhere = User.objects.create_user(username="grid_worker_k2", password=c.password)
    RoleAssignment.objects.create(user=elsewhere, role=Role.GRID_WORKER, compound=c.K2)
    assert api.get(elsewhere, "/api/v1/services/totals").json() == {"year": TODAY.year, "by_community": [],
                                                                      "by_compound": []}
    client.force_login(c.community_worker)
    page = client.get("/lists/needs/").content.decode()
    assert "按社区" in page and f"{c.C.name} <span" in page and f"{c.K1.name} <span" in page
