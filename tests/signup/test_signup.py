"""A resident signs up with a texted code, waits (may file appeals, sees nothing of the household), and is
confirmed or refused by the grid over that household; passwords are recovered by a texted code."""
import re

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from gongzhi.accounts.codes import TooMany, code_request, code_take
from gongzhi.accounts.models import ApiToken, CodePurpose, OneTimeCode, Role, RoleAssignment, User
from gongzhi.accounts.policy import can
from gongzhi.accounts.services import password_recover
from gongzhi.accounts.sms import MemorySender
from gongzhi.appeals.services import appeal_submit
from gongzhi.core.models import AuditEntry
from gongzhi.people.capability import RESIDENT_VIEW
from gongzhi.signup import services
from gongzhi.signup.models import SignupRequest, SignupStatus

pytestmark = pytest.mark.django_db

NEW = "13912345678"
PASSWORD = "Qingshan-2026"


def last_code(mobile):
    texts = [t for m, t in MemorySender.outbox if m == mobile]
    found = re.search(r"\d{6}", texts[-1]) if texts else None
    return found.group(0) if found else None


def sign_up(cast, mobile=NEW, household=None, name="赵敏"):
    services.signup_code(mobile=mobile)
    return services.signup_submit(mobile=mobile, code=last_code(mobile), name=name, password=PASSWORD,
                                  household=(household or cast.H1).pk)


def fresh(user):
    return User.objects.get(pk=user.pk)


# ---- the applicant, before confirmation ----------------------------------------------------------------------

def test_a_pending_applicant_may_file_appeals_at_home_but_sees_no_household(cast):
    s = sign_up(cast)
    u = fresh(s.user)
    assert s.status == SignupStatus.PENDING and (s.compound, s.building, s.household) == (cast.K1, cast.B1, cast.H1)
    assert u.phone_masked == "139****5678" and u.phone_hash and NEW not in u.phone_enc
    assert not can(u, RESIDENT_VIEW, cast.R1) and not can(u, RESIDENT_VIEW)
    a = appeal_submit(user=u, category="lift", description="电梯坏了", household=cast.H1.pk)
    assert (a.compound, a.household, a.reporter) == (cast.K1, cast.H1, u)
    with pytest.raises(ValidationError):  # another household is not theirs to name
        appeal_submit(user=fresh(u), category="lift", description="电梯坏了", household=cast.H1b.pk)


def test_pending_home_and_pages_show_no_household_data(client, cast):
    s = sign_up(cast)
    client.force_login(s.user)
    body = client.get("/").content.decode()
    assert "正在等待网格员或社区确认" in body and "我的网格员" not in body and "张伟" not in body
    assert client.get(f"/people/household/{cast.H1.pk}/").status_code == 404
    assert client.get(f"/people/resident/{cast.R1.pk}/").status_code == 404


def test_a_number_with_an_account_reads_like_any_other(cast, client):
    cast.resident1.set_phone("13800135678")
    cast.resident1.save()
    answers = [client.post("/signup/", {"mobile": m}) for m in ("13800135678", "13911112222")]
    assert [a.status_code for a in answers] == [302, 302]
    # The owner of the registered number is told so by text; nobody gets a code for it.
    assert last_code("13800135678") is None and "已注册" in MemorySender.outbox[0][1]
    assert last_code("13911112222") is not None
    with pytest.raises(ValidationError) as e:
        services.signup_submit(mobile="13800135678", code="123456", name="冒名", password=PASSWORD, household=cast.H1.pk)
    assert e.value.message_dict == {"code": ["验证码错误或已过期，请重新获取。"]}


def test_the_api_answers_the_same_for_registered_and_new_numbers(api, cast):
    cast.resident1.set_phone("13800135678")
    cast.resident1.save()
    a = api.post(None, "/api/v1/signup/code", {"mobile": "13800135678"})
    b = api.post(None, "/api/v1/signup/code", {"mobile": "13911112222"})
    assert (a.status_code, a.json()) == (b.status_code, b.json()) and a.status_code == 202


def test_signup_refuses_bad_input_in_chinese_without_spending_the_code(cast):
    services.signup_code(mobile=NEW)
    with pytest.raises(ValidationError) as e:
        services.signup_submit(mobile=NEW, code=last_code(NEW), name="", password="12345678", household=999999)
    assert set(e.value.message_dict) == {"name", "password", "household"}
    assert services.signup_submit(mobile=NEW, code=last_code(NEW), name="赵敏", password=PASSWORD,
                                  household=cast.H1.pk).pk


# ---- confirmation -----------------------------------------------------------------------------------------

def test_the_grid_worker_links_the_account_to_a_registered_resident(cast):
    s = sign_up(cast, name="李娜")
    services.signup_confirm(user=cast.grid_worker, signup=s, resident=cast.R1b.pk)
    u = fresh(s.user)
    assert u.resident == cast.R1b
    assert list(RoleAssignment.objects.filter(user=u).values_list("role", "household")) == [(Role.RESIDENT, cast.H1.pk)]
    assert can(u, RESIDENT_VIEW, cast.R1) and not can(u, RESIDENT_VIEW, cast.R1c)
    entry = AuditEntry.objects.get(object_type="signup.signuprequest", detail="confirm")
    assert entry.user == cast.grid_worker and "李娜" not in entry.object_repr


def test_confirming_without_a_match_registers_a_new_resident(cast):
    s = sign_up(cast)
    services.signup_confirm(user=cast.community_worker, signup=s, resident=None, relation="child")
    person = fresh(s.user).resident
    assert (person.name, person.household, person.relation, person.phone_clear()) == ("赵敏", cast.H1, "child", NEW)


def test_a_resident_of_another_household_or_with_an_account_is_not_linked(cast):
    s = sign_up(cast)
    with pytest.raises(ValidationError):
        services.signup_confirm(user=cast.grid_worker, signup=s, resident=cast.R1c.pk)  # lives in 102
    with pytest.raises(ValidationError):
        services.signup_confirm(user=cast.grid_worker, signup=s, resident=cast.R1.pk)  # resident1's
    assert SignupRequest.objects.get(pk=s.pk).status == SignupStatus.PENDING


def test_a_grid_worker_elsewhere_gets_404_everywhere(cast, client, api):
    s = sign_up(cast, household=cast.H3)  # 东风花园: not grid_worker1's
    with pytest.raises(Http404):
        services.signup_confirm(user=cast.grid_worker, signup=s, resident=None)
    client.force_login(cast.grid_worker)
    assert client.get(f"/signup/requests/{s.pk}/").status_code == 404
    assert client.post(f"/signup/requests/{s.pk}/confirm/", {"resident": ""}).status_code == 404
    assert api.post(cast.grid_worker, f"/api/v1/signups/{s.pk}/confirm", {}).status_code == 404
    assert api.get(cast.grid_worker, "/api/v1/signups").json() == []
    assert SignupRequest.objects.get(pk=s.pk).status == SignupStatus.PENDING


def test_decided_once_the_second_decision_is_a_conflict(cast, api):
    s = sign_up(cast)
    services.signup_refuse(user=cast.grid_worker, signup=s, reason="该户登记无此人，请携带租房合同到社区办理")
    r = api.post(cast.community_worker, f"/api/v1/signups/{s.pk}/confirm", {})
    assert r.status_code == 409 and "已由他人处理" in r.json()["detail"]


def test_refused_the_applicant_reads_why_and_no_longer_speaks_for_the_household(cast, client):
    s = sign_up(cast)
    client.force_login(cast.grid_worker)
    assert client.post(f"/signup/requests/{s.pk}/refuse/", {"reason": ""}).status_code == 400
    r = client.post(f"/signup/requests/{s.pk}/refuse/", {"reason": "该户登记无此人，请到社区办理"})
    assert r.status_code == 302
    u = fresh(s.user)
    assert not RoleAssignment.objects.filter(user=u).exists()
    with pytest.raises(Exception):
        appeal_submit(user=u, category="lift", description="电梯坏了", compound=cast.K1.pk)
    client.force_login(u)
    body = client.get("/").content.decode()
    assert "未通过" in body and "该户登记无此人，请到社区办理" in body


def test_reviewers_see_waiting_signups_on_home_list_and_api(cast, client, api):
    s = sign_up(cast)
    client.force_login(cast.grid_worker)
    assert "待确认的居民注册" in client.get("/").content.decode()
    page = client.get(f"/signup/requests/{s.pk}/").content.decode()
    assert "张伟" in page and "李娜" in page and "139****5678" in page
    rows = api.get(cast.community_worker, f"/api/v1/signups/{s.pk}").json()["residents"]
    assert {r["name"] for r in rows} == {"张伟", "李娜"}
    assert [x["id"] for x in api.get(cast.street_admin, "/api/v1/signups").json()] == [s.pk]
    client.force_login(cast.resident1)  # a resident reviews nothing
    assert client.get("/signup/requests/").status_code == 404


def test_the_whole_signup_over_the_api(cast, api, client):
    assert api.post(None, "/api/v1/signup/code", {"mobile": NEW}).status_code == 202
    places = api.get(None, "/api/v1/signup/places", building=cast.B1.pk).json()
    assert [p["name"] for p in places] == ["101", "102"]
    r = api.post(None, "/api/v1/signup", {"mobile": NEW, "code": last_code(NEW), "name": "赵敏", "password": PASSWORD,
                                           "household": cast.H1.pk})
    assert r.status_code == 201 and r.json()["status"] == "pending"
    u = User.objects.get(username=r.json()["username"])
    assert api.get(u, "/api/v1/signup/mine").json()["status"] == "pending"
    assert api.post(cast.grid_worker, f"/api/v1/signups/{r.json()['id']}/confirm", {}).json()["status"] == "confirmed"


def test_the_signup_pages_end_logged_in_as_an_applicant(client, cast):
    assert client.post("/signup/", {"mobile": "12345"}).status_code == 400
    assert client.post("/signup/", {"mobile": NEW}).status_code == 302
    options = client.get("/signup/options/", {"compound": cast.K1.pk}).content.decode()
    assert "1栋" in options and "张伟" not in options
    data = {"code": last_code(NEW), "name": "赵敏", "compound": cast.K1.pk, "building": cast.B1.pk,
            "household": cast.H2.pk, "password": PASSWORD, "password2": PASSWORD}
    assert client.post("/signup/details/", data).status_code == 400  # a room of another building
    r = client.post("/signup/details/", {**data, "household": cast.H1.pk})
    assert r.status_code == 302
    assert "正在等待网格员或社区确认" in client.get("/").content.decode()


# ---- one-time codes and password recovery ---------------------------------------------------------------------

@pytest.fixture
def with_phone(cast):
    cast.resident1.set_phone("13800135678")
    cast.resident1.save()
    return cast.resident1


def test_recovery_sets_the_password_and_ends_every_other_way_in(with_phone, api):
    ApiToken.issue(with_phone, 1)
    code_request(purpose=CodePurpose.RECOVERY, mobile="13800135678")
    password_recover(mobile="13800135678", code=last_code("13800135678"), new_password="Xinmima-2026")
    u = fresh(with_phone)
    assert u.check_password("Xinmima-2026") and not ApiToken.objects.filter(user=u).exists()
    assert AuditEntry.objects.filter(object_type="accounts.user", detail="password recovered by code").count() == 1
    row = OneTimeCode.objects.get()
    assert row.used_at and last_code("13800135678") not in row.code_digest


def test_a_code_is_single_use(with_phone):
    code_request(purpose=CodePurpose.RECOVERY, mobile="13800135678")
    code = last_code("13800135678")
    password_recover(mobile="13800135678", code=code, new_password="Xinmima-2026")
    with pytest.raises(ValidationError):
        password_recover(mobile="13800135678", code=code, new_password="Another-2026x")


def test_a_code_expires(with_phone):
    code_request(purpose=CodePurpose.RECOVERY, mobile="13800135678")
    later = timezone.now() + timezone.timedelta(minutes=11)
    assert not code_take(purpose=CodePurpose.RECOVERY, mobile="13800135678", code=last_code("13800135678"), now=later)


def test_wrong_tries_end_the_code(with_phone, settings):
    code_request(purpose=CodePurpose.RECOVERY, mobile="13800135678")
    code = last_code("13800135678")
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for _i in range(settings.ONE_TIME_CODE_ATTEMPTS):
        with pytest.raises(ValidationError):
            password_recover(mobile="13800135678", code=wrong, new_password="Xinmima-2026")
    with pytest.raises(ValidationError):
        password_recover(mobile="13800135678", code=code, new_password="Xinmima-2026")
    assert not fresh(with_phone).check_password("Xinmima-2026")


def test_a_newer_code_ends_the_older(with_phone, settings, monkeypatch):
    from gongzhi.accounts import codes

    draws = iter([111111, 222222])
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: next(draws))
    settings.ONE_TIME_CODE_INTERVAL_SECONDS = 0
    code_request(purpose=CodePurpose.RECOVERY, mobile="13800135678")
    code_request(purpose=CodePurpose.RECOVERY, mobile="13800135678")
    assert not code_take(purpose=CodePurpose.RECOVERY, mobile="13800135678", code="111111")
    assert code_take(purpose=CodePurpose.RECOVERY, mobile="13800135678", code="222222")


def test_recovery_is_neutral_and_limited_per_number_and_per_address(with_phone, api, settings):
    a = api.post(None, "/api/v1/auth/recover", {"mobile": "13800135678"})
    b = api.post(None, "/api/v1/auth/recover", {"mobile": "13911112222"})
    assert (a.status_code, a.json()) == (b.status_code, b.json()) == (202, a.json())
    assert [m for m, _t in MemorySender.outbox] == ["13800135678"]  # only the owner's phone hears of it
    again = api.post(None, "/api/v1/auth/recover", {"mobile": "13911112222"})  # within the minute
    assert again.status_code == 429 and int(again["Retry-After"]) > 0
    settings.ONE_TIME_CODE_INTERVAL_SECONDS = 0
    settings.ONE_TIME_CODES_PER_ADDRESS_HOUR = 2  # two asked from this address already
    assert api.post(None, "/api/v1/auth/recover", {"mobile": "13911113333"}).status_code == 429


def test_per_number_hourly_limit(with_phone, settings):
    settings.ONE_TIME_CODE_INTERVAL_SECONDS = 0
    for _i in range(settings.ONE_TIME_CODES_PER_NUMBER_HOUR):
        code_request(purpose=CodePurpose.RECOVERY, mobile="13800135678")
    with pytest.raises(TooMany):
        code_request(purpose=CodePurpose.RECOVERY, mobile="13800135678")


def test_the_recovery_pages(client, with_phone):
    assert "忘记密码" in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/recover/code/").status_code == 302  # no number yet
    r = client.post("/accounts/recover/", {"mobile": "138 0013 5678"})
    assert r.status_code == 302 and r["Location"].endswith("/accounts/recover/code/")
    page = client.get("/accounts/recover/code/").content.decode()
    assert "138****5678" in page and "13800135678" not in page
    bad = client.post("/accounts/recover/code/", {"code": "000000", "new_password": "Xinmima-2026",
                                                  "new_password2": "Xinmima-2026"})
    assert bad.status_code == 400 and "验证码错误或已过期" in bad.content.decode()
    ok = client.post("/accounts/recover/code/", {"code": last_code("13800135678"), "new_password": "Xinmima-2026",
                                                 "new_password2": "Xinmima-2026"})
    assert ok.status_code == 302 and fresh(with_phone).check_password("Xinmima-2026")
