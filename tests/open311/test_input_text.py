"""Open311: text that cannot be stored is refused in the spec's error format, naming the field (issue 7, item 8).

A lone surrogate in a JSON post was a 500; invalid UTF-8 in a form-encoded or multipart post (a CESU-8
surrogate, %ED%A0%80, included) was filed as a public appeal whose description held U+FFFD. Every
argument of the GeoReport v2 calls, in each encoding a client may use (see tests/textsweep.py for the
kinds of bad text).
"""
import json
from urllib.parse import quote

import pytest

from gongzhi.core.text import malformed_message, nul_message
from textsweep import VARIANTS, database_state, multipart

from .conftest import BASE, as_json

pytestmark = pytest.mark.django_db

# The arguments of POST Service Request (GeoReport v2), and api_key.
POST_FIELDS = ["api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id", "email",
               "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
               "attribute[WHISPER]"]
# The arguments of GET Service Requests.
GET_FIELDS = ["service_request_id", "service_code", "start_date", "end_date", "status", "jurisdiction_id"]


def valid(key):
    return {"api_key": key, "service_code": "lift", "description": "3栋电梯停在8楼不动", "lat": "24.1402",
            "long": "115.7301"}


def _post(client, key, encoding, field, variant):
    """POST requests.json with `variant` in `field`; None when the encoding cannot carry it."""
    data = {k: v for k, v in valid(key).items() if k != field}
    url = f"{BASE}/requests.json"
    if encoding == "form-encoded":
        body = "&".join(f"{quote(k)}={quote(v)}" for k, v in data.items()) + f"&{quote(field)}=a{variant['percent']}"
        return client.generic("POST", url, body, content_type="application/x-www-form-urlencoded")
    if encoding == "multipart":
        raw = variant["raw"] if variant["raw"] is not None else b"\x00"
        parts = [(k, v.encode(), None) for k, v in data.items()] + [(field, b"a" + raw, None)]
        body, content_type = multipart(parts)
        return client.generic("POST", url, body, content_type=content_type)
    bad = variant["raw"] if variant["raw"] is not None else variant["escape"].encode()
    body = json.dumps(data).encode()[:-1] + b', "%s": "a%s"}' % (field.encode(), bad)
    return client.generic("POST", url, body, content_type="application/json")


@pytest.mark.parametrize("encoding", ["form-encoded", "multipart", "JSON"])
def test_bad_text_in_every_argument_of_a_post_is_400_naming_it(world, key, client, encoding):
    before = database_state()
    wrong = []
    for field in POST_FIELDS:
        for label, variant in VARIANTS.items():
            r = _post(client, key, encoding, field, variant)
            message = nul_message() if variant["nul"] else malformed_message()
            answer = (r.status_code, as_json(r)) if r["Content-Type"].startswith("application/json") else r.status_code
            if answer != (400, [{"code": 400, "description": f"{field}: {message}"}]):
                wrong.append(f"{field} ({label}): {answer}")
    assert wrong == []
    assert database_state() == before


def test_bad_text_in_every_argument_of_a_query_is_400_naming_it(world, key, client):
    wrong = []
    for field in GET_FIELDS:
        for label, variant in VARIANTS.items():
            r = client.get(f"{BASE}/requests.json?{field}=a{variant['percent']}")
            message = nul_message() if variant["nul"] else malformed_message()
            if (r.status_code, as_json(r)) != (400, [{"code": 400, "description": f"{field}: {message}"}]):
                wrong.append(f"{field} ({label}): {r.status_code} {r.content[:200]}")
    assert wrong == []


def test_the_issue_post_is_400_and_files_nothing(world, key, client):
    from gongzhi.appeals.models import Appeal

    body = json.dumps({**valid(key), "description": "路灯\ud800不亮"})  # json.dumps writes the \ud800 escape
    r = client.post(f"{BASE}/requests.json", body, content_type="application/json")
    assert (r.status_code, as_json(r)) == (400, [{"code": 400, "description": f"description: {malformed_message()}"}])
    r = client.post(f"{BASE}/requests.xml", f"api_key={key}&service_code=lift&lat=24.1402&long=115.7301"
                    "&description=%ED%A0%80", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and f"description: {malformed_message()}" in r.content.decode()
    assert Appeal.objects.count() == 0


def test_text_beyond_the_basic_plane_is_filed(world, key, o311):
    r = o311.post(**{**valid(key), "description": "电梯坏了𠀀"})
    assert r.status_code == 200, r.content
