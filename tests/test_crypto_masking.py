"""ID numbers and phones: validated, encrypted at rest, found by keyed hash, masked everywhere they are shown."""
import datetime
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.core import crypto
from gongzhi.core.identity import (birth_date_from_id, gender_from_id, id_check_digit, mask_id_number, mask_mobile,
                                   mask_name, normalise_id_number, normalise_mobile, validate_id_number,
                                   validate_mobile)
from gongzhi.people.models import Resident

FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
CHECK_CHARS = "0123456789X"


def make_id(first17):
    return first17 + id_check_digit(first17)


MESSAGES = {"id_checksum": "身份证号校验位错误", "id_birthdate": "身份证号中的出生日期无效",
            "id_format": "身份证号应为18位（最后一位可为X）", "mobile_format": "手机号应为11位中国大陆手机号码"}


def _code(exc_info):
    """The refusal's code, once its words are checked: each kind of bad number says what is wrong with it."""
    code = exc_info.value.code
    assert exc_info.value.messages == [MESSAGES[code]]
    return code


# ---- validation -----------------------------------------------------------------------------------


def _full_width(text):
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def test_nothing_typed_normalises_to_nothing():
    assert normalise_id_number("") == "" and normalise_id_number(None) == ""
    assert normalise_mobile("") == "" and normalise_mobile(None) == ""


def test_valid_id_number():
    v = make_id("44148119800101001")
    assert validate_id_number(v) == v
    assert validate_id_number(f"  {v[:6]} {v[6:14]} {v[14:]} ") == v
    assert validate_id_number(_full_width(v)) == v  # typed with a Chinese input method


def test_bad_check_digit():
    v = make_id("44148119800101001")
    wrong = next(c for c in CHECK_CHARS if c != v[-1])
    with pytest.raises(ValidationError) as e:
        validate_id_number(v[:17] + wrong)
    assert _code(e) == "id_checksum"


@pytest.mark.parametrize("birth", ["19900230", "19901301", "20230229", "19800100"])
def test_bad_birth_date(birth):
    with pytest.raises(ValidationError) as e:
        validate_id_number(make_id("441481" + birth + "123"))
    assert _code(e) == "id_birthdate"


@pytest.mark.parametrize("value", ["", "4414811980010100", "44148119800101001", "4414811980010100166",
                                   "44148119800101001Y", "X41481198001010016",
                                   "٤٤١٤٨١١٩٨٠٠١٠١٠٠١٦"])
def test_wrong_length_or_characters(value):
    with pytest.raises(ValidationError) as e:
        validate_id_number(value)
    assert _code(e) == "id_format"


def _first17_with_x_check():
    for seq in range(1000):
        first17 = f"44148119800101{seq:03d}"
        if id_check_digit(first17) == "X":
            return first17
    raise AssertionError("no sequence number gives check digit X")


def test_lower_case_x_is_normalised():
    first17 = _first17_with_x_check()
    assert validate_id_number(first17 + "x") == first17 + "X"


def test_lookup_hash_itself_treats_a_lower_case_x_as_upper_case():
    # Callers normalise first today; the hash must not depend on it, or a caller that forgets would store
    # (or search for) a second key for the same person.
    id_number = _first17_with_x_check() + "X"
    assert crypto.lookup_hash(id_number.lower()) == crypto.lookup_hash(id_number)
    assert crypto.lookup_hash(f" {id_number.lower()} ") == crypto.lookup_hash(id_number)


@pytest.mark.parametrize("value", ["13800135678", "+8613800135678", "+86 138 0013 5678", "0086 13800135678",
                                   "138-0013-5678", " 138 0013 5678 ", "１３８００１３５６７８"])
def test_mobile_accepted_and_normalised(value):
    assert validate_mobile(value) == "13800135678"


@pytest.mark.parametrize("value", ["020-12345678", "075312345678", "2012345678", "12800135678", "1380013567",
                                   "138001356789", "+1 415 555 0100", "1380013567a", ""])
def test_mobile_rejected(value):
    with pytest.raises(ValidationError) as e:
        validate_mobile(value)
    assert _code(e) == "mobile_format"


# ---- masks ----------------------------------------------------------------------------------------


def test_id_mask_hides_birth_date_and_sequence():
    v = make_id("44148119800101001")
    m = mask_id_number(v)
    assert m == "441481********" + v[14:]
    assert len(m) == 18 and "19800101" not in m


def test_phone_mask():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("") == ""


@pytest.mark.parametrize("value,masked", [("", ""), ("4414811980010", "*" * 13), ("12345", "*****"),
                                          ("0753-2221234", "*" * 12)])
def test_a_value_of_another_length_is_masked_whole(value, masked):
    # Not an 18-digit ID number or an 11-digit mobile (an old 15-digit ID, a landline): nothing of it is shown.
    assert mask_id_number(value) == masked
    assert mask_mobile(value) == masked


@pytest.mark.parametrize("name,masked", [("张三丰", "张**"), ("王强", "王*"), ("欧阳娜娜", "欧阳**"), ("欧阳", "欧*"),
                                         ("李", "李*"), (" 司马光 ", "司马*"), ("", ""), (None, "")])
def test_a_name_keeps_its_surname_only(name, masked):
    # Public notices and mediation lists show a surname; a two-character surname stays whole, a lone one is not
    # mistaken for the whole name.
    assert mask_name(name) == masked


@pytest.mark.parametrize("body,birth,gender", [
    ("44148119801231001", datetime.date(1980, 12, 31), "M"), ("44148120021109002", datetime.date(2002, 11, 9), "F"),
    ("44148119691018003", datetime.date(1969, 10, 18), "M"), ("44148120100228008", datetime.date(2010, 2, 28), "F"),
])
def test_birth_date_and_gender_are_read_from_their_digits(body, birth, gender):
    v = make_id(body)
    assert birth_date_from_id(v) == birth and gender_from_id(v) == gender


# ---- at rest --------------------------------------------------------------------------------------


def test_lookup_hash_is_the_stored_digest_of_the_upper_case_value(settings):
    """Digests already stored must stay findable: the same key and value give the same digest, release after
    release (a change of normalisation or key derivation would orphan every stored ID number and phone)."""
    settings.DATA_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # bytes 0..31, urlsafe base64
    assert crypto.lookup_hash("11010519491231002x") == (
        "e5d6ee25a921269799046dd788fbe537d5f6b46e8839a66e198eec0c30f52985")
    assert crypto.lookup_hash("13800135678") == "1787401332dc6d25359254fbea0a1c81ae073b1bcd6960f6cd18fee14856ec3d"
    assert crypto.lookup_hash("") is None


def test_nothing_recorded_stays_nothing():
    """An unrecorded number is stored and read as empty: that is how pages know there is nothing to reveal."""
    assert crypto.encrypt("") == "" and crypto.decrypt("") == ""
    assert crypto.decrypt("not a token") == ""
    assert crypto.decrypt(crypto.encrypt("13800135678")) == "13800135678"


def test_stored_columns_are_not_clear_text(cast):
    clear_id, clear_phone = cast.R1.id_number_clear(), cast.R1.phone_clear()
    assert len(clear_id) == 18 and clear_phone == "13800135678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_enc, id_number_hash, phone_enc, phone_hash, id_number_masked, phone_masked "
                       "FROM people_resident WHERE id = %s", [cast.R1.pk])
        row = cursor.fetchone()
    stored = " ".join(str(c) for c in row)
    assert clear_id not in stored and clear_phone not in stored
    assert clear_id[6:14] not in stored and clear_phone[3:7] not in stored
    id_enc, id_hash, phone_enc, phone_hash, id_masked, phone_masked = row
    assert id_hash == crypto.lookup_hash(clear_id) and phone_hash == crypto.lookup_hash(clear_phone)
    assert id_masked == mask_id_number(clear_id) and phone_masked == "138****5678"
    assert crypto.decrypt(id_enc) == clear_id


def test_encryption_is_randomised_and_keyed(cast, settings):
    a, b = crypto.encrypt("13800135678"), crypto.encrypt("13800135678")
    assert a != b and crypto.decrypt(a) == crypto.decrypt(b) == "13800135678"
    before = crypto.lookup_hash("13800135678")
    from cryptography.fernet import Fernet

    settings.DATA_KEY = Fernet.generate_key().decode()
    assert crypto.lookup_hash("13800135678") != before  # the hash depends on the secret key
    assert crypto.decrypt(a) == ""  # a token under another key does not decrypt


def test_resident_created_through_the_api_is_encrypted(cast, api):
    new_id = make_id("44148119950505123")
    r = api.post(cast.community_worker, "/api/v1/residents",
                 {"household_id": cast.H2.pk, "name": "孙丽", "id_number": new_id.lower(), "phone": "+86 150 1234 5678"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["id_number_masked"] == mask_id_number(new_id) and body["phone_masked"] == "150****5678"
    assert new_id not in r.content.decode() and "15012345678" not in r.content.decode()
    row = Resident.objects.filter(pk=body["id"]).values("id_number_enc", "phone_enc").get()
    assert new_id not in json.dumps(row) and "15012345678" not in json.dumps(row)


# ---- exact lookup through the keyed hash ------------------------------------------------------------


@pytest.mark.parametrize("query", ["13800135678", "+86 138 0013 5678", "138-0013-5678"])
def test_find_by_full_phone(cast, api, query):
    r = api.get(cast.community_worker, "/api/v1/residents", q=query)
    assert r.status_code == 200
    assert [i["id"] for i in r.json()["items"]] == [cast.R1.pk]


def test_find_by_full_id_number_any_case(cast, api):
    first17 = _first17_with_x_check()
    resident = Resident(name="周八", household=cast.H2)
    resident.set_id_number(first17 + "X")
    resident.save()
    for q in (first17 + "X", first17 + "x"):
        r = api.get(cast.community_worker, "/api/v1/residents", q=q)
        assert [i["id"] for i in r.json()["items"]] == [resident.pk]
    r = api.get(cast.community_worker, "/api/v1/residents", q=cast.R1.id_number_clear())
    assert [i["id"] for i in r.json()["items"]] == [cast.R1.pk]


@pytest.mark.parametrize("query", ["1380013567", "0013", "5678", "138****5678"])
def test_partial_numbers_find_nothing(cast, api, query):
    """Only the exact value finds someone: no substring search over phones or ID numbers."""
    r = api.get(cast.community_worker, "/api/v1/residents", q=query)
    assert r.json()["count"] == 0


def test_lookup_stays_inside_scope(cast, api):
    r = api.get(cast.grid_worker, "/api/v1/residents", q=cast.R3.phone_clear())
    assert r.json()["count"] == 0


# ---- no full ID number in any response --------------------------------------------------------------


def _everything_for(cast):
    return [
        "/api/v1/grid/tree", "/api/v1/subdistricts", "/api/v1/communities", "/api/v1/compounds", "/api/v1/buildings",
        "/api/v1/households", "/api/v1/residents", "/api/v1/tags", "/api/v1/organisations", "/api/v1/audit",
        "/api/v1/me", f"/api/v1/households/{cast.H1.pk}", f"/api/v1/residents/{cast.R1.pk}",
        f"/api/v1/organisations/{cast.party.pk}", f"/api/v1/compounds/{cast.K1.pk}",
    ]


# Paths a user may not read at all (404, as anything outside one's scope); every other path must answer 200,
# so the sweep below reads real lists and details rather than passing on refusals.
NOT_THEIRS = {
    "street_admin": set(),
    "community_worker": {"/api/v1/audit"},
    "grid_worker": {"/api/v1/audit"},
    "property1": {"/api/v1/audit"},
    "resident1": {"/api/v1/audit"},
}


@pytest.mark.parametrize("username", ["street_admin", "community_worker", "grid_worker", "property1", "resident1"])
def test_no_full_id_number_in_any_list_or_detail(cast, api, username):
    # Make the audit log hold reveals, creates and updates first: its listing must stay masked too.
    assert api.post(cast.street_admin, f"/api/v1/residents/{cast.R1.pk}/reveal", {"field": "id_number"}).status_code == 200
    assert api.patch(cast.street_admin, f"/api/v1/residents/{cast.R2.pk}",
                     {"id_number": make_id("44148119900404999")}).status_code == 200
    org_member = api.post(cast.street_admin, f"/api/v1/organisations/{cast.party.pk}/members",
                          {"resident_id": cast.R1.pk, "position": "委员"})
    assert org_member.status_code == 201
    user = getattr(cast, username)
    clear = [r.id_number_clear() for r in Resident.objects.all()] + [r.phone_clear() for r in Resident.objects.all()]
    paths = _everything_for(cast)
    read = 0
    for path in paths:
        for q in ("", cast.R1.id_number_clear()):
            r = api.get(user, path, q=q) if q else api.get(user, path)
            body = r.content.decode()
            # 403: finding residents by ID number is not this user's to do (tests/test_identifier_lookup.py).
            refused = bool(q) and path == "/api/v1/residents" and username not in ("street_admin", "community_worker")
            expected = 403 if refused else 404 if path in NOT_THEIRS[username] else 200
            assert r.status_code == expected, (path, q, r.status_code)
            read += r.status_code == 200
            assert not FULL_ID.search(body), (path, body)
            for value in clear:
                assert value not in body, (path, value)
    # At least every path but the audit log, with and without the search: a sweep of refusals proves nothing.
    assert read >= 2 * (len(paths) - 1) - 1, read


# ---- properties over random valid ID numbers --------------------------------------------------------


@st.composite
def id_numbers(draw):
    region = draw(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True))
    birth = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2025, 12, 31)))
    seq = draw(st.integers(min_value=0, max_value=999))
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


@given(id_numbers())
def test_property_validate_and_mask(value):
    assert validate_id_number(value) == value
    assert validate_id_number(value.lower()) == value
    masked = mask_id_number(value)
    assert len(masked) == 18
    assert masked[6:14] == "*" * 8  # positions 7-14 (birth date) never shown
    assert masked[:6] == value[:6] and masked[14:] == value[14:]
    assert not FULL_ID.search(masked)
    with pytest.raises(ValidationError):  # a mask is never mistaken for an ID number
        validate_id_number(masked)


@given(id_numbers())
def test_property_any_other_check_digit_is_rejected(value):
    for c in CHECK_CHARS:
        if c == value[17]:
            continue
        with pytest.raises(ValidationError) as e:
            validate_id_number(value[:17] + c)
        assert e.value.code == "id_checksum"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_property_mobile_mask(value):
    assert validate_mobile(value) == value == normalise_mobile("+86 " + value)
    masked = mask_mobile(value)
    assert masked == value[:3] + "****" + value[7:]
