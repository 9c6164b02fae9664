"""Malformed input to /open311/v2/: every answer is the spec's error format (or a normal answer), never a 500.

Found by probing the running server by hand with dates at the ends of time, giant page numbers,
NUL bytes and deeply nested JSON.
"""
import datetime

import pytest

from gongzhi.appeals.models import Appeal
from gongzhi.appeals.services import appeal_submit

from .conftest import BASE, as_json, as_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_public(world):
    return appeal_submit(user=world.resident1, category=world.lift, description="3栋电梯停在8楼不动",
                         compound=world.K1, is_public=True)


@pytest.mark.parametrize("params", [
    {"start_date": "0001-01-01"}, {"updated_after": "0001-01-01"},
    {"start_date": "0001-01-01T00:00:00+14:00"},
    {"end_date": "9999-12-31"}, {"updated_before": "9999-12-31"},
])
def test_dates_at_the_ends_of_time_are_open_bounds(world, one_public, o311, params):
    # 9999-12-31 plus a day, or 0001-01-01 in Shanghai turned into UTC, overflowed: 500.
    for fmt in ("json", "xml"):
        r = o311.get("requests", fmt, **params)
        assert r.status_code == 200, r.content
    assert [i["service_request_id"] for i in as_json(o311.get("requests", **params))] == [one_public.number]


def test_a_start_after_the_end_of_time_finds_nothing(world, one_public, o311):
    r = o311.get("requests", start_date="9999-12-31T23:59:59-12:00")
    assert r.status_code == 200 and as_json(r) == []


@pytest.mark.parametrize("page", ["9" * 30, str(2**63), str(2**62)])
def test_giant_page_numbers_are_an_empty_page(world, one_public, o311, page):
    r = o311.get("requests", page=page)  # the OFFSET overflowed the database's integers: 500
    assert r.status_code == 200 and as_json(r) == []
    assert o311.get("requests", page="1").status_code == 200


@pytest.mark.parametrize("name", ["service_code", "service_request_id", "start_date", "status", "jurisdiction_id"])
def test_nul_in_a_query_parameter_is_400(world, o311, name):
    # PostgreSQL cannot compare strings holding NUL: refused alike on both databases.
    body = as_json(o311.get("requests", **{name: "lift\x00"}))
    assert body[0]["code"] == 400 and body[0]["description"].startswith(f"{name}:")
    root = as_xml(o311.get("requests", "xml", **{name: "lift\x00"}))
    assert root.find("error/code").text == "400"


@pytest.mark.parametrize("path", ["requests/%00", "requests/20260101-%00", "tokens/%00", "services/lift%00"])
def test_nul_in_the_path_is_400(world, client, path):
    r = client.get(f"{BASE}/{path}.json")
    assert r.status_code == 400 and as_json(r)[0]["code"] == 400


def test_nul_in_a_posted_field_is_400_and_nothing_is_filed(world, key, o311, client):
    before = Appeal.objects.count()
    base = {"api_key": key, "service_code": "lift", "description": "电梯坏了", "lat": "24.140", "long": "115.730"}
    for field in ("description", "email", "first_name", "device_id", "service_code", "api_key"):
        r = o311.post(**{**base, field: "a\x00b"})
        assert r.status_code == 400, (field, r.content)
        assert as_json(r)[0]["description"].startswith(f"{field}:")
    r = client.post(f"{BASE}/requests.json", {**base, "attribute[\x00]": "x"})
    assert r.status_code == 400 and as_json(r)[0]["description"].startswith("attribute[")
    r = client.post(f"{BASE}/requests.json", {**base, "description": "x\x00"}, content_type="application/json")
    assert r.status_code == 400
    assert Appeal.objects.count() == before


def test_deeply_nested_json_is_400(world, key, client):
    body = "[" * 100_000 + "]" * 100_000  # json.loads raised RecursionError: 500
    r = client.post(f"{BASE}/requests.json", body, content_type="application/json")
    assert r.status_code == 400 and as_json(r)[0]["code"] == 400


def test_wrong_content_types_are_spec_errors(world, key, client):
    # A JSON text sent as text/plain is not read as JSON: no api_key, so 403 in the spec's format.
    r = client.post(f"{BASE}/requests.json", '{"api_key": "%s"}' % key, content_type="text/plain")
    assert r.status_code == 403 and as_json(r)[0]["code"] == 403
    r = client.post(f"{BASE}/requests.json", b"\xff\xfe{", content_type="application/json")
    assert r.status_code == 400
    r = client.post(f"{BASE}/requests.xml", b"abc", content_type="multipart/form-data")  # no boundary
    assert r.status_code == 400 and as_xml(r).find("error/code").text == "400"


def test_repeated_parameters_take_the_last(world, one_public, o311, client):
    r = client.get(f"{BASE}/requests.json?status=bogus&status=open")
    assert r.status_code == 200 and len(as_json(r)) == 1
    r = client.get(f"{BASE}/requests.json?status=open&status=bogus")
    assert r.status_code == 400


def test_moments_are_kept_as_given_inside_the_range(world, one_public, o311):
    today = datetime.date.today()
    tomorrow = (today + datetime.timedelta(days=2)).isoformat()
    assert as_json(o311.get("requests", start_date=tomorrow)) == []
    assert len(as_json(o311.get("requests", end_date=tomorrow))) == 1
