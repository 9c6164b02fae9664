"""Finding residents by a full ID number or mobile (issue 7, item 1): a right of its own, audited, limited.

The attack it stops: a grid worker sees 441481********0152 and an exact age,
and tries the few dozen ID numbers that fit until the search finds the
resident; property staff try the 10,000 mobiles that fit 138****5678.
"""
import json
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_id
from gongzhi.accounts.models import ApiToken, Role, RoleAssignment
from gongzhi.accounts.capabilities import discover
from gongzhi.people.capability import FIND_BY_ID, FIND_BY_PHONE, REVEAL_ID, REVEAL_PHONE
from gongzhi.core import crypto
from gongzhi.core.models import AuditAction, AuditEntry
from gongzhi.people import lookup
from gongzhi.people.presenter import age as _age

UNREGISTERED_ID = make_id("44148119800101002")  # R1's region, birth date and gender; nobody holds it
UNREGISTERED_PHONE = "13800130000"
NO_RIGHT_ID = "按身份证号查找居民需要查看身份证号明文的权限，您的角色没有该权限；请按姓名或地址查找。"
NO_RIGHT_PHONE = "按手机号查找居民需要查看手机号明文的权限，您的角色没有该权限；请按姓名或地址查找。"


class Bearer:
    """One token per user, so that two requests differ only in what they ask."""

    def __init__(self, client, user):
        self.client, self.header = client, {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 1)[1]}"}

    def get(self, path, **params):
        return self.client.get(path, params, **self.header)


def _shape(queries):
    """The statements run, with every literal taken out: what a hit and a miss must share."""
    return [re.sub(r"\b\d+\b", "N", re.sub(r"'(?:[^']|'')*'", "?", q["sql"])) for q in queries]


def _without_csrf(response):
    """A page less its CSRF tokens, which differ on every response."""
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", response.content.decode())


def _lookups(user):
    return list(AuditEntry.objects.filter(user=user, action=AuditAction.LOOKUP).order_by("id"))


# ---- the right --------------------------------------------------------------------------------------


def test_finding_by_an_identifier_is_granted_exactly_with_its_reveal():
    held = discover().role_actions()
    for role, actions in held.items():
        assert (FIND_BY_ID in actions) == (REVEAL_ID in actions), role
        assert (FIND_BY_PHONE in actions) == (REVEAL_PHONE in actions), role
    holders = {role for role, actions in held.items() if FIND_BY_ID in actions}
    assert holders == {Role.SUBDISTRICT_ADMIN, Role.COMMUNITY_WORKER}


# ---- without the right, a registered number and an unregistered one look the same ----------------


@pytest.mark.parametrize("who,registered,unregistered,message", [
    ("grid_worker", "R1.id", UNREGISTERED_ID, NO_RIGHT_ID),        # R1 lives in the grid worker's own compound
    ("property1", "R1.id", UNREGISTERED_ID, NO_RIGHT_ID),
    ("property1", "R1.phone", UNREGISTERED_PHONE, NO_RIGHT_PHONE),
    ("resident1", "R1b.phone", UNREGISTERED_PHONE, NO_RIGHT_PHONE),  # their own spouse
], ids=["grid_worker-id", "property1-id", "property1-phone", "resident1-phone"])
def test_api_search_without_the_right_answers_the_same_for_a_hit_and_a_miss(client, cast, who, registered,
                                                                             unregistered, message):
    person, field = registered.split(".")
    resident = getattr(cast, person)
    number = resident.id_number_clear() if field == "id" else resident.phone_clear()
    bearer = Bearer(client, getattr(cast, who))
    bearer.get("/api/v1/residents", q="张")  # the token's first use writes to it; not part of the comparison
    answers = []
    for term in (number, unregistered):
        with CaptureQueriesContext(connection) as ctx:
            r = bearer.get("/api/v1/residents", q=term)
        answers.append((r.status_code, r.content, _shape(ctx.captured_queries)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 403
    assert json.loads(answers[0][1]) == {"detail": message, "field": "q", "errors": {"q": [message]}}
    # Nothing about residents was read: the only statements are the token's and the audit row's.
    assert not any("people_resident" in sql for sql in answers[0][2])


@pytest.mark.parametrize("who,term", [("grid_worker", "R1.id"), ("property1", "R1.phone"), ("property1", "R1.id")])
def test_search_page_without_the_right_answers_the_same_for_a_hit_and_a_miss(client, cast, who, term):
    person, field = term.split(".")
    resident = getattr(cast, person)
    number, other = ((resident.id_number_clear(), UNREGISTERED_ID) if field == "id"
                     else (resident.phone_clear(), UNREGISTERED_PHONE))
    client.force_login(getattr(cast, who))
    hit, miss = (client.get("/people/search/", {"q": t}) for t in (number, other))
    assert hit.status_code == miss.status_code == 200
    assert _without_csrf(hit) == _without_csrf(miss)
    body = hit.content.decode()
    assert (NO_RIGHT_ID if field == "id" else NO_RIGHT_PHONE) in body and resident.name not in body


def test_a_right_held_elsewhere_finds_nothing_outside_its_scope(cast, api):
    """A grid worker of K1 may find by phone in K1 only: R2's number (K2) answers as an unregistered one."""
    for term in (cast.R2.phone_clear(), UNREGISTERED_PHONE):
        r = api.get(cast.grid_worker, "/api/v1/residents", q=term)
        assert r.status_code == 200 and r.json() == {"count": 0, "items": []}
    r = api.get(cast.grid_worker, "/api/v1/residents", q=cast.R1.phone_clear())
    assert [i["id"] for i in r.json()["items"]] == [cast.R1.pk]


def test_hits_are_limited_to_the_scope_of_the_find_right_not_of_the_view(cast, api):
    """Grid worker of K1 and property staff of K1 and K2: sees residents of both, finds by phone in K1 only."""
    both = cast.grid_worker
    RoleAssignment.objects.create(user=both, role=Role.PROPERTY_STAFF, organisation=cast.property_co)
    assert api.get(both, "/api/v1/residents", compound=cast.K2.pk).json()["count"] == 1  # R2 is in view
    r = api.get(both, "/api/v1/residents", q=cast.R2.phone_clear())
    assert (r.status_code, r.json()) == (200, {"count": 0, "items": []})
    assert _lookups(both)[0].changes["hits"] == 0


# ---- with the right: found, and audited without the number ----------------------------------------


@pytest.mark.parametrize("who,term,field,found", [
    ("community_worker", "R1.id", "id_number", ["R1"]),
    ("community_worker", "R2.phone", "phone", ["R2"]),
    ("street_admin", "R3.id", "id_number", ["R3"]),
    ("grid_worker", "R1b.phone", "phone", ["R1b"]),
    ("community_worker", "R3.id", "id_number", []),  # R3 lives in another community
])
def test_search_by_identifier_finds_and_is_audited_without_the_number(cast, api, who, term, field, found):
    person, kind = term.split(".")
    resident = getattr(cast, person)
    number = resident.id_number_clear() if kind == "id" else resident.phone_clear()
    user = getattr(cast, who)
    r = api.get(user, "/api/v1/residents", q=number)
    assert r.status_code == 200
    assert [i["id"] for i in r.json()["items"]] == [getattr(cast, p).pk for p in found]
    [entry] = _lookups(user)
    assert entry.success is True and entry.username == user.username and entry.detail == ""
    assert entry.changes == {"field": field, "term_hash": crypto.lookup_hash(number), "via": "search",
                             "hits": len(found)}
    assert number not in json.dumps([str(v) for v in AuditEntry.objects.values()], ensure_ascii=False)


def test_the_term_is_normalised_before_it_is_hashed(cast, api):
    spaced = "+86 138-0013\u200b5678"
    full_width_id = cast.R1.id_number_clear().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for term in (spaced, full_width_id):
        r = api.get(cast.community_worker, "/api/v1/residents", q=term)
        assert [i["id"] for i in r.json()["items"]] == [cast.R1.pk]
    hashes = [e.changes["term_hash"] for e in _lookups(cast.community_worker)]
    assert hashes == [crypto.lookup_hash("13800135678"), crypto.lookup_hash(cast.R1.id_number_clear())]


def test_a_refused_search_is_audited_without_the_number(cast, api):
    api.get(cast.property1, "/api/v1/residents", q=cast.R1.id_number_clear())
    [entry] = _lookups(cast.property1)
    assert entry.success is False and entry.detail == "no_right"
    assert entry.changes == {"field": "id_number", "term_hash": cast.R1.id_number_hash, "via": "search"}
    assert cast.R1.id_number_clear() not in json.dumps([str(v) for v in AuditEntry.objects.values()])


@pytest.mark.parametrize("who", ["community_worker", "property1", "grid_worker"])
@pytest.mark.parametrize("part", ["5678", "138****5678", "1380013", "0013567", "441481", "19800101", "0101001",
                                  "441481********", "4414811980"])
def test_part_of_a_number_matches_nothing(cast, api, who, part):
    """Only a whole number is an identifier lookup; anything shorter matches names and addresses only."""
    r = api.get(getattr(cast, who), "/api/v1/residents", q=part)
    assert r.status_code == 200 and r.json() == {"count": 0, "items": []}
    assert _lookups(getattr(cast, who)) == []


# ---- the limit --------------------------------------------------------------------------------------


def test_the_limit_trips_at_the_configured_count_and_frees_with_the_window(cast, api, client, settings, monkeypatch):
    settings.IDENTIFIER_LOOKUP_LIMIT = 3
    settings.IDENTIFIER_LOOKUP_WINDOW_MINUTES = 10
    worker = cast.community_worker
    message = "按证件号码或手机号查找过于频繁：每10分钟最多3次，请10分钟后再试。"
    for term in (cast.R1.phone_clear(), UNREGISTERED_ID, cast.R2.id_number_clear()):
        assert api.get(worker, "/api/v1/residents", q=term).status_code == 200
    r = api.get(worker, "/api/v1/residents", q=cast.R1.id_number_clear())
    assert r.status_code == 429 and r["Retry-After"] == "600"
    assert r.json() == {"detail": message, "field": "q", "errors": {"q": [message]}}
    client.force_login(worker)
    page = client.get("/people/search/", {"q": cast.R1.id_number_clear()}).content.decode()
    assert message in page and "张伟" not in page
    # Name searches go on as before.
    assert [i["id"] for i in api.get(worker, "/api/v1/residents", q="张伟").json()["items"]] == [cast.R1.pk]
    entries = _lookups(worker)
    assert [(e.success, e.detail) for e in entries] == [(True, "")] * 3 + [(False, "over_limit")] * 2
    assert entries[3].changes == {"field": "id_number", "term_hash": cast.R1.id_number_hash, "via": "search"}
    # Another user's count is their own.
    assert api.get(cast.street_admin, "/api/v1/residents", q=cast.R1.id_number_clear()).status_code == 200
    # Once the first lookups have left the window, the user may look up again.
    later = timezone.now() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(lookup.timezone, "now", lambda: later)
    r = api.get(worker, "/api/v1/residents", q=cast.R1.id_number_clear())
    assert [i["id"] for i in r.json()["items"]] == [cast.R1.pk]


def test_the_count_is_shared_by_every_process(cast, api, settings):
    """Lookups another app-server process served are in the audit log, and count here."""
    settings.IDENTIFIER_LOOKUP_LIMIT = 2
    for _ in range(2):  # as the other process wrote them
        AuditEntry.objects.create(user=cast.community_worker, username="community_worker", action=AuditAction.LOOKUP,
                                  changes={"field": "phone", "term_hash": "x", "via": "search", "hits": 0})
    r = api.get(cast.community_worker, "/api/v1/residents", q=cast.R1.phone_clear())
    assert r.status_code == 429


# ---- age: a band for whoever may not reveal the ID number ------------------------------------------


def _band(born):
    age = _age(born, timezone.localdate())
    return "60+" if age >= 60 else f"{age // 10 * 10}-{age // 10 * 10 + 9}"


@pytest.mark.parametrize("who,exact", [("community_worker", True), ("street_admin", True), ("grid_worker", False),
                                       ("property1", False), ("resident1", False)])
def test_age_is_exact_only_with_the_right_to_reveal_the_id(cast, api, who, exact):
    user = getattr(cast, who)
    today = timezone.localdate()
    born = {cast.R1.pk: date(1980, 1, 1), cast.R1b.pk: date(1982, 2, 2)}  # as their ID numbers say
    for r in (cast.R1, cast.R1b):
        r.birth_date = born[r.pk]
        r.save()
    detail = api.get(user, f"/api/v1/residents/{cast.R1.pk}").json()
    members = api.get(user, f"/api/v1/households/{cast.H1.pk}").json()["members"]
    listed = api.get(user, "/api/v1/residents", household=cast.H1.pk).json()["items"]
    for row in [detail] + members + listed:
        birth = born[row["id"]]
        assert row["age_band"] == _band(birth)
        assert row["age"] == (_age(birth, today) if exact else None)


def test_the_elderly_share_one_band(cast, api):
    cast.R1.birth_date = timezone.localdate().replace(year=timezone.localdate().year - 91)
    cast.R1.save()
    r = api.get(cast.property1, f"/api/v1/residents/{cast.R1.pk}")
    assert (r.json()["age"], r.json()["age_band"]) == (None, "60+")


def test_the_openapi_document_says_so(client):
    schema = client.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/residents"]["get"]
    assert {"403", "429"} <= set(op["responses"])
    out = schema["components"]["schemas"]["ResidentOut"]["properties"]
    assert "age_band" in out and "reveal" in out["age"]["description"]
