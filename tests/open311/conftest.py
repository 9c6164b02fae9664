"""Open311 on top of the cast: compound polygons, offices, a client with a key, schema validators."""
import json
import re
import xml.etree.ElementTree as ET

import pytest
from jsonschema import Draft4Validator

from gongzhi.appeals.models import Category
from gongzhi.open311 import services

from .schemas import SCHEMAS

BASE = "/open311/v2"
# ISO 8601 with a timezone and without fractional seconds, as the spec wants.
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


@pytest.fixture
def world(grid):
    """The appeals grid (polygons, offices, departments) plus the categories these tests use."""
    grid.hardship = Category.objects.get(code="hardship")  # may not be public
    grid.gas = Category.objects.get(code="gas_leak")
    return grid


@pytest.fixture
def key(world):
    """A client application and its raw API key, issued by the street admin."""
    client = services.client_create(user=world.street_admin, name="兴宁市民通", contact="it@example.cn")
    _key, raw = services.key_issue(user=world.street_admin, client=client)
    world.api_client, world.raw_key = client, raw
    return raw


def _validator(name):
    return Draft4Validator(SCHEMAS[name], format_checker=Draft4Validator.FORMAT_CHECKER)


def _check_datetimes(tree):
    for item in tree if isinstance(tree, list) else [tree]:
        for k, v in item.items():
            if k.endswith("_datetime") and v is not None:
                assert DATETIME.match(v), (k, v)


@pytest.fixture
def schema():
    """schema("requests.json", data): validate against the GeoReport v2 schema (tests/open311/schemas.py) (and check datetimes)."""
    cache = {}

    def check(name, data):
        if name not in cache:
            cache[name] = _validator(name)
        errors = sorted(cache[name].iter_errors(data), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
        _check_datetimes(data)
        return data
    return check


class O311:
    """GET/POST on /open311/v2/ in either format; .json() / .xml() parse the answer."""

    def __init__(self, client):
        self.client = client

    def get(self, path, fmt="json", **params):
        return self.client.get(f"{BASE}/{path}.{fmt}", params)

    def post(self, fmt="json", files=None, **data):
        data = {**data, **(files or {})}
        return self.client.post(f"{BASE}/requests.{fmt}", data)


def as_json(response):
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content.decode("utf-8"))


def as_xml(response):
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)
    assert "}" not in root.tag  # no namespace
    return root


@pytest.fixture
def o311(client):
    return O311(client)
