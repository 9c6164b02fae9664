"""The API as a whole: authentication, /me, the OpenAPI document."""
import pytest
from django.utils import timezone

from gongzhi.accounts.models import ApiToken

PATHS = [
    "/api/v1/grid/tree", "/api/v1/subdistricts", "/api/v1/subdistricts/{pk}", "/api/v1/communities",
    "/api/v1/communities/{pk}", "/api/v1/compounds", "/api/v1/compounds/{pk}", "/api/v1/buildings",
    "/api/v1/buildings/{pk}", "/api/v1/households", "/api/v1/households/{pk}", "/api/v1/residents",
    "/api/v1/residents/{pk}", "/api/v1/residents/{pk}/reveal", "/api/v1/tags", "/api/v1/tags/{pk}",
    "/api/v1/organisations", "/api/v1/organisations/{pk}", "/api/v1/organisations/{pk}/members",
    "/api/v1/organisations/{pk}/members/{mid}", "/api/v1/audit", "/api/v1/me", "/api/v1/auth/token",
]


def test_openapi_lists_the_paths(client, db):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    for path in PATHS:
        assert path in doc["paths"], path
    assert set(doc["paths"]["/api/v1/residents"]) >= {"get", "post"}
    assert set(doc["paths"]["/api/v1/residents/{pk}"]) >= {"get", "patch", "delete"}
    assert set(doc["paths"]["/api/v1/households/{pk}"]) >= {"get", "patch"}
    # The resident schema carries masks only.
    schemas = doc["components"]["schemas"]
    resident = schemas["ResidentOut"]["properties"]
    assert {"phone_masked", "id_number_masked"} <= set(resident)
    assert not {"phone", "id_number", "birth_date", "id_number_enc"} & set(resident)


@pytest.mark.parametrize("method,path", [
    ("get", "/api/v1/grid/tree"), ("get", "/api/v1/compounds"), ("get", "/api/v1/households"),
    ("get", "/api/v1/residents"), ("get", "/api/v1/residents/1"), ("post", "/api/v1/residents/1/reveal"),
    ("post", "/api/v1/residents"), ("patch", "/api/v1/households/1"), ("delete", "/api/v1/residents/1"),
    ("get", "/api/v1/organisations"), ("post", "/api/v1/organisations/1/members"), ("get", "/api/v1/audit"),
    ("get", "/api/v1/me"), ("get", "/api/v1/tags"),
])
def test_anonymous_is_401(cast, client, method, path):
    r = getattr(client, method)(path, content_type="application/json")
    assert r.status_code == 401
    r = getattr(client, method)(path, content_type="application/json", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert r.status_code == 401


def test_expired_token_and_inactive_user_are_401(cast, client):
    token, raw = ApiToken.issue(cast.grid_worker, 1)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/residents", **auth).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert client.get("/api/v1/residents", **auth).status_code == 401
    _, raw = ApiToken.issue(cast.grid_worker, 1)
    cast.grid_worker.is_active = False
    cast.grid_worker.save()
    assert client.get("/api/v1/residents", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_token_then_use(cast, client):
    r = client.post("/api/v1/auth/token", {"username": "property1", "password": cast.password},
                    content_type="application/json")
    token = r.json()["token"]
    r = client.get("/api/v1/residents", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200 and r.json()["count"] == 4


def test_me_for_a_grid_worker(cast, api):
    body = api.get(cast.grid_worker, "/api/v1/me").json()
    assert body["username"] == "grid_worker1" and body["is_superuser"] is False
    assert body["roles"] == [{"role": "grid_worker", "role_label": "网格员",
                              "scope": {"kind": "compound", "id": cast.K1.pk, "name": "宁江新城一期"}}]
    assert "resident.reveal_phone" in body["actions"] and "resident.reveal_id" not in body["actions"]
    assert "audit.view" not in body["actions"]


def test_me_for_org_and_household_roles(cast, api):
    prop = api.get(cast.property1, "/api/v1/me").json()
    assert prop["roles"][0]["scope"] == {"kind": "organisation", "id": cast.property_co.pk, "name": "君胜物业"}
    res = api.get(cast.resident1, "/api/v1/me").json()
    assert res["resident_id"] == cast.R1.pk
    assert res["roles"][0]["scope"]["kind"] == "household" and res["roles"][0]["scope"]["id"] == cast.H1.pk
    admin = api.get(cast.street_admin, "/api/v1/me").json()
    assert "audit.view" in admin["actions"]
    nobody = api.get(cast.nobody, "/api/v1/me").json()
    assert nobody["roles"] == [] and nobody["actions"] == []
    rider = api.get(cast.rider1, "/api/v1/me").json()
    assert rider["roles"] == [{"role": "outdoor_worker", "role_label": "户外劳动者", "scope": None}]


def test_me_never_shows_the_full_phone(cast, api):
    cast.grid_worker.set_phone("13512340000")
    cast.grid_worker.save()
    body = api.get(cast.grid_worker, "/api/v1/me").json()
    assert body["phone_masked"] == "135****0000"
    assert "13512340000" not in str(body)


# ---- bad input never reaches the database as a 500 (PostgreSQL refuses NUL characters) -----------------


@pytest.mark.parametrize("method,path,data,field", [
    ("get", "/api/v1/residents", {"q": "张\x00"}, "q"),
    ("get", "/api/v1/residents", {"tag": "\x00"}, "tag"),
    ("get", "/api/v1/households", {"q": "\x00"}, "q"),
    ("get", "/api/v1/organisations", {"kind": "\x00"}, "kind"),
    ("get", "/api/v1/audit", {"object_type": "\x00"}, "object_type"),
    ("post", "/api/v1/residents", {"household_id": "H1", "name": "a\x00b"}, "name"),
    ("post", "/api/v1/households", {"building_id": "B1", "code": "1\x00", "address": "x"}, "code"),
    ("patch", "/api/v1/residents/R1", {"note": "\x00"}, "note"),
    ("post", "/api/v1/tags", {"code": "x", "name": "\x00"}, "name"),
    ("post", "/api/v1/organisations/party/members", {"position": "委员\x00"}, "position"),
])
def test_nul_characters_are_refused_naming_the_field(cast, api, method, path, data, field):
    ids = {"H1": cast.H1.pk, "B1": cast.B1.pk, "R1": cast.R1.pk, "party": cast.party.pk}
    path = "/".join(str(ids.get(part, part)) for part in path.split("/"))
    data = {k: ids.get(v, v) for k, v in data.items()}
    r = api.get(cast.street_admin, path, **data) if method == "get" else getattr(api, method)(cast.street_admin, path, data)
    assert r.status_code == 422, r.content
    assert field in str(r.json()["detail"])


def test_nul_in_login_is_refused(cast, client):
    r = client.post("/api/v1/auth/token", {"username": "street_admin\x00", "password": "x"},
                    content_type="application/json")
    assert r.status_code == 422 and "username" in str(r.json())


def test_malformed_json_is_400(cast, client):
    _, raw = ApiToken.issue(cast.street_admin, 1)
    r = client.post("/api/v1/residents", "{not json", content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 400 and r.json()["detail"]
