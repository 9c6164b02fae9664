"""The daily digest: escalations and reminders gathered into one message per recipient per day, built once
whoever builds it, listing only what the recipient may still read."""
import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from gongzhi.appeals.models import Appeal, HandlerLevel
from gongzhi.appeals.services import _event
from gongzhi.notifications import digest, selectors, tasks
from gongzhi.notifications.models import DIGEST_SOURCE, DigestEntry, Notification, NotificationPreference

pytestmark = pytest.mark.django_db

LOCAL = ZoneInfo("Asia/Shanghai")


def local(day, hour, minute=0):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=LOCAL)


@pytest.fixture(autouse=True)
def _eight_oclock(settings):
    settings.NOTIFICATION_DIGEST_TIME = "08:00"


@pytest.fixture
def escalated(grid, flow, django_capture_on_commit_callbacks):
    """Three appeals escalated to the community and one reminder, all on 10 March before 08:00."""
    appeals = [flow.dispatched() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for i, a in enumerate(appeals):
            _event(a, None, "escalate", "", "", note="升级至社区督办", data={"level": HandlerLevel.COMMUNITY},
                   at=local(10, 6, i))
        _event(appeals[0], None, "remind", "", "", note="距离办结时限不足 24 小时", organisation=None,
               at=local(10, 7))
    return appeals


def digests(user):
    return list(Notification.objects.filter(recipient=user, source=DIGEST_SOURCE))


class TestTheFlood:
    def test_escalations_wait_for_the_digest_and_leave_the_inbox_and_its_count_alone(self, grid, escalated):
        cw = grid.community_worker
        assert not Notification.objects.filter(recipient=cw, action="escalate").exists()
        assert DigestEntry.objects.filter(recipient=cw, action="escalate").count() == 3
        unread = selectors.unread_count(cw)
        digest.build_digests(now=local(10, 8, 5))
        assert selectors.unread_count(cw) == unread + 1  # one message for the lot

    def test_one_message_counts_and_lists_them(self, grid, escalated):
        cw = grid.community_worker
        assert digest.build_digests(now=local(10, 8, 5)) >= 1
        [d] = digests(cw)
        assert d.event_id == 20260310
        assert d.title == "每日汇总：3 件诉求超期升级"
        assert d.body.count("· 诉求已超期，升级督办：") == 3
        assert d.url == f"/notifications/{d.pk}/digest/"
        assert sorted(d.entries.values_list("url", flat=True)) == sorted(f"/appeals/{a.pk}/" for a in escalated)
        # The reminder went to the handler's people, in their own digest, counted with its own words.
        [p] = digests(grid.property1)
        assert p.title == "每日汇总：1 件诉求即将超期"

    def test_english_plural_forms(self, grid, escalated):
        cw, p1 = grid.community_worker, grid.property1
        for u in (cw, p1):
            u.language = "en"
            u.save(update_fields=["language"])
        digest.build_digests(now=local(10, 8, 5))
        assert digests(cw)[0].title == "Daily digest: 3 appeals escalated as overdue"
        assert digests(p1)[0].title == "Daily digest: 1 appeal nearly due"

    def test_more_than_a_few_are_summed_up_in_the_inbox_and_all_listed_in_the_email(self, emails, flow,
                                                                                      django_capture_on_commit_callbacks):
        appeals = [flow.dispatched() for _ in range(digest.INBOX_LINES + 2)]
        with django_capture_on_commit_callbacks(execute=True):
            for a in appeals:
                _event(a, None, "escalate", "", "", data={"level": HandlerLevel.COMMUNITY}, at=local(10, 6))
        mail.outbox.clear()
        digest.build_digests(now=local(10, 8, 5), queue=_send_now)
        [d] = digests(emails.community_worker)
        assert d.body.count("\n· ") == digest.INBOX_LINES - 1 and d.body.endswith("另有 2 项，打开汇总查看全部")
        [m] = [m for m in mail.outbox if m.to == ["cw@example.cn"]]
        assert m.subject == "【共治】每日汇总：7 件诉求超期升级"
        for a in appeals:
            assert f"https://gongzhi.example.cn/appeals/{a.pk}/" in m.body


def _send_now(ids):
    tasks.send_notification_emails.call(ids)


class TestPeriods:
    def test_nothing_before_the_time_and_late_events_wait_for_the_next_day(self, grid, flow,
                                                                          django_capture_on_commit_callbacks):
        a, b = flow.dispatched(), flow.dispatched()
        with django_capture_on_commit_callbacks(execute=True):
            _event(a, None, "escalate", "", "", data={"level": HandlerLevel.COMMUNITY}, at=local(10, 7))
            _event(b, None, "escalate", "", "", data={"level": HandlerLevel.COMMUNITY}, at=local(10, 9))
        cw = grid.community_worker
        digest.build_digests(now=local(10, 7, 59))  # the 9 March period: nothing of theirs was written before it
        assert digests(cw) == []
        digest.build_digests(now=local(10, 8, 1))
        [first] = digests(cw)
        assert list(first.entries.values_list("url", flat=True)) == [f"/appeals/{a.pk}/"]
        digest.build_digests(now=local(10, 23))  # the same period: nothing more
        assert digests(cw) == [first]
        digest.build_digests(now=local(11, 8, 1))
        second = [d for d in digests(cw) if d != first]
        assert [d.event_id for d in second] == [20260311]
        assert list(second[0].entries.values_list("url", flat=True)) == [f"/appeals/{b.pk}/"]

    def test_the_period_is_the_local_day(self, settings):
        assert digest.period(local(10, 8)) == (20260310, local(10, 8))
        assert digest.period(local(10, 7, 59)) == (20260309, local(9, 8))
        # 08:00 in Shanghai is midnight UTC: the local clock, not the UTC one, says when a period ends.
        assert digest.period(datetime.datetime(2026, 3, 11, 0, 0, tzinfo=datetime.UTC))[0] == 20260311
        assert digest.period(datetime.datetime(2026, 3, 10, 23, 59, tzinfo=datetime.UTC))[0] == 20260310


class TestOnce:
    def test_a_second_run_builds_nothing_and_sends_nothing(self, emails, escalated):
        mail.outbox.clear()
        digest.build_digests(now=local(10, 8, 5), queue=_send_now)
        first = list(Notification.objects.filter(source=DIGEST_SOURCE).values_list("pk", flat=True))
        sent = len(mail.outbox)
        assert sent >= 1
        assert digest.build_digests(now=local(10, 8, 6), queue=_send_now) == 0
        assert digest.build_digest(emails.community_worker.pk, now=local(10, 9), queue=_send_now) is None
        assert list(Notification.objects.filter(source=DIGEST_SOURCE).values_list("pk", flat=True)) == first
        assert len(mail.outbox) == sent
        assert digest.due_recipients(local(10, 9)) == []

    def test_a_run_killed_midway_is_finished_by_the_next(self, grid, escalated, monkeypatch):
        real = digest.compose
        calls = []

        def dies_on_the_second(entries):
            calls.append(1)
            if len(calls) == 2:
                raise SystemExit("killed")
            return real(entries)

        monkeypatch.setattr(digest, "compose", dies_on_the_second)
        due = digest.due_recipients(local(10, 8, 5))
        assert len(due) >= 2
        with pytest.raises(SystemExit):
            digest.build_digests(now=local(10, 8, 5))
        # The first recipient's digest committed; the second's transaction left nothing behind.
        assert Notification.objects.filter(source=DIGEST_SOURCE).count() == 1
        assert DigestEntry.objects.filter(recipient_id=due[1], digested_at__isnull=True).exists()
        monkeypatch.setattr(digest, "compose", real)
        digest.build_digests(now=local(10, 8, 6))
        for uid in due:
            assert Notification.objects.filter(source=DIGEST_SOURCE, recipient_id=uid).count() == 1
        assert not DigestEntry.objects.filter(digested_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_builders_at_once_make_one_digest(grid, flow, django_capture_on_commit_callbacks):
    appeals = [flow.dispatched() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for a in appeals:
            _event(a, None, "escalate", "", "", data={"level": HandlerLevel.COMMUNITY}, at=local(10, 6))
    cw = grid.community_worker
    queued, results = [], []
    barrier = threading.Barrier(2)

    def build():
        try:
            barrier.wait()
            results.append(digest.build_digest(cw.pk, now=local(10, 8, 5), queue=queued.append))
        finally:
            connection.close()

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    built = [r for r in results if r is not None]
    assert len(results) == 2 and len(built) == 1
    assert Notification.objects.filter(recipient=cw, source=DIGEST_SOURCE).count() == 1
    assert DigestEntry.objects.filter(recipient=cw, digest=built[0]).count() == 3
    assert len(queued) <= 1  # an e-mail only for a recipient with an address, and once


class TestPrivacy:
    def test_an_appeal_the_recipient_may_no_longer_read_is_left_out(self, grid, flow,
                                                                      django_capture_on_commit_callbacks):
        gw = grid.grid_worker  # grid worker over compound 1: verifies what is resolved there
        NotificationPreference.objects.create(user=gw, source="appeals", action="resolve", delivery="digest")
        kept, moved = flow.resolved(), flow.resolved()
        assert DigestEntry.objects.filter(recipient=gw).count() == 2
        Appeal.objects.filter(pk=moved.pk).update(compound=grid.K2)  # now outside the grid worker's scope
        digest.build_digests(now=timezone.now() + datetime.timedelta(days=1))
        [d] = digests(gw)
        assert list(d.entries.values_list("url", flat=True)) == [f"/appeals/{kept.pk}/"]
        assert d.title == "每日汇总：诉求已办结，请核查 1 条"
        assert str(moved.pk) not in d.body

    def test_nothing_left_to_read_sends_nothing(self, grid, flow, django_capture_on_commit_callbacks):
        gw = grid.grid_worker
        NotificationPreference.objects.create(user=gw, source="appeals", action="resolve", delivery="digest")
        a = flow.resolved()
        Appeal.objects.filter(pk=a.pk).update(compound=grid.K2)
        digest.build_digests(now=timezone.now() + datetime.timedelta(days=1))
        assert digests(gw) == []
        assert not DigestEntry.objects.filter(recipient=gw, digested_at__isnull=True).exists()
        assert digest.due_recipients(timezone.now() + datetime.timedelta(days=1)) == []


class TestPages:
    def test_the_digest_page_lists_its_items_for_its_recipient_only(self, grid, escalated, client, api):
        cw = grid.community_worker
        digest.build_digests(now=local(10, 8, 5))
        [d] = digests(cw)
        client.force_login(grid.street_admin)
        assert client.get(f"/notifications/{d.pk}/digest/").status_code == 404
        client.force_login(cw)
        r = client.get(f"/notifications/{d.pk}/digest/")
        assert r.status_code == 200
        for a in escalated:
            assert f'href="/appeals/{a.pk}/"' in r.content.decode()
        d.refresh_from_db()
        assert d.read_at is not None
        r = api.get(cw, f"/api/v1/notifications/{d.pk}/digest")
        assert r.status_code == 200 and len(r.json()["items"]) == 3
        assert api.get(grid.street_admin, f"/api/v1/notifications/{d.pk}/digest").status_code == 404
        plain = Notification.objects.filter(recipient=cw).exclude(source=DIGEST_SOURCE).first()
        assert api.get(cw, f"/api/v1/notifications/{plain.pk}/digest").status_code == 404

    def test_the_inbox_says_what_waits_for_the_digest(self, grid, escalated, client):
        client.force_login(grid.community_worker)
        body = client.get("/notifications/").content.decode()
        assert "另有 3 条消息将在" in body and "/notifications/preferences/" in body


class TestSweep:
    def test_the_watch_asks_for_a_build_when_one_is_due(self, grid, escalated, monkeypatch):
        monkeypatch.setattr(digest, "period", lambda now=None: (20260310, local(10, 8)))
        assert tasks.sweep_digests() == "queued"  # the immediate backend builds them right there
        assert digests(grid.community_worker)
        assert tasks.sweep_digests() == "idle"
