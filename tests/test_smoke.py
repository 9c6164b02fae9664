def test_healthz(client, db):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_token_and_cast(cast, client):
    r = client.post("/api/v1/auth/token", {"username": "street_admin", "password": cast.password}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["token"]
