"""长辈版: switched once and kept — on the account for a signed-in user (every device, every session, the JSON
API too), in a cookie for a visitor; a choice made on the login page goes into the account at login."""
import pytest
from django.test import Client

from gongzhi.accounts.display import ELDER_COOKIE
from gongzhi.accounts.models import User
from gongzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
SWITCH = "/accounts/elder/"
ELDER_HTML = 'class="elder"'


def log_in(client, user, password):
    r = client.post(LOGIN, {"username": user.username, "password": password})
    assert r.status_code == 302, r.content[:300]


def is_elder(response):
    html = response.content.decode()
    return ELDER_HTML in html.split("<head>")[0] and "css/elder.css" in html


def elder_of(user):
    return User.objects.get(pk=user.pk).elder_mode


def test_off_by_default_and_the_switch_offered(client, cast):
    page = client.get(LOGIN)
    assert not is_elder(page)
    assert 'name="elder" value="on"' in page.content.decode()
    log_in(client, cast.resident1, cast.password)
    home = client.get("/")
    assert not is_elder(home) and 'name="elder" value="on"' in home.content.decode()


def test_signed_in_switch_is_kept_on_the_account_across_logout_login_and_devices(client, cast):
    log_in(client, cast.resident1, cast.password)
    r = client.post(SWITCH, {"elder": "on", "next": "/appeals/"})
    assert r.status_code == 302 and r["Location"] == "/appeals/"
    assert elder_of(cast.resident1) is True
    assert r.cookies[ELDER_COOKIE].value == "1"
    home = client.get("/")
    assert is_elder(home) and 'name="elder" value="off"' in home.content.decode()
    entry = AuditEntry.objects.get(detail="elder mode")
    assert (entry.user_id, entry.object_id, entry.changes) == (cast.resident1.pk, str(cast.resident1.pk),
                                                               {"elder_mode": [False, True]})

    client.post("/accounts/logout/")
    assert is_elder(client.get(LOGIN))  # the device still reads large
    log_in(client, cast.resident1, cast.password)
    assert is_elder(client.get("/"))

    other_phone = Client()
    log_in(other_phone, cast.resident1, cast.password)
    assert is_elder(other_phone.get("/"))

    # Off again: the account and both devices read standard; pressing it again changes nothing and audits nothing.
    client.post(SWITCH, {"elder": "off", "next": "/"})
    client.post(SWITCH, {"elder": "off", "next": "/"})
    assert elder_of(cast.resident1) is False
    assert not is_elder(other_phone.get("/"))
    assert AuditEntry.objects.filter(detail="elder mode").count() == 2


def test_visitor_cookie_and_the_login_that_follows(client, cast):
    r = client.post(SWITCH, {"elder": "on", "next": LOGIN})
    assert r.status_code == 302 and r["Location"] == LOGIN
    assert r.cookies[ELDER_COOKIE].value == "1"
    assert is_elder(client.get(LOGIN)) and is_elder(client.get("/"))
    assert elder_of(cast.resident1) is False
    log_in(client, cast.resident1, cast.password)
    assert elder_of(cast.resident1) is True  # switched on just before signing in: taken into the account
    assert is_elder(client.get("/"))
    assert AuditEntry.objects.filter(detail="elder mode at login", user=cast.resident1).count() == 1


def test_a_cookie_left_on_a_shared_phone_does_not_switch_the_next_account(client, cast):
    client.cookies[ELDER_COOKIE] = "1"  # someone else's, from an earlier visit
    assert is_elder(client.get(LOGIN))
    log_in(client, cast.resident2, cast.password)
    assert elder_of(cast.resident2) is False
    assert not is_elder(client.get("/"))


def test_the_account_wins_over_the_device_once_signed_in(client, cast):
    client.cookies[ELDER_COOKIE] = "0"
    User.objects.filter(pk=cast.resident1.pk).update(elder_mode=True)
    log_in(client, cast.resident1, cast.password)
    assert is_elder(client.get("/"))


def test_bad_input_is_refused_in_chinese_and_changes_nothing(client, cast):
    log_in(client, cast.resident1, cast.password)
    r = client.post(SWITCH, {"elder": "maybe", "next": "/"}, follow=True)
    assert "请选择开启或关闭长辈版。" in r.content.decode()
    assert elder_of(cast.resident1) is False and not AuditEntry.objects.filter(detail="elder mode").exists()
    assert client.get(SWITCH).status_code == 405


def test_next_never_leads_off_the_site(client, cast):
    r = client.post(SWITCH, {"elder": "on", "next": "https://evil.example/"})
    assert r["Location"] == "/"
    r = client.post(SWITCH, {"elder": "on", "next": "//evil.example/x"})
    assert r["Location"] == "/"


def test_in_english_too(client, cast):
    client.cookies["django_language"] = "en"
    client.cookies[ELDER_COOKIE] = "1"
    page = client.get(LOGIN).content.decode()
    assert '<html lang="en" class="elder">' in page and "Exit elder mode" in page


# ---- the JSON API -----------------------------------------------------------------------------


def test_api_reads_and_sets_it(api, cast):
    assert api.get(cast.resident1, "/api/v1/me").json()["elder_mode"] is False
    r = api.patch(cast.resident1, "/api/v1/me", {"elder_mode": True})
    assert r.status_code == 200 and r.json()["elder_mode"] is True and r.json()["username"] == "resident1"
    assert elder_of(cast.resident1) is True
    assert AuditEntry.objects.filter(detail="elder mode", user=cast.resident1).count() == 1
    # Nothing said, nothing changed.
    r = api.patch(cast.resident1, "/api/v1/me", {})
    assert r.status_code == 200 and r.json()["elder_mode"] is True
    assert api.patch(cast.resident1, "/api/v1/me", {"elder_mode": False}).json()["elder_mode"] is False
    assert elder_of(cast.resident1) is False
    # Only one's own account: another user's is untouched.
    assert elder_of(cast.resident2) is False


@pytest.mark.parametrize("value", ["true", 1, None, "是"])
def test_api_refuses_anything_but_true_or_false(api, cast, value):
    r = api.patch(cast.resident1, "/api/v1/me", {"elder_mode": value})
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "elder_mode"
    assert body["errors"]["elder_mode"] == ["长辈版只能是 true（开启）或 false（关闭）"]
    assert elder_of(cast.resident1) is False


def test_api_needs_a_signed_in_user(client, cast):
    r = client.patch("/api/v1/me", {"elder_mode": True}, content_type="application/json")
    assert r.status_code == 401


def test_the_switch_returns_to_the_path_never_the_query(client, cast):
    """A query may hold what was searched for: the switch's return address must not copy it into the page."""
    client.force_login(cast.community_worker)
    page = client.get("/people/search/", {"q": "13800135678"}).content.decode()
    assert 'name="next" value="/people/search/"' in page
    assert "13800135678" not in page
