"""POST requests: api_key, service code, location, limits, contact details; nothing half-written on errors."""
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from gongzhi.appeals.models import Appeal, AppealPhoto, Channel, PhotoKind, Status
from gongzhi.appeals.services import appeal_submit
from gongzhi.core import crypto
from gongzhi.open311 import services
from gongzhi.open311.models import ApiKey, ServiceRequest

from .conftest import as_json, as_xml

pytestmark = pytest.mark.django_db

IN_K1 = {"lat": "24.1402", "long": "115.7301"}


def ok(o311, key, fmt="json", **data):
    data = {"api_key": key, "service_code": "lift", "description": "3栋电梯停在8楼不动", **IN_K1, **data}
    r = o311.post(fmt, **data)
    assert r.status_code == 200, r.content.decode()
    return r


def refused(o311, status, fmt="json", files=None, **data):
    before = (Appeal.objects.count(), ServiceRequest.objects.count())
    r = o311.post(fmt, files=files, **data)
    assert r.status_code == status, r.content.decode()
    assert (Appeal.objects.count(), ServiceRequest.objects.count()) == before
    if fmt == "json":
        body = as_json(r)
        assert isinstance(body, list) and body and body[0]["code"] == status and body[0]["description"]
        return " ".join(e["description"] for e in body)
    root = as_xml(r)
    assert root.tag == "errors" and root.find("error/code").text == str(status)
    return " ".join(e.text for e in root.iter("description"))


class TestCreate:
    def test_json_creates_an_appeal_routed_like_any_other(self, world, key, o311):
        body = as_json(ok(o311, key, account_id="u-42", email="zhang@example.cn", first_name="伟", last_name="张",
                          phone="13800135678", deviceid="dev-1"))
        assert len(body) == 1
        item = body[0]
        appeal = Appeal.objects.get()
        assert item["service_request_id"] == appeal.number and item["account_id"] == "u-42"
        assert item["token"] and "工作日" in item["service_notice"]
        assert appeal.channel == Channel.OPEN311 and appeal.is_public and appeal.status == Status.SUBMITTED
        assert appeal.category == world.lift and appeal.compound == world.K1
        assert appeal.suggested_handler == world.property_co  # routed to K1's property company
        assert appeal.contact_name == "张伟"
        assert appeal.contact_phone_masked == "138****5678" and crypto.decrypt(appeal.contact_phone_enc) == "13800135678"
        sr = appeal.open311
        assert sr.client == world.api_client and sr.device_id == "dev-1" and sr.account_id == "u-42"
        assert crypto.decrypt(sr.email_enc) == "zhang@example.cn"
        # filed by the client's service account, which cannot log in and holds no role
        user = appeal.reporter
        world.api_client.refresh_from_db()
        assert user == world.api_client.user and user == appeal.entered_by
        assert not user.is_active and not user.has_usable_password() and not user.roles.exists()
        assert appeal.events.get().action == "submit"

    def test_xml_answer(self, world, key, o311):
        root = as_xml(ok(o311, key, "xml"))
        assert root.tag == "service_requests"
        items = root.findall("request")
        assert len(items) == 1
        assert items[0].find("service_request_id").text == Appeal.objects.get().number
        assert items[0].find("token").text == ServiceRequest.objects.get().token

    def test_the_service_account_is_made_once(self, world, key, o311):
        ok(o311, key)
        ok(o311, key, description="另一部电梯也坏了")
        world.api_client.refresh_from_db()
        assert {a.reporter_id for a in Appeal.objects.all()} == {world.api_client.user_id}

    def test_address_string_names_the_compound(self, world, key, o311):
        ok(o311, key, lat="", long="", address_string="宁江新城二期 1栋门口")
        a = Appeal.objects.get()
        assert a.compound == world.K2 and a.address == "宁江新城二期 1栋门口" and a.lat is None

    def test_address_id_and_compound_attribute(self, world, key, o311):
        ok(o311, key, lat="", long="", address_id="K3")
        ok(o311, key, lat="", long="", **{"attribute[compound]": "K2"})
        assert [a.compound for a in Appeal.objects.order_by("id")] == [world.K3, world.K2]

    def test_json_body_and_jurisdiction(self, world, key, client):
        r = client.post("/open311/v2/requests.json", {"api_key": key, "service_code": "lighting", "jurisdiction_id": "xincheng",
                                                      "description": "路灯不亮", **IN_K1}, content_type="application/json")
        assert r.status_code == 200
        assert Appeal.objects.get().suggested_handler == world.office

    def test_description_of_4000_is_accepted(self, world, key, o311):
        ok(o311, key, description="长" * 4000)

    def test_media_url_is_kept_and_shown(self, world, key, o311):
        ok(o311, key, media_url="https://img.example.cn/a.jpg")
        assert ServiceRequest.objects.get().media_url == "https://img.example.cn/a.jpg"


class TestRefused:
    def test_missing_wrong_revoked_key_is_403(self, world, key, o311):
        base = {"service_code": "lift", "description": "电梯坏了", **IN_K1}
        refused(o311, 403, **base)
        refused(o311, 403, api_key="not-a-key", **base)
        refused(o311, 403, "xml", api_key="not-a-key", **base)
        services.key_revoke(user=world.street_admin, key=ApiKey.objects.get(client=world.api_client))
        refused(o311, 403, api_key=key, **base)

    def test_inactive_client_is_403(self, world, key, o311):
        world.api_client.is_active = False
        world.api_client.save()
        refused(o311, 403, api_key=key, service_code="lift", description="电梯坏了", **IN_K1)

    @pytest.mark.parametrize("code", ["nope", "hardship", "property", ""])
    def test_unknown_non_public_or_parent_service_is_400(self, world, key, o311, code):
        text = refused(o311, 400, api_key=key, service_code=code, description="电梯坏了", **IN_K1)
        assert "service_code" in text

    def test_missing_location_is_400(self, world, key, o311):
        assert "lat" in refused(o311, 400, api_key=key, service_code="lift", description="电梯坏了")
        refused(o311, 400, "xml", api_key=key, service_code="lift", description="电梯坏了", lat="24.14")

    def test_far_away_or_unknown_place_is_400(self, world, key, o311):
        assert "小区" in refused(o311, 400, api_key=key, service_code="lift", description="x", lat="23.0", long="113.0")
        refused(o311, 400, api_key=key, service_code="lift", description="x", lat="99", long="115.73")
        assert "address_string" in refused(o311, 400, api_key=key, service_code="lift", description="x",
                                           address_string="广州市天河区某某路")
        assert "address_id" in refused(o311, 400, api_key=key, service_code="lift", description="x", address_id="ZZZ")

    def test_description_over_4000_or_empty_is_400(self, world, key, o311):
        assert "4000" in refused(o311, 400, api_key=key, service_code="lift", description="长" * 4001, **IN_K1)
        refused(o311, 400, api_key=key, service_code="lift", description="  ", **IN_K1)

    def test_bad_contact_details_are_400(self, world, key, o311):
        base = {"api_key": key, "service_code": "lift", "description": "电梯坏了", **IN_K1}
        assert "phone" in refused(o311, 400, phone="12345", **base)
        assert "email" in refused(o311, 400, email="not-an-email", **base)
        assert "media_url" in refused(o311, 400, media_url="javascript:alert(1)", **base)
        assert "device_id" in refused(o311, 400, device_id="d" * 101, **base)

    def test_unknown_jurisdiction_is_400(self, world, key, o311):
        text = refused(o311, 400, api_key=key, service_code="lift", description="电梯坏了", jurisdiction_id="beijing", **IN_K1)
        assert "jurisdiction_id" in text and "xincheng" in text

    def test_broken_bodies_are_400(self, world, key, client):
        for body, content_type in ((b"--x\r\nbroken", "multipart/form-data; boundary="), (b"{not json", "application/json"),
                                   (b"[1, 2]", "application/json")):
            r = client.generic("POST", "/open311/v2/requests.xml", body, content_type=content_type)
            assert r.status_code == 400 and as_xml(r).find("error/code").text == "400", body
        assert not Appeal.objects.exists()

    def test_other_methods(self, world, client):
        r = client.put("/open311/v2/requests.json")
        assert r.status_code == 405 and "POST" in r["Allow"]
        r = client.post("/open311/v2/services.json")
        assert r.status_code == 405


def test_only_open311_clients_may_use_the_channel(world):
    with pytest.raises(ValidationError) as e:
        appeal_submit(user=world.resident1, category=world.lift, description="电梯坏了", channel=Channel.OPEN311,
                      compound=world.K1)
    assert list(e.value.message_dict) == ["channel"]
    assert not Appeal.objects.exists()



class TestMedia:
    @pytest.fixture(autouse=True)
    def _media(self, settings, tmp_path):
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                              "OPTIONS": {"location": str(tmp_path)}}}
        self.media_root = tmp_path

    def _jpeg(self):
        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
        return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")

    def test_multipart_photo_is_attached_and_served(self, world, key, o311, client):
        r = o311.post("json", files={"media": self._jpeg()}, api_key=key, service_code="lift", description="电梯坏了", **IN_K1)
        assert r.status_code == 200, r.content.decode()
        appeal = Appeal.objects.get()
        photo = AppealPhoto.objects.get(appeal=appeal)
        assert photo.kind == PhotoKind.REPORT and photo.uploaded_by == appeal.reporter
        (item,) = as_json(o311.get(f"requests/{appeal.number}"))
        assert item["media_url"] == f"http://testserver/appeals/photos/{photo.pk}/full/"
        image = client.get(item["media_url"].removeprefix("http://testserver"))
        assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"

    def test_a_pdf_named_jpg_undoes_the_request(self, world, key, o311):
        fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", content_type="image/jpeg")
        text = refused(o311, 400, files={"media": fake}, api_key=key, service_code="lift", description="电梯坏了", **IN_K1)
        assert "media" in text
        assert not AppealPhoto.objects.exists() and not any(p.is_file() for p in self.media_root.rglob("*"))
