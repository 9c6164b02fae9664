"""discovery, services, service definitions, GET requests (filters), requests/{id}, tokens/{token}; privacy."""
import datetime

import pytest
from django.utils import timezone

from gongzhi.appeals.models import Appeal, AppealPhoto, Category
from gongzhi.appeals.services import appeal_act, appeal_submit
from gongzhi.open311.models import ServiceRequest

from .conftest import as_json, as_xml

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def public(world, days_ago=0, category=None, compound=None, description="3栋电梯停在8楼不动", **kw):
    kw.setdefault("is_public", True)
    return appeal_submit(user=world.resident1, category=category or world.lift, description=description,
                         compound=compound or world.K1, now=NOW - datetime.timedelta(days=days_ago),
                         contact_name="张伟", contact_phone="13800135678", **kw)


def ids(body):
    return [item["service_request_id"] for item in body]


def closed_loop(world, appeal):
    cw, prop = world.community_worker, world.property1
    appeal = appeal_act(user=cw, appeal=appeal, action="dispatch", handler=appeal.suggested_handler.pk)
    appeal = appeal_act(user=prop, appeal=appeal, action="take")
    appeal = appeal_act(user=prop, appeal=appeal, action="note", note="内部备忘：维保单位报价叁仟元", internal=True)
    appeal = appeal_act(user=prop, appeal=appeal, action="resolve", note="已更换电梯控制板，恢复运行")
    appeal = appeal_act(user=world.grid_worker, appeal=appeal, action="verify")
    return appeal_act(user=cw, appeal=appeal, action="close")


class TestDiscoveryAndServices:
    def test_discovery(self, world, o311):
        body = as_json(o311.get("discovery"))
        (endpoint,) = body["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"].endswith("/open311/v2/") and endpoint["type"] == "production"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert body["changeset"] and body["contact"] and body["key_service"]
        root = as_xml(o311.get("discovery", "xml"))
        assert root.tag == "discovery"
        assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
        assert root.find("endpoints/endpoint/specification").text == "http://wiki.open311.org/GeoReport_v2"

    def test_services_are_public_active_leaves(self, world, o311, schema):
        body = schema("services.json", as_json(o311.get("services")))
        codes = [s["service_code"] for s in body]
        assert "lift" in codes and "gas_leak" in codes
        for hidden in ("hardship", "dispute", "property_fee", "property", "safety"):  # not public, or a parent
            assert hidden not in codes
        lift = body[codes.index("lift")]
        assert lift == {**lift, "service_name": "电梯故障", "group": "物业服务", "type": "realtime", "metadata": True}
        Category.objects.filter(code="lift").update(is_active=False)
        assert "lift" not in [s["service_code"] for s in as_json(o311.get("services"))]

    def test_services_xml(self, world, o311):
        root = as_xml(o311.get("services", "xml"))
        assert root.tag == "services"
        lift = next(s for s in root.findall("service") if s.find("service_code").text == "lift")
        for tag in ("service_code", "service_name", "metadata", "type"):
            assert lift.find(tag) is not None and lift.find(tag).text
        assert lift.find("metadata").text == "true"

    def test_service_definition(self, world, o311, schema):
        body = schema("service-definition.json", as_json(o311.get("services/lift")))
        (compound,) = body["attributes"]
        assert compound["code"] == "compound" and compound["datatype"] == "singlevaluelist"
        assert {"key": "K1", "name": "宁江新城一期"} in compound["values"]
        gas = schema("service-definition.json", as_json(o311.get("services/gas_leak")))
        assert [a["variable"] for a in gas["attributes"]] == [False, True]
        root = as_xml(o311.get("services/lift", "xml"))
        assert root.tag == "service_definition" and root.find("service_code").text == "lift"
        attr = root.find("attributes/attribute")
        assert attr.find("variable").text == "true" and attr.find("required").text == "false"
        assert attr.find("values/value/key").text

    @pytest.mark.parametrize("code", ["nope", "hardship", "property"])
    def test_unknown_service_is_404(self, world, o311, code):
        r = o311.get(f"services/{code}")
        assert r.status_code == 404 and as_json(r)[0]["code"] == 404
        r = o311.get(f"services/{code}", "xml")
        assert r.status_code == 404 and as_xml(r).find("error/code").text == "404"


class TestRequests:
    def test_list_json_and_xml(self, world, key, o311, schema):
        r = o311.post("json", api_key=key, service_code="lift", description="电梯坏了", lat="24.1402", long="115.7301",
                      media_url="https://img.example.cn/a.jpg")
        number = as_json(r)[0]["service_request_id"]
        body = schema("requests.json", as_json(o311.get("requests")))
        (item,) = body
        assert item["service_request_id"] == number and item["status"] == "open" and item["service_code"] == "lift"
        assert item["description"] == "电梯坏了" and item["address_id"] == "K1"
        assert item["lat"] == pytest.approx(24.1402) and item["long"] == pytest.approx(115.7301)
        assert item["media_url"] == "https://img.example.cn/a.jpg"
        appeal = Appeal.objects.get()
        assert item["expected_datetime"] == appeal.resolve_due.astimezone(datetime.timezone(datetime.timedelta(hours=8))).isoformat()
        assert item["requested_datetime"].endswith("+08:00")
        root = as_xml(o311.get("requests", "xml"))
        assert root.tag == "service_requests"
        (req,) = root.findall("request")
        for tag in ("service_request_id", "status", "service_code", "requested_datetime"):
            assert req.find(tag).text
        assert req.find("service_request_id").text == number

    def test_one_request(self, world, o311, schema):
        a = public(world)
        body = schema("requests.json", as_json(o311.get(f"requests/{a.number}")))
        assert ids(body) == [a.number]
        root = as_xml(o311.get(f"requests/{a.number}", "xml"))
        assert [r.find("service_request_id").text for r in root.findall("request")] == [a.number]
        schema("request.json", body[0])

    def test_unknown_or_private_request_is_404(self, world, o311):
        private = public(world, is_public=False)
        hidden_category = public(world, category=world.lighting)
        Category.objects.filter(pk=world.lighting.pk).update(may_be_public=False)
        for rid in (private.number, hidden_category.number, "20260101-999999", "garbage", f"19990101-{private.pk}"):
            r = o311.get(f"requests/{rid}")
            assert r.status_code == 404, rid
            assert as_json(r)[0]["code"] == 404
        assert as_xml(o311.get(f"requests/{private.number}", "xml")).tag == "errors"
        assert o311.get("requests").content == b"[]"

    def test_private_details_never_shown(self, world, key, o311):
        a = closed_loop(world, public(world))
        o311.post("json", api_key=key, service_code="lift", description="电梯坏了", lat="24.1402", long="115.7301",
                  first_name="伟", last_name="张", phone="13800135678", email="zhang@example.cn")
        bodies = [o311.get("requests", fmt).content.decode() for fmt in ("json", "xml")]
        bodies += [o311.get(f"requests/{a.number}", fmt).content.decode() for fmt in ("json", "xml")]
        for body in bodies:
            for secret in ("张伟", "13800135678", "138****5678", "zhang@example.cn", "resident1", "open311-client",
                           "内部备忘", "报价叁仟元"):
                assert secret not in body, secret
        assert "已更换电梯控制板" in bodies[0]  # the public reply is

    def test_closed_after_the_workflow(self, world, o311, schema):
        a = public(world)
        assert as_json(o311.get(f"requests/{a.number}"))[0]["status"] == "open"
        a = closed_loop(world, a)
        (item,) = schema("requests.json", as_json(o311.get(f"requests/{a.number}")))
        assert item["status"] == "closed" and item["status_notes"] == "已更换电梯控制板，恢复运行"
        assert item["agency_responsible"] == world.property_co.name
        assert item["updated_datetime"] >= item["requested_datetime"]

    def test_rejected_is_closed_with_its_reason(self, world, o311):
        a = public(world)
        appeal_act(user=world.community_worker, appeal=a, action="reject", note="不属于受理范围")
        (item,) = as_json(o311.get(f"requests/{a.number}"))
        assert item["status"] == "closed" and item["status_notes"] == "不属于受理范围"

    def test_withdrawn_is_closed_without_the_reporters_reason(self, world, o311, schema):
        a = public(world)
        kept = public(world, description="路灯不亮")
        appeal_act(user=world.resident1, appeal=a, action="withdraw", note="我家里有事，不想处理了")
        (item,) = schema("requests.json", as_json(o311.get(f"requests/{a.number}")))
        assert item["status"] == "closed" and item["status_notes"] == "提交人已撤回该诉求"
        assert "不想处理" not in o311.get(f"requests/{a.number}", "xml").content.decode()
        assert ids(as_json(o311.get("requests", status="closed"))) == [a.number]
        assert ids(as_json(o311.get("requests", status="open"))) == [kept.number]

    def test_filters(self, world, o311, schema):
        old = public(world, days_ago=120)
        lift = public(world, days_ago=10)
        light = public(world, days_ago=5, category=world.lighting, description="路灯不亮")
        done = closed_loop(world, public(world, days_ago=2))
        assert set(ids(as_json(o311.get("requests")))) == {lift.number, light.number, done.number}  # 90 days
        assert ids(as_json(o311.get("requests", status="closed"))) == [done.number]
        assert set(ids(as_json(o311.get("requests", status="open")))) == {lift.number, light.number}
        assert len(as_json(o311.get("requests", status="open,closed"))) == 3
        assert ids(as_json(o311.get("requests", service_code="lighting"))) == [light.number]
        assert set(ids(as_json(o311.get("requests", service_code="lighting,lift", status="open")))) == {lift.number, light.number}
        day = datetime.timedelta(days=1)
        start = (NOW - 200 * day).isoformat()
        assert set(ids(as_json(o311.get("requests", start_date=start)))) == {old.number, lift.number, light.number, done.number}
        end = (NOW - 7 * day).replace(microsecond=0).isoformat()
        assert set(ids(as_json(o311.get("requests", start_date=start, end_date=end)))) == {old.number, lift.number}
        assert ids(as_json(o311.get("requests", end_date=end, start_date=(NOW - 11 * day).isoformat()))) == [lift.number]
        # a "+" the client forgot to encode arrives as a space
        loose = (NOW - 11 * day).astimezone(datetime.timezone(datetime.timedelta(hours=8))).replace(microsecond=0).isoformat().replace("+", " ")
        assert set(ids(as_json(o311.get("requests", start_date=loose)))) == {lift.number, light.number, done.number}
        # updated_after / updated_before
        Appeal.objects.filter(pk=old.pk).update(updated_at=NOW - 100 * day)
        Appeal.objects.filter(pk__in=[lift.pk, light.pk]).update(updated_at=NOW - 50 * day)
        assert ids(as_json(o311.get("requests", updated_after=(NOW - 1 * day).isoformat()))) == [done.number]
        assert ids(as_json(o311.get("requests", updated_before=(NOW - 60 * day).isoformat()))) == [old.number]
        assert set(ids(as_json(o311.get("requests", updated_after=(NOW - 60 * day).isoformat(),
                                        updated_before=(NOW - 40 * day).isoformat())))) == {lift.number, light.number}
        # several ids, whatever their age
        both = as_json(o311.get("requests", service_request_id=f"{old.number},{light.number},20200101-{lift.pk}"))
        assert set(ids(schema("requests.json", both))) == {old.number, light.number}

    def test_pages(self, world, o311):
        made = [public(world, days_ago=i) for i in range(5)]  # newest first
        numbers = [a.number for a in made]
        assert ids(as_json(o311.get("requests", page_size=2))) == numbers[:2]
        assert ids(as_json(o311.get("requests", page_size=2, page=2))) == numbers[2:4]
        assert ids(as_json(o311.get("requests", page_size=2, page=3))) == numbers[4:]
        assert as_json(o311.get("requests", page_size=2, page=4)) == []
        assert len(as_json(o311.get("requests", page_size=5000))) == 5  # capped at 1000, not refused

    @pytest.mark.parametrize("params", [{"status": "pending"}, {"start_date": "yesterday"}, {"page": "0"},
                                        {"page_size": "x"}, {"updated_after": "2026-13-45T00:00:00Z"},
                                        {"jurisdiction_id": "beijing"}])
    def test_bad_filters_are_400(self, world, o311, params):
        r = o311.get("requests", **params)
        assert r.status_code == 400 and as_json(r)[0]["code"] == 400
        assert as_xml(o311.get("requests", "xml", **params)).find("error/description").text

    def test_query_count_does_not_grow_with_the_page(self, world, key, o311, django_assert_max_num_queries):
        for i in range(3):
            o311.post("json", api_key=key, service_code="lift", description=f"电梯坏了{i}", lat="24.1402", long="115.7301")
        for _ in range(20):
            public(world, days_ago=1)
        with django_assert_max_num_queries(4):
            assert len(as_json(o311.get("requests"))) == 23

    def test_a_photo_is_the_media_url(self, world, o311):
        a = public(world)
        photo = AppealPhoto.objects.create(appeal=a, image=f"appeals/{a.pk}/p.jpg", thumbnail=f"appeals/{a.pk}/t.jpg",
                                            width=1, height=1)
        (item,) = as_json(o311.get(f"requests/{a.number}"))
        assert item["media_url"] == f"http://testserver/appeals/photos/{photo.pk}/full/"


class TestTokensAndLeniency:
    def test_token(self, world, key, o311, schema):
        created = as_json(o311.post("json", api_key=key, service_code="lift", description="电梯坏了", lat="24.1402", long="115.7301"))[0]
        (item,) = as_json(o311.get(f"tokens/{created['token']}"))
        assert item == {"token": created["token"], "service_request_id": created["service_request_id"]}
        root = as_xml(o311.get(f"tokens/{created['token']}", "xml"))
        assert root.tag == "service_requests" and root.find("request/service_request_id").text == created["service_request_id"]
        assert ServiceRequest.objects.get().token == created["token"]
        r = o311.get("tokens/unknown-token")
        assert r.status_code == 404 and as_json(r)[0]["code"] == 404

    def test_trailing_slash_jurisdiction_and_no_suffix(self, world, client):
        a = public(world)
        r = client.get(f"/open311/v2/requests/{a.number}.json/", {"jurisdiction_id": "xincheng"})
        assert r.status_code == 200 and as_json(r)[0]["service_request_id"] == a.number
        assert as_xml(client.get("/open311/v2/services")).tag == "services"
        assert as_xml(client.get("/open311/v2/services.xml/", {"jurisdiction_id": "XINCHENG"})).tag == "services"
        assert as_xml(client.get("/open311/v2/")).tag == "discovery"
        r = client.get("/open311/v2/nothing-here.json")
        assert r.status_code == 404 and as_json(r)[0]["code"] == 404

    def test_control_characters_do_not_break_xml(self, world, o311):
        a = public(world, description="电梯\x07坏了\x1b")
        root = as_xml(o311.get(f"requests/{a.number}", "xml"))
        assert root.find("request/description").text == "电梯坏了"
