"""An unexpected error answers in the interface's own format: Open311's error list (XML or JSON) under
/open311/v2/, the API's ErrorOut under /api/v1/; pages keep Django's handler. Each is still reported as
Django reports an uncaught exception."""
import json
import logging
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.utils import OperationalError
from django.test import Client

from gongzhi.accounts.models import ApiToken
from gongzhi.appeals import selectors as appeal_selectors
from gongzhi.open311 import selectors as open311_selectors
from gongzhi.open311 import services as open311_services

pytestmark = pytest.mark.django_db

ZH = "服务器内部错误，请稍后重试"
EN = "Internal server error; please try again later"


def broken(*args, **kwargs):
    raise RuntimeError("a bug")


@pytest.fixture
def quiet_client():
    """A client that answers with the response, as a browser gets it, instead of raising the exception."""
    return Client(raise_request_exception=False)


@pytest.fixture
def reported(caplog):
    caplog.set_level(logging.ERROR, logger="django.request")

    def check(path, exc_type=RuntimeError):
        [record] = [r for r in caplog.records if r.name == "django.request"]
        assert record.getMessage() == f"Internal Server Error: {path}"
        assert record.exc_info[0] is exc_type and record.status_code == 500
    return check


class TestOpen311:
    def test_json(self, quiet_client, monkeypatch, reported):
        monkeypatch.setattr(open311_selectors, "services", broken)
        r = quiet_client.get("/open311/v2/services.json")
        assert (r.status_code, r["Content-Type"]) == (500, "application/json; charset=utf-8")
        assert json.loads(r.content) == [{"code": 500, "description": ZH}]
        reported("/open311/v2/services.json")

    def test_xml_and_english(self, quiet_client, monkeypatch, reported):
        monkeypatch.setattr(open311_selectors, "search", broken)
        r = quiet_client.get("/open311/v2/requests.xml", HTTP_ACCEPT_LANGUAGE="en")
        assert (r.status_code, r["Content-Type"]) == (500, "text/xml; charset=utf-8")
        root = ET.fromstring(r.content)
        assert (root.tag, root.find("error/code").text, root.find("error/description").text) == ("errors", "500", EN)
        reported("/open311/v2/requests.xml")

    def test_the_database_away_during_a_post(self, quiet_client, monkeypatch, reported):
        def away(raw):
            raise OperationalError("connection refused")

        monkeypatch.setattr(open311_services, "key_authenticate", away)
        r = quiet_client.post("/open311/v2/requests", {"api_key": "k", "service_code": "lift"})
        assert r.status_code == 500 and ET.fromstring(r.content).find("error/code").text == "500"
        reported("/open311/v2/requests", OperationalError)

    def test_the_exception_is_still_signalled(self, monkeypatch):
        """Error reporters (and Django's test client) hear of it through got_request_exception."""
        monkeypatch.setattr(open311_selectors, "services", broken)
        with pytest.raises(RuntimeError, match="a bug"):
            Client().get("/open311/v2/services.json")


class TestApi:
    def test_error_out(self, cast, quiet_client, monkeypatch, reported):
        monkeypatch.setattr(appeal_selectors, "queue_listing", broken)
        _, raw = ApiToken.issue(cast.community_worker, 1)
        r = quiet_client.get("/api/v1/appeals", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert (r.status_code, r["Content-Type"]) == (500, "application/json; charset=utf-8")
        assert r.json() == {"detail": ZH, "field": None, "errors": None}
        reported("/api/v1/appeals")

    def test_the_exception_is_still_signalled(self, cast, monkeypatch):
        monkeypatch.setattr(appeal_selectors, "queue_listing", broken)
        _, raw = ApiToken.issue(cast.community_worker, 1)
        with pytest.raises(RuntimeError, match="a bug"):
            Client().get("/api/v1/appeals", HTTP_AUTHORIZATION=f"Bearer {raw}")

    @pytest.mark.parametrize("exc, answer", [
        (PermissionDenied(), (403, {"detail": "无权访问"})),
        (RequestDataTooBig("too big"), (400, {"detail": "请求无效或过大"})),
    ])
    def test_djangos_own_refusals_keep_their_status(self, cast, quiet_client, monkeypatch, exc, answer):
        """Not 500s: Django answers these 403 and 400, and so does the API, in its format."""
        def refuse(*args, **kwargs):
            raise exc

        monkeypatch.setattr(appeal_selectors, "queue_listing", refuse)
        _, raw = ApiToken.issue(cast.community_worker, 1)
        r = quiet_client.get("/api/v1/appeals", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert (r.status_code, r.json()) == answer

    def test_the_openapi_document_lists_the_500(self, client):
        doc = client.get("/api/v1/openapi.json").json()
        answer = doc["paths"]["/api/v1/appeals"]["get"]["responses"]["500"]
        assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def test_pages_keep_djangos_handler(cast, quiet_client, monkeypatch):
    monkeypatch.setattr(appeal_selectors, "queue_listing", broken)
    quiet_client.force_login(cast.community_worker)
    r = quiet_client.get("/appeals/")
    assert r.status_code == 500 and r["Content-Type"].startswith("text/html")
