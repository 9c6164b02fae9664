"""The public listing is read by anyone on the internet: never a full mobile or ID number, even one a
resident typed into a public appeal's text (DOMAIN.md: 低保 公示 leaks are a known failure)."""
import re

import pytest

from gongzhi.appeals.services import appeal_act, appeal_submit
from gongzhi.core.identity import id_check_digit, redact_identifiers

from .conftest import BASE

pytestmark = pytest.mark.django_db

ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID = "44148119800101001" + id_check_digit("44148119800101001")


def test_redact_identifiers():
    text = f"电话13812345678，+86 139-1234-5678，身份证{ID}，房号1301，订单号20261128123456789012"
    out = redact_identifiers(text)
    assert not MOBILE_RE.search(out) and ID not in out
    assert "138****5678" in out and "441481********1001"[:6] in out
    assert "房号1301" in out and "20261128123456789012" in out  # other numbers are left alone
    assert redact_identifiers("") == "" and redact_identifiers(None) == ""


def test_public_listing_masks_identifiers_typed_into_the_text(world, client):
    g = world
    a = appeal_submit(user=g.resident1, category=g.lighting, compound=g.K1, is_public=True,
                      description=f"路灯坏了，请联系我13812345678，身份证{ID}", address="1栋旁 电话 13912345678")
    appeal_act(user=g.community_worker, appeal=a, action="dispatch", handler=g.office.pk)
    appeal_act(user=g.community_worker, appeal=a, action="take")
    appeal_act(user=g.community_worker, appeal=a, action="resolve", note="已修复，已电话13812345678告知")
    for url in (f"{BASE}/requests.json", f"{BASE}/requests.xml", f"{BASE}/requests/{a.number}.json"):
        body = client.get(url).content.decode()
        assert "路灯坏了" in body and "138****5678" in body
        assert not MOBILE_RE.search(body) and not ID_RE.search(body), url


# Issue 7, item 3: each was published in clear by GET /open311/v2/requests/{id}.json.
BYPASSES = ["ID440102199001011237号", "身份证 440102 19900101 1237", "440102-19900101-1237", "139.1234.5678",
            "(139)1234-5678", "139/1234/5678", "phone:8613912345678", "139\u200b12345678"]


def read_as_a_person(text):
    import unicodedata

    return re.sub(r"[\s\-./()\u200b-\u200d\u2060\ufeff]", "", unicodedata.normalize("NFKC", text))


@pytest.mark.parametrize("typed", BYPASSES)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_listed_bypasses_are_published_masked(world, client, typed, fmt):
    a = appeal_submit(user=world.resident1, category=world.lighting, compound=world.K1, is_public=True,
                      description=f"路灯坏了，{typed}", address=typed)
    body = client.get(f"{BASE}/requests/{a.number}.{fmt}").content.decode()
    assert "路灯坏了" in body
    plain = read_as_a_person(body)
    assert "13912345678" not in plain and "44010219900101" not in plain
    assert ("139****5678" if "139" in typed else "440102********1237") in body
