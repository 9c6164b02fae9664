"""Households, residents and tags over JSON: filters, writes, validation, masking, sensitive tags."""
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.models import User
from gongzhi.core.identity import id_check_digit
from gongzhi.grid.models import Household
from gongzhi.people.presenter import age as _age
from gongzhi.people.models import Resident, Tag


def make_id(first17):
    return first17 + id_check_digit(first17)


def _ids(response):
    assert response.status_code == 200, response.content
    return [i["id"] for i in response.json()["items"]]


def _field_error(response, field, status=400):
    assert response.status_code == status, response.content
    body = response.json()
    if status == 400:
        assert body["field"] == field and field in body["errors"] and body["detail"]
    else:  # pydantic's 422 names the field in the location
        assert field in str(body)
    return body


# ---- households ----------------------------------------------------------------------------------


def test_household_list_filters(cast, api):
    u = cast.street_admin
    assert _ids(api.get(u, "/api/v1/households", compound=cast.K1.pk)) == [cast.H1.pk, cast.H1b.pk]
    assert _ids(api.get(u, "/api/v1/households", building=cast.B2.pk)) == [cast.H2.pk]
    assert _ids(api.get(u, "/api/v1/households", q="东风")) == [cast.H3.pk]
    assert _ids(api.get(u, "/api/v1/households", q="102")) == [cast.H1b.pk]
    item = api.get(u, "/api/v1/households", compound=cast.K1.pk).json()["items"][0]
    assert item["floor_area"] == "98.50" and item["tenure"] == "owner" and item["tenure_label"] == "业主自住"
    assert item["member_count"] == 2 and item["compound_name"] == "宁江新城一期"


def test_household_list_filter_cannot_widen_scope(cast, api):
    assert _ids(api.get(cast.grid_worker, "/api/v1/households", compound=cast.K3.pk)) == []


def test_household_detail_members_only_with_resident_view(cast, api):
    staff = api.get(cast.grid_worker, f"/api/v1/households/{cast.H1.pk}").json()
    assert {m["name"] for m in staff["members"]} == {"张伟", "李娜"}
    assert staff["member_count"] == 2
    owners = api.get(cast.owners1, f"/api/v1/households/{cast.H1.pk}").json()
    assert owners["members"] is None and owners["member_count"] == 2


def test_household_create_and_patch(cast, api):
    r = api.post(cast.grid_worker, "/api/v1/households",
                 {"building_id": cast.B1.pk, "code": "301", "address": "宁江新城一期1栋301", "floor_area": "89.456",
                  "tenure": "tenant"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["floor_area"] == "89.46" and body["tenure"] == "tenant" and body["members"] == []
    h = Household.objects.get(pk=body["id"])
    assert h.building == cast.B1

    r = api.patch(cast.grid_worker, f"/api/v1/households/{h.pk}", {"floor_area": None, "address": " 新地址 "})
    assert r.status_code == 200
    h.refresh_from_db()
    assert h.floor_area is None and h.address == "新地址" and h.tenure == "tenant" and h.code == "301"


@pytest.mark.parametrize("payload,field,status", [
    ({"code": "101"}, "code", 400),  # already in this building
    ({"code": ""}, "code", 400),
    ({"address": "   "}, "address", 400),
    ({"floor_area": "-3"}, "floor_area", 400),
    ({"floor_area": "0"}, "floor_area", 400),
    ({"floor_area": "1e9"}, "floor_area", 400),
    ({"floor_area": "abc"}, "floor_area", 422),
    ({"floor_area": "NaN"}, "floor_area", 422),
    ({"tenure": "squatter"}, "tenure", 400),
    ({"building_id": "x"}, "building_id", 422),
])
def test_household_create_validation(cast, api, payload, field, status):
    data = {"building_id": cast.B1.pk, "code": "501", "address": "宁江新城一期1栋501", **payload}
    before = Household.objects.count()
    _field_error(api.post(cast.community_worker, "/api/v1/households", data), field, status)
    assert Household.objects.count() == before


def test_household_create_missing_field_is_named(cast, api):
    _field_error(api.post(cast.community_worker, "/api/v1/households", {"building_id": cast.B1.pk, "code": "7"}),
                 "address", 422)


def test_household_create_in_building_out_of_scope(cast, api):
    r = api.post(cast.grid_worker, "/api/v1/households", {"building_id": cast.B3.pk, "code": "9", "address": "x"})
    assert r.status_code == 404 and r.json()["field"] == "building_id"
    r = api.post(cast.grid_worker, "/api/v1/households", {"building_id": 424242, "code": "9", "address": "x"})
    assert r.status_code == 404 and r.json()["field"] == "building_id"


def test_household_patch_needs_change_right(cast, api):
    assert api.patch(cast.property1, f"/api/v1/households/{cast.H1.pk}", {"tenure": "vacant"}).status_code == 404
    assert api.patch(cast.grid_worker, f"/api/v1/households/{cast.H2.pk}", {"tenure": "vacant"}).status_code == 404
    cast.H1.refresh_from_db()
    assert cast.H1.tenure == "owner"


def test_household_patch_duplicate_code(cast, api):
    _field_error(api.patch(cast.grid_worker, f"/api/v1/households/{cast.H1b.pk}", {"code": "101"}), "code")


# ---- residents -----------------------------------------------------------------------------------


def test_resident_list_is_masked_and_filterable(cast, api):
    u = cast.community_worker
    body = api.get(u, "/api/v1/residents").json()
    r1 = next(i for i in body["items"] if i["id"] == cast.R1.pk)
    assert r1["phone_masked"] == "138****5678"
    assert r1["id_number_masked"] == cast.R1.id_number_clear()[:6] + "********" + cast.R1.id_number_clear()[14:]
    assert "phone" not in r1 and "id_number" not in r1 and "birth_date" not in r1
    assert r1["household"] == {"id": cast.H1.pk, "code": "101", "address": "宁江新城一期1栋101"}
    assert r1["compound_id"] == cast.K1.pk and r1["relation_label"] == "户主"

    assert _ids(api.get(u, "/api/v1/residents", q="李")) == [cast.R1b.pk]
    assert _ids(api.get(u, "/api/v1/residents", q="二期")) == [cast.R2.pk]
    assert _ids(api.get(u, "/api/v1/residents", household=cast.H1b.pk)) == [cast.R1c.pk]
    assert _ids(api.get(u, "/api/v1/residents", compound=cast.K2.pk)) == [cast.R2.pk]
    assert _ids(api.get(u, "/api/v1/residents", compound=cast.K3.pk)) == []
    assert _ids(api.get(u, "/api/v1/residents", q="刘洋")) == []  # R3 is outside C


def test_resident_list_by_tag(cast, api):
    cast.R1.tags.add(cast.tag_elderly)
    cast.R2.tags.add(cast.tag_elderly)
    assert _ids(api.get(cast.grid_worker, "/api/v1/residents", tag="elderly_alone")) == [cast.R1.pk]
    assert _ids(api.get(cast.community_worker, "/api/v1/residents", tag="elderly_alone")) == [cast.R1.pk, cast.R2.pk]
    assert _ids(api.get(cast.community_worker, "/api/v1/residents", tag="no-such-tag")) == []


def test_sensitive_tags_only_for_those_who_may_reveal_the_id(cast, api):
    cast.R1.tags.add(cast.tag_dibao, cast.tag_elderly)

    def tags(user):
        item = api.get(user, f"/api/v1/residents/{cast.R1.pk}").json()
        return {t["code"] for t in item["tags"]}

    assert tags(cast.community_worker) == {"dibao", "elderly_alone"}
    assert tags(cast.street_admin) == {"dibao", "elderly_alone"}
    assert tags(cast.grid_worker) == {"elderly_alone"}
    assert tags(cast.property1) == {"elderly_alone"}
    assert tags(cast.resident1) == {"elderly_alone"}
    listed = api.get(cast.property1, "/api/v1/residents").json()["items"]
    assert all(t["code"] != "dibao" for i in listed for t in i["tags"])
    household = api.get(cast.grid_worker, f"/api/v1/households/{cast.H1.pk}").json()
    assert all(t["code"] != "dibao" for m in household["members"] for t in m["tags"])
    # Searching by the sensitive tag must not reveal who carries it either.
    assert _ids(api.get(cast.property1, "/api/v1/residents", tag="dibao")) == []
    assert _ids(api.get(cast.grid_worker, "/api/v1/residents", tag="dibao")) == []
    assert _ids(api.get(cast.community_worker, "/api/v1/residents", tag="dibao")) == [cast.R1.pk]
    # The tag list hides it too.
    assert "dibao" not in {t["code"] for t in api.get(cast.grid_worker, "/api/v1/tags").json()["items"]}
    assert "dibao" in {t["code"] for t in api.get(cast.community_worker, "/api/v1/tags").json()["items"]}


def test_tag_edit_without_reveal_right_keeps_hidden_sensitive_tags(cast, api):
    cast.R1.tags.add(cast.tag_dibao)
    r = api.patch(cast.grid_worker, f"/api/v1/residents/{cast.R1.pk}", {"tags": ["elderly_alone"]})
    assert r.status_code == 200, r.content
    assert {t["code"] for t in r.json()["tags"]} == {"elderly_alone"}
    assert set(cast.R1.tags.values_list("code", flat=True)) == {"dibao", "elderly_alone"}
    r = api.patch(cast.grid_worker, f"/api/v1/residents/{cast.R1.pk}", {"tags": []})
    assert set(cast.R1.tags.values_list("code", flat=True)) == {"dibao"}
    # …and cannot set one.
    _field_error(api.patch(cast.grid_worker, f"/api/v1/residents/{cast.R1c.pk}", {"tags": ["dibao"]}), "tags")
    assert not cast.R1c.tags.exists()
    r = api.patch(cast.community_worker, f"/api/v1/residents/{cast.R1c.pk}", {"tags": ["dibao"]})
    assert r.status_code == 200 and [t["code"] for t in r.json()["tags"]] == ["dibao"]


def test_resident_create(cast, api):
    new_id = make_id("44148120100606123")
    r = api.post(cast.grid_worker, "/api/v1/residents",
                 {"household_id": cast.H1b.pk, "name": " 王小明 ", "id_number": new_id, "phone": "13612345678",
                  "relation": "child", "note": "放学后独自在家", "tags": ["elderly_alone"]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["name"] == "王小明" and body["gender"] == ("M" if int(new_id[16]) % 2 else "F")
    # A grid worker may not reveal the ID number, so the age comes as a ten-year band only.
    age = _age(date(2010, 6, 6), timezone.localdate())
    assert body["age"] is None and body["age_band"] == f"{age // 10 * 10}-{age // 10 * 10 + 9}"
    assert body["phone_masked"] == "136****5678"
    assert body["note"] == "放学后独自在家" and [t["code"] for t in body["tags"]] == ["elderly_alone"]
    assert body["can_reveal_phone"] is True and body["can_reveal_id"] is False
    resident = Resident.objects.get(pk=body["id"])
    assert resident.household == cast.H1b and resident.id_number_clear() == new_id


@pytest.mark.parametrize("payload,field", [
    ({"name": "  "}, "name"),
    ({"name": "名" * 51}, "name"),
    ({"id_number": "441481198001010010"}, "id_number"),
    ({"id_number": make_id("44148119800101001")}, "id_number"),  # R1's: already registered
    ({"phone": "020-12345678"}, "phone"),
    ({"relation": "boss"}, "relation"),
    ({"tags": ["unknown"]}, "tags"),
    ({"note": "长" * 501}, "note"),
])
def test_resident_create_validation_writes_nothing(cast, api, payload, field):
    data = {"household_id": cast.H1.pk, "name": "新居民", "phone": "13698765432", **payload}
    before = Resident.objects.count()
    _field_error(api.post(cast.community_worker, "/api/v1/residents", data), field)
    assert Resident.objects.count() == before


@pytest.mark.parametrize("payload,field", [
    ({"name": 12}, "name"),
    ({"tags": "elderly_alone"}, "tags"),
    ({"household_id": None}, "household_id"),
])
def test_resident_create_type_errors_are_named(cast, api, payload, field):
    data = {"household_id": cast.H1.pk, "name": "新居民", **payload}
    _field_error(api.post(cast.community_worker, "/api/v1/residents", data), field, 422)


def test_resident_create_out_of_scope_household(cast, api):
    r = api.post(cast.grid_worker, "/api/v1/residents", {"household_id": cast.H2.pk, "name": "越界"})
    assert r.status_code == 404 and r.json()["field"] == "household_id"
    r = api.post(cast.property1, "/api/v1/residents", {"household_id": cast.H1.pk, "name": "越权"})
    assert r.status_code == 404
    assert not Resident.objects.filter(name__in=["越界", "越权"]).exists()


def test_resident_patch_and_move(cast, api):
    r = api.patch(cast.community_worker, f"/api/v1/residents/{cast.R1c.pk}",
                  {"household_id": cast.H2.pk, "relation": "tenant", "phone": ""})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["household"]["id"] == cast.H2.pk and body["phone_masked"] == "" and body["can_reveal_phone"] is False
    cast.R1c.refresh_from_db()
    assert cast.R1c.household == cast.H2 and cast.R1c.phone_hash is None
    # A grid worker of K1 may not move someone out of their grid, nor edit someone outside it.
    r = api.patch(cast.grid_worker, f"/api/v1/residents/{cast.R1.pk}", {"household_id": cast.H2.pk})
    assert r.status_code == 404 and r.json()["field"] == "household_id"
    assert api.patch(cast.grid_worker, f"/api/v1/residents/{cast.R2.pk}", {"name": "x"}).status_code == 404
    cast.R1.refresh_from_db()
    assert cast.R1.household == cast.H1


def test_resident_patch_validation(cast, api):
    _field_error(api.patch(cast.grid_worker, f"/api/v1/residents/{cast.R1.pk}", {"id_number": "123"}), "id_number")
    _field_error(api.patch(cast.grid_worker, f"/api/v1/residents/{cast.R1.pk}",
                           {"id_number": cast.R2.id_number_clear()}), "id_number")
    body = _field_error(api.patch(cast.grid_worker, f"/api/v1/residents/{cast.R1.pk}",
                                  {"name": "", "phone": "12"}), "name")
    assert set(body["errors"]) == {"name", "phone"}
    cast.R1.refresh_from_db()
    assert cast.R1.name == "张伟" and cast.R1.phone_clear() == "13800135678"


def test_resident_delete(cast, api):
    assert api.delete(cast.property1, f"/api/v1/residents/{cast.R1c.pk}").status_code == 404
    assert api.delete(cast.grid_worker, f"/api/v1/residents/{cast.R2.pk}").status_code == 404
    assert Resident.objects.filter(pk__in=[cast.R1c.pk, cast.R2.pk]).count() == 2
    assert api.delete(cast.grid_worker, f"/api/v1/residents/{cast.R1c.pk}").status_code == 204
    assert api.get(cast.grid_worker, f"/api/v1/residents/{cast.R1c.pk}").status_code == 404


def test_reveal(cast, api):
    r = api.post(cast.grid_worker, f"/api/v1/residents/{cast.R1.pk}/reveal", {"field": "phone"})
    assert r.json() == {"field": "phone", "value": "13800135678"}
    r = api.post(cast.community_worker, f"/api/v1/residents/{cast.R1.pk}/reveal", {"field": "id_number"})
    assert r.json()["value"] == cast.R1.id_number_clear()
    _field_error(api.post(cast.community_worker, f"/api/v1/residents/{cast.R1.pk}/reveal", {"field": "name"}), "field")
    _field_error(api.post(cast.community_worker, f"/api/v1/residents/{cast.R1.pk}/reveal", {}), "field", 422)


def test_reveal_flags_follow_policy(cast, api):
    def flags(user):
        body = api.get(user, f"/api/v1/residents/{cast.R1.pk}").json()
        return body["can_reveal_phone"], body["can_reveal_id"]

    assert flags(cast.community_worker) == (True, True)
    assert flags(cast.grid_worker) == (True, False)
    assert flags(cast.property1) == (False, False)
    assert flags(cast.resident1) == (False, False)


def _more_residents(cast, n=30):
    for i in range(n):
        household = Household.objects.create(building=cast.B1 if i % 2 else cast.B2, code=f"9{i:02d}",
                                             address=f"测试地址{i}")
        r = Resident(name=f"测试{i}", household=household)
        r.set_phone(f"1390000{i:04d}")
        r.save()
        r.tags.add(cast.tag_elderly, cast.tag_dibao)


@pytest.mark.parametrize("username", ["street_admin", "community_worker", "property1"])
def test_resident_list_query_count_does_not_grow(cast, api, username, django_assert_max_num_queries):
    def measure():
        user = User.objects.get(username=getattr(cast, username).username)
        with CaptureQueriesContext(connection) as ctx:
            r = api.get(user, "/api/v1/residents", limit=200)
            assert r.status_code == 200
        return len(ctx.captured_queries), r.json()["count"]

    small, n_small = measure()
    _more_residents(cast)
    big, n_big = measure()
    assert n_big > n_small + 10
    assert big == small
    user = User.objects.get(username=getattr(cast, username).username)
    with django_assert_max_num_queries(12):
        api.get(user, "/api/v1/residents", limit=200, tag="elderly_alone")


def test_household_list_query_count_does_not_grow(cast, api, django_assert_max_num_queries):
    _more_residents(cast)
    with django_assert_max_num_queries(10):
        body = api.get(cast.street_admin, "/api/v1/households", limit=200).json()
    assert body["count"] == 34


# ---- tags ----------------------------------------------------------------------------------------


def test_tags_api(cast, api):
    r = api.post(cast.street_admin, "/api/v1/tags", {"code": "veteran", "name": "退役军人", "name_en": "Veteran"})
    assert r.status_code == 201, r.content
    tag = r.json()
    assert tag["code"] == "veteran" and tag["sensitive"] is False
    r = api.patch(cast.street_admin, f"/api/v1/tags/{tag['id']}", {"sensitive": True, "name": "退役军人（优抚）"})
    assert r.status_code == 200 and r.json()["sensitive"] is True
    assert Tag.objects.get(code="veteran").name == "退役军人（优抚）"
    _field_error(api.post(cast.street_admin, "/api/v1/tags", {"code": "veteran", "name": "重复"}), "code")
    _field_error(api.post(cast.street_admin, "/api/v1/tags", {"code": "has space", "name": "空格"}), "code")
    _field_error(api.post(cast.street_admin, "/api/v1/tags", {"code": "x2", "name": "独居老人"}), "name")
    _field_error(api.patch(cast.street_admin, f"/api/v1/tags/{tag['id']}", {"name": ""}), "name")
    assert api.patch(cast.street_admin, "/api/v1/tags/999999", {"name": "x"}).status_code == 404


@pytest.mark.parametrize("username", ["community_worker", "grid_worker", "property1", "resident1", "nobody"])
def test_tags_managed_by_admins_only(cast, api, username):
    user = getattr(cast, username)
    assert api.post(user, "/api/v1/tags", {"code": "veteran", "name": "退役军人"}).status_code == 404
    assert api.patch(user, f"/api/v1/tags/{cast.tag_elderly.pk}", {"name": "改名"}).status_code == 404
    assert not Tag.objects.filter(code="veteran").exists()
    assert Tag.objects.get(pk=cast.tag_elderly.pk).name == "独居老人"


def test_tags_list_visibility(cast, api):
    assert api.get(cast.rider1, "/api/v1/tags").json() == {"count": 0, "items": []}
    assert api.get(cast.owners1, "/api/v1/tags").json()["count"] == 0
    assert {t["code"] for t in api.get(cast.street_admin, "/api/v1/tags").json()["items"]} == {"dibao",
                                                                                              "elderly_alone"}


@pytest.mark.django_db
def test_household_create_race_is_a_clear_error(cast, monkeypatch):
    """Another desk creates the same room between our check and our insert: a clear error, no 500."""
    from django.core.exceptions import ValidationError

    from gongzhi.grid.models import Household
    from gongzhi.people import services

    real = services._apply_household_fields

    def and_a_rival_inserts(h, **fields):
        real(h, **fields)
        Household.objects.create(building=h.building, code=h.code, address="rival")

    monkeypatch.setattr(services, "_apply_household_fields", and_a_rival_inserts)
    with pytest.raises(ValidationError) as e:
        services.household_create(user=cast.community_worker, building=cast.B1, code="909", address="一期1栋909")
    assert "code" in e.value.message_dict
