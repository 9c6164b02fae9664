"""Error pages speak Chinese (English when chosen), keep the site's header and offer a way on; the API answers
JSON; a record outside one's scope is the same 404 as an address that does not exist."""
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ERROR_URLS = "support.error_urls"


def _page(response):
    return response.content.decode()


def test_an_unknown_address_is_a_chinese_page_with_a_way_home(client):
    r = client.get("/no-such-page/", HTTP_REFERER="http://testserver/appeals/")
    body = _page(r)
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")
    assert "页面不存在" in body and 'class="site-header"' in body
    assert 'href="/"' in body and 'href="http://testserver/appeals/"' in body  # home, and back where they were
    assert "/accounts/login/?next=/no-such-page/" in body  # not logged in: perhaps they need to
    assert "Not Found" not in body


def test_a_way_back_only_to_our_own_pages(client):
    body = _page(client.get("/no-such-page/", HTTP_REFERER="https://evil.example/phish"))
    assert "evil.example" not in body and "返回上一页" not in body


def test_a_record_outside_ones_scope_is_the_same_404_naming_nothing(client, cast):
    client.force_login(cast.grid_worker)  # K1 only; R3 lives in K3
    outside = client.get(f"/people/resident/{cast.R3.pk}/")
    missing = client.get("/people/resident/999999/")
    assert outside.status_code == missing.status_code == 404
    assert "刘洋" not in _page(outside) and "东风花园" not in _page(outside)
    token = re.compile(r'"X-CSRFToken": "\w+"|name="csrfmiddlewaretoken" value="\w+"')  # differs per response

    def same(r, pk):
        return token.sub("", _page(r)).replace(str(pk), "")

    assert same(outside, cast.R3.pk) == same(missing, 999999)
    assert "/accounts/login/?next=" not in _page(outside)  # logged in already: no way to log in offered


def test_the_page_in_english_when_chosen(client):
    client.cookies["django_language"] = "en"
    body = _page(client.get("/no-such-page/"))
    assert "Page not found" in body and "页面不存在" not in body


def test_the_api_answers_json(client):
    r = client.get("/api/v1/no-such-endpoint")
    assert r.status_code == 404 and r.json()["detail"] == "未找到 / not found"


def test_a_forbidden_action_is_a_chinese_page(client, settings):
    settings.ROOT_URLCONF = ERROR_URLS
    r = client.get("/test-denied/")
    assert r.status_code == 403 and "无权执行此操作" in _page(r) and 'class="site-header"' in _page(r)


def test_an_unexpected_error_is_a_chinese_page_and_json_under_the_api(settings):
    settings.ROOT_URLCONF = ERROR_URLS
    c = Client(raise_request_exception=False)
    r = c.get("/test-boom/")
    assert r.status_code == 500 and "服务器出错了" in _page(r) and 'href="/"' in _page(r)
    assert "a bug" not in _page(r) and "Traceback" not in _page(r)
    r = c.get("/api/v1/test-boom")
    assert r.status_code == 500 and r.json()["detail"] == "服务器内部错误，请稍后重试"


def test_a_form_from_an_expired_page_says_so_in_chinese(cast):
    c = Client(enforce_csrf_checks=True)
    r = c.post("/accounts/login/", {"username": "resident1", "password": cast.password})
    body = _page(r)
    assert r.status_code == 403 and "页面已过期" in body and "没有保存" in body
    assert "DEBUG" not in body and "cookie" not in body.lower()  # Django's reason is for developers
    assert 'class="site-header"' in body and 'href="/"' in body
