"""Bad input to the JSON API: never a 500, always a documented status with an ErrorOut body naming the field.

Each test here is a bug found by fuzzing /api/v1/ with schemathesis (see the report in the commit
messages); they are plain requests, so the suite does not depend on the fuzzer.
"""
import base64
import json

import pytest
from jsonschema import Draft202012Validator

from gongzhi.api.base import DECIMAL_STRING
from gongzhi.api.urls import api as ninja_api
from gongzhi.appeals.models import Appeal, Category, pk_from_number
from gongzhi.appeals.services import appeal_submit
from gongzhi.core.ids import as_id
from gongzhi.people.models import Resident

pytestmark = pytest.mark.django_db


# ---- the OpenAPI document as a contract ----------------------------------------------------------


@pytest.fixture(scope="module")
def openapi():
    return json.loads(json.dumps(ninja_api.get_openapi_schema(path_prefix="/api/v1/"), default=str))


def _operation(openapi, path, method):
    return openapi["paths"][path][method]


def assert_documented(openapi, path, method, response):
    """The status is in the operation's response map and the body validates against its schema."""
    responses = _operation(openapi, path, method)["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method.upper()} {path}: {status} not documented ({sorted(responses)})"
    content = responses[status].get("content")
    if content is None:
        return
    schema = content["application/json"]["schema"]
    # The components ride along in the root, so "#/components/schemas/…" resolves inside it.
    validator = Draft202012Validator({**schema, "components": openapi["components"]})
    errors = [e.message for e in validator.iter_errors(response.json())]
    assert errors == [], f"{method.upper()} {path} {status}: {errors[:3]}"


def test_every_operation_documents_401_422_and_400_for_bodies(openapi):
    missing = []
    for path, operations in openapi["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            if op.get("security") and "401" not in codes:
                missing.append(f"{method} {path}: 401")
            if (op.get("parameters") or op.get("requestBody")) and "422" not in codes:
                missing.append(f"{method} {path}: 422")
            if op.get("requestBody") and "400" not in codes:
                missing.append(f"{method} {path}: 400")
    assert missing == []


def test_schema_names_are_unique_across_the_api():
    """Two schemas with one name overwrite each other in components (the grid's and the import's CountsOut
    did: /buildings/{pk} then failed its own documented schema)."""
    from pydantic import BaseModel

    seen, walked = {}, set()

    def walk(model):
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or model in walked:
            return
        walked.add(model)
        if model.__module__.startswith("gongzhi."):  # ninja's own wrappers (params, responses) are not components
            name = model.__name__
            assert seen.setdefault(name, model) is model, f"two schemas named {name}: {seen[name]} and {model}"
        for field in model.model_fields.values():
            for arg in _types_in(field.annotation):
                walk(arg)

    for _prefix, router in ninja_api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.response_models.values():
                    walk(model)
                for model in operation.models:
                    walk(model)


def _types_in(annotation):
    from typing import get_args

    yield annotation
    for arg in get_args(annotation):
        yield from _types_in(arg)


def test_detail_counts_match_the_documented_schema(cast, api, openapi):
    for path, pk in (("/api/v1/buildings/{pk}", cast.B1.pk), ("/api/v1/communities/{pk}", cast.C.pk),
                     ("/api/v1/subdistricts/{pk}", cast.S.pk), ("/api/v1/compounds/{pk}", cast.K1.pk)):
        r = api.get(cast.street_admin, path.replace("{pk}", str(pk)))
        assert r.status_code == 200
        assert_documented(openapi, path, "get", r)
    r = api.get(cast.street_admin, "/api/v1/grid/tree")
    assert_documented(openapi, "/api/v1/grid/tree", "get", r)


def test_401_is_documented_and_has_the_error_shape(client, openapi):
    r = client.get("/api/v1/calendar")
    assert r.status_code == 401
    assert_documented(openapi, "/api/v1/calendar", "get", r)


# ---- 500s found by the fuzzer ------------------------------------------------------------------


@pytest.mark.parametrize("year", ["-132582", "0", "10000", "99999999999999999999999"])
def test_calendar_year_out_of_range_is_422(cast, api, openapi, year):
    r = api.get(cast.street_admin, "/api/v1/calendar", year=year)  # was a 500: date(year, 1, 1) overflowed
    assert r.status_code == 422, r.content
    assert r.json()["field"] == "year"
    assert_documented(openapi, "/api/v1/calendar", "get", r)


def test_calendar_year_in_range_still_answers(cast, api):
    assert api.get(cast.street_admin, "/api/v1/calendar", year="2026").status_code == 200
    assert api.get(cast.street_admin, "/api/v1/calendar").status_code == 200


@pytest.fixture
def appeal(cast):
    return appeal_submit(user=cast.resident1, category=Category.objects.get(code="lift"), description="电梯坏了，困人",
                         compound=cast.K1.pk)


@pytest.mark.parametrize("ref", ["¹", "\x1d¹", "20260101-²", "9" * 30, str(2**63), "0"])
def test_appeal_refs_that_are_not_ids_are_404(cast, api, appeal, ref):
    # "¹".isdigit() is true and int("¹") raises: photos and me-too answered 500.
    from urllib.parse import quote

    path = f"/api/v1/appeals/{quote(ref)}"
    assert api.get(cast.resident1, path).status_code == 404
    assert api.get(cast.resident1, path + "/photos").status_code == 404
    assert api.post(cast.resident1, path + "/me-too").status_code == 404


def test_appeal_numbers_still_resolve(cast, api, appeal):
    assert api.get(cast.resident1, f"/api/v1/appeals/{appeal.number}").json()["id"] == appeal.pk
    assert api.get(cast.resident1, f"/api/v1/appeals/{appeal.pk}/photos").status_code == 200


def test_pk_from_number_and_as_id():
    assert pk_from_number("20261128-12") == 12 and pk_from_number(" 7 ") == 7
    assert [pk_from_number(v) for v in ("¹", "20261128-²", "x", "", "0", str(2**63), "9" * 40)] == [None] * 7
    assert as_id(2**63 - 1) == 2**63 - 1 and as_id(True) is None and as_id("١٢") is None and as_id(None) is None


@pytest.mark.parametrize("param", ["category", "compound"])
def test_appeal_queue_filters_out_of_range_are_422(cast, api, param):
    r = api.get(cast.community_worker, "/api/v1/appeals", **{param: "9" * 20})  # was a 500 (SQLite overflow)
    assert r.status_code == 422 and r.json()["field"] == param


@pytest.mark.parametrize("cursor_json", ["[1e400]", "[" * 3000 + "]" * 3000, "[99999999999999999999]", "[-4]"])
def test_cursors_that_decode_to_nonsense_are_400(cast, api, cursor_json):
    cursor = base64.urlsafe_b64encode(cursor_json.encode()).decode().rstrip("=")
    for path in ("/api/v1/appeals", "/api/v1/notifications"):
        r = api.get(cast.community_worker, path, cursor=cursor)  # 1e400 and deep nesting were 500s
        assert r.status_code == 400, (path, r.content)
        assert r.json()["field"] == "cursor"


@pytest.mark.parametrize("query", ["start=0001-01-01", "end=9999-12-31"])
def test_rates_period_at_the_ends_of_time_is_422(cast, api, query):
    # The first moment of 0001-01-01 in Shanghai does not exist in UTC: the database adapter overflowed.
    r = api.get(cast.street_admin, "/api/v1/appeal-rates?" + query)
    assert r.status_code == 422 and r.json()["field"] == query.split("=")[0]


def test_audit_user_with_a_unicode_digit(cast, api):
    r = api.get(cast.street_admin, "/api/v1/audit?user=%C2%B9")  # "¹".isdigit(): int() raised
    assert r.status_code == 200 and r.json()["count"] == 0


def test_xlsx_export_with_control_characters_in_a_name(cast, api):
    Resident.objects.filter(pk=cast.R1.pk).update(name="张\x01三\x1f")  # the API and forms accept these
    r = api.get(cast.community_worker, "/api/v1/exports/residents.xlsx")  # openpyxl refused the value: 500
    assert r.status_code == 200
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    names = [row[0].value for row in sheet.iter_rows()] + [c.value for row in sheet.iter_rows() for c in row]
    assert "张三" in names
    assert not any(isinstance(v, str) and "\x01" in v for v in names)


# ---- contract: errors in one shape, every answer JSON --------------------------------------------


def test_422_names_the_field_in_the_error_shape(cast, api, openapi):
    r = api.get(cast.community_worker, "/api/v1/residents", q="a\x00b")
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "q" and body["errors"] == {"q": ["不能包含空字符（NUL）"]} and "q:" in body["detail"]
    assert_documented(openapi, "/api/v1/residents", "get", r)
    r = api.post(cast.community_worker, "/api/v1/tags", {"name": "独居", "tags": 1, "code": ["x"]})
    assert r.status_code == 422 and r.json()["field"] == "code"


def test_text_inputs_document_that_nul_is_refused(openapi):
    param = next(p for p in _operation(openapi, "/api/v1/residents", "get")["parameters"] if p["name"] == "q")
    assert param["schema"]["pattern"] == "^[^\\u0000]*$"


@pytest.mark.parametrize("body", ["5", "[]", '"x"', "null", "true", "[1, 2]"])
def test_a_body_that_is_not_an_object_is_400_and_changes_nothing(cast, client, api, body):
    from gongzhi.accounts.models import ApiToken

    _, raw = ApiToken.issue(cast.street_admin, 1)
    before = cast.H1.address
    r = client.patch(f"/api/v1/households/{cast.H1.pk}", body, content_type="application/json",
                     HTTP_AUTHORIZATION=f"Bearer {raw}")  # was 200: ninja read it as an empty object
    assert r.status_code == 400 and r.json()["field"] == "body"
    cast.H1.refresh_from_db()
    assert cast.H1.address == before


def test_unknown_api_urls_are_json_404(cast, api):
    for path in ("/api/v1/imports/-7434821712868", "/api/v1/imports/abc/confirm", "/api/v1/no-such-thing"):
        r = api.get(cast.community_worker, path)  # were Django's HTML 404 page
        assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
        assert r.json()["detail"]


def test_pages_still_get_the_html_404(cast, client):
    client.force_login(cast.street_admin)
    r = client.get("/no-such-page/")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("payload", [{"lat": "¯f±º", "lng": "1"}, {"lat": "1", "lng": "nan"}])
def test_decimal_strings_that_are_not_numbers_are_422(cast, api, openapi, payload):
    data = {"category": "lift", "description": "电梯坏了", "compound_id": cast.K1.pk, **payload}
    before = Appeal.objects.count()
    r = api.post(cast.resident1, "/api/v1/appeals", data)
    assert r.status_code == 422 and r.json()["field"] in ("lat", "lng")
    assert Appeal.objects.count() == before
    for schema in ("AppealIn", "HouseholdIn"):  # the schema says which strings are decimals
        field = "lat" if schema == "AppealIn" else "floor_area"
        branches = openapi["components"]["schemas"][schema]["properties"][field]["anyOf"]
        assert {"type": "string", "pattern": DECIMAL_STRING} in branches


def test_token_form_with_missing_fields_is_the_documented_400(client, db):
    r = client.post("/api/v1/auth/token/form", {"username": "nobody"})  # Form[Text] = "" lost its default: 422
    assert r.status_code == 400 and r.json()["field"] == "password"
