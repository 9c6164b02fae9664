"""No one outside a case sees any of it: pages, API, search, exports, notifications and counts, for every demo
account and for generated users. Inside: the leadership over the case's place and its case workers read it; the
referrer its broad status only; an organisation the one measure sent to it."""
import random
from io import StringIO

import pytest
from django.core.management import call_command

from conftest import random_staff  # tests/conftest.py
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import holds_by_place
from gongzhi.care import services
from gongzhi.care.capability import CASE_VIEW
from gongzhi.care.models import Case, CaseWorker, Measure
from gongzhi.notifications.models import Notification

from .conftest import TODAY

pytestmark = pytest.mark.django_db

# Texts only the case's insiders may read (the demo's seed story): none may appear anywhere for anyone else.
DEMO_SECRETS = ("腰椎间盘突出", "月收入不足600元", "家庭无固定收入", "男主人去年病故", "胃癌术后", "医药费已花费12万元")


def _sees_case_page(client, user, case):
    client.force_login(user)
    r = client.get(f"/care/cases/{case.pk}/")
    return r.status_code, r.content.decode()


def _inside(user, case):
    return holds_by_place(user, CASE_VIEW, case) or CaseWorker.objects.filter(case=case, user=user).exists()


def _check_everyone(client, api, users, secrets):
    cases = list(Case.objects.select_related("compound"))
    measures = list(Measure.objects.select_related("organisation"))
    assert cases and measures
    for user in users:
        client.force_login(user)
        for case in cases:
            status, page = _sees_case_page(client, user, case)
            inside = _inside(user, case)
            referrer = case.referred_by_id == user.pk
            if inside:
                assert status == 200, (user.username, case.pk)
            elif referrer:
                assert status == 200 and "data-status" in page, (user.username, case.pk)
                for word in (*secrets, "帮扶计划", "敏感信息", "个案工作者"):
                    assert word not in page, (user.username, word)
            else:
                assert status == 404, (user.username, case.pk)
            r = api.get(user, f"/api/v1/care/cases/{case.pk}")
            assert (r.status_code == 200) == inside, (user.username, case.pk, r.status_code)
            assert client.post(f"/care/cases/{case.pk}/reveal/").status_code == (200 if inside else 404)
        # lists and search: only cases the user is inside of, and never a sensitive word
        listed = {row["id"] for row in api.get(user, "/api/v1/care/cases", limit=200).json()["items"]}
        assert listed == {c.pk for c in cases if _inside(user, c) and holds_by_place(user, CASE_VIEW, c)} \
            | ({c.pk for c in cases if _inside(user, c)} & listed), user.username
        assert all(_inside(user, c) for c in cases if c.pk in listed), user.username
        for c in cases:
            if c.applicant_id:
                found = api.get(user, "/api/v1/care/cases", q=c.applicant.name).json()
                assert all(_inside(user, Case.objects.get(pk=row["id"])) for row in found["items"]), user.username
        index = client.get("/care/")
        if index.status_code == 200:
            for word in secrets:
                assert word not in index.content.decode(), (user.username, word)
        # exports
        r = api.post(user, "/api/v1/care/export", {"reason": "民政季度统计报送"})
        if r.status_code == 200:
            assert all(_inside(user, Case.objects.get(pk=row["id"])) for row in r.json()["items"])
            assert not any(word in r.content.decode() for word in secrets)
        else:
            assert r.status_code == 404
        # measures through the organisation's side: only those sent to an organisation it acts for
        seen = {row["id"] for row in api.get(user, "/api/v1/care/org-measures").json()["items"]}
        for m in measures:
            sent_to_mine = m.organisation_id is not None and m.organisation_id in _acting(user)
            assert (m.pk in seen) == sent_to_mine, (user.username, m.pk)
            code = client.get(f"/care/measures/{m.pk}/").status_code
            assert (code == 200) == sent_to_mine, (user.username, m.pk, code)
        # counts: exact only where the user may read the cases there, else "fewer than 5"
        for row in api.get(user, "/api/v1/care/cases", limit=1).json()["items"]:
            assert _inside(user, Case.objects.get(pk=row["id"]))


def _acting(user):
    from gongzhi.accounts.policy import acting_org_ids
    return acting_org_ids(user)


def test_every_demo_account_sees_only_what_its_place_or_relationship_allows(client, api, monkeypatch):
    call_command("load_demo", "--scale", "0.02", stdout=StringIO())
    users = list(User.objects.filter(is_superuser=False).order_by("username"))
    assert {"charity1", "property1", "community_worker", "grid_worker1"} <= {u.username for u in users}
    _check_everyone(client, api, users, DEMO_SECRETS)
    charity1 = User.objects.get(username="charity1")
    sent = Measure.objects.filter(organisation__name="兴宁市善小助学协会")
    assert sent.count() == 1 and sent.get().kind == "scholarship"
    assert [row["id"] for row in api.get(charity1, "/api/v1/care/org-measures").json()["items"]] == [sent.get().pk]
    # counts below the threshold are not shown to the grid worker, exactly to the community
    client.force_login(User.objects.get(username="grid_worker1"))
    page = client.get("/care/").content.decode()
    assert "少于 5 个" in page


def test_generated_users_and_notifications(care, client, api, django_capture_on_commit_callbacks):
    """Random users holding random roles anywhere: none outside a case reads it; notifications reach only the
    insiders (the referrer its broad status), and no message carries a circumstance."""
    generated = random_staff(random.Random(13), 24, care.password, most_roles=2)
    with django_capture_on_commit_callbacks(execute=True):
        case = services.refer(user=care.property1, household=care.H1.pk, note="母亲失业孩子辍学")
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(user=care.community_worker, case=case, worker=care.grid_worker.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.verify(user=care.grid_worker, case=case.pk, visited_on=TODAY, findings="父亲病故", decision="open",
                        case_type="child", health="孩子先天心脏病", finances="欠债五万元", applicant=care.R1.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.measure_add(user=care.grid_worker, case=case.pk, kind="scholarship", started_on=TODAY,
                             organisation=care.charity.pk, beneficiary_name="张小明", application_note="初二学生")
    with django_capture_on_commit_callbacks(execute=True):
        services.close(user=care.grid_worker, case=case.pk, review="家庭稳定", confirm_open=True)
    secrets = ("母亲失业", "父亲病故", "心脏病", "欠债五万元")
    everyone = [*generated, care.street_admin, care.community_worker, care.grid_worker, care.grid_worker2,
                care.property1, care.owners1, care.member1, care.resident1, care.resident2, care.rider1, care.nobody,
                care.charity1, care.charity2]
    _check_everyone(client, api, everyone, secrets)
    told = Notification.objects.filter(source="care")
    assert told.exists()
    for n in told:
        assert not any(word in n.title + n.body for word in secrets), n.body
        user = n.recipient
        assert _inside(user, case) or user == care.property1 or (n.action == "measure_sent" and user == care.charity1), \
            (user.username, n.action)
        if user == care.property1:
            assert n.action in ("assigned", "closed") and ("处理中" in n.body or "已办结" in n.body)
    assert told.filter(recipient=care.charity1, action="measure_sent").count() == 1
    assert not told.filter(recipient=care.charity2).exists()
