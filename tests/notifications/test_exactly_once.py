"""Each e-mail and each webhook delivery is claimed before it is sent and marked after: a run again (a worker
that died, a task queued twice) neither loses nor repeats one."""
import datetime
import os
import signal

import pytest
from django.core import mail
from django.db import connection
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gongzhi.accounts.models import User
from gongzhi.notifications import services, tasks, webhooks
from gongzhi.notifications.models import DeliveryStatus, Notification, WebhookDelivery
from support import mail as files
from support.worker import start_worker, stop, wait_for

LAPSE = datetime.timedelta(seconds=60)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.TASK_RECLAIM_SECONDS = 60


@pytest.fixture
def messages(db, settings):
    """Ten inbox messages to ten people with an address, none e-mailed yet."""
    settings.SITE_URL = "https://gongzhi.example.cn"
    people = [User.objects.create_user(username=f"mail{i}", email=f"mail{i}@example.cn") for i in range(10)]
    return [Notification.objects.create(recipient=u, action="submit", title=f"新诉求 {i}", url="/appeals/1/").pk
            for i, u in enumerate(people)]


def sent_ids():
    return [m.extra_headers["Message-ID"] for m in mail.outbox]


def expected_ids(pks):
    return [f"<notification-{pk}@gongzhi.example.cn>" for pk in pks]


def emailed(pks):
    return Notification.objects.filter(pk__in=pks, emailed_at__isnull=False).count()


class TestEmails:
    def test_sent_twice_for_the_same_messages_sends_once(self, messages):
        assert services.send_emails(messages) == services.EmailRun([], [], None)
        assert services.send_emails(messages) == services.EmailRun([], [], None)
        assert sorted(sent_ids()) == sorted(expected_ids(messages))  # one each, under its own Message-ID
        assert emailed(messages) == 10

    def test_sent_again_after_the_claims_lapsed_still_sends_once(self, messages):
        # A task queued twice may run the second time long after the first: the claims have lapsed by then,
        # so only the sent mark keeps a message from going out again.
        assert services.send_emails(messages) == services.EmailRun([], [], None)
        assert len(mail.outbox) == 10
        Notification.objects.filter(pk__in=messages).update(email_claimed_at=timezone.now() - 2 * LAPSE)
        assert services.send_emails(messages) == services.EmailRun([], [], None)
        assert services.send_emails(messages + messages) == services.EmailRun([], [], None)
        assert len(mail.outbox) == 10
        recipients = sorted(address for m in mail.outbox for address in m.to)
        assert recipients == sorted(f"mail{i}@example.cn" for i in range(10))

    def test_the_task_run_twice_sends_once(self, messages):
        tasks.send_notification_emails.call(messages)
        tasks.send_notification_emails.call(messages)
        assert len(mail.outbox) == 10 and sorted(sent_ids()) == sorted(expected_ids(messages))

    def test_a_message_another_run_holds_is_left_to_it_until_its_claim_lapses(self, messages):
        held = messages[3]
        claimed_at = timezone.now() - datetime.timedelta(seconds=10)
        Notification.objects.filter(pk=held).update(email_claimed_at=claimed_at)
        run = services.send_emails(messages)
        assert run == services.EmailRun([], [held], claimed_at + LAPSE)
        assert sorted(sent_ids()) == sorted(expected_ids(m for m in messages if m != held))
        Notification.objects.filter(pk=held).update(email_claimed_at=claimed_at - LAPSE)  # its holder died
        assert services.send_emails(messages) == services.EmailRun([], [], None)
        assert sent_ids()[-1] == expected_ids([held])[0] and len(mail.outbox) == 10

    def test_a_failed_send_frees_its_claim_for_the_retry(self, messages, monkeypatch):
        from django.core.mail.backends.locmem import EmailBackend

        real = EmailBackend.send_messages

        def fourth_fails(self, batch):
            if len(mail.outbox) == 3:
                raise OSError("SMTP went away")
            return real(self, batch)

        monkeypatch.setattr(EmailBackend, "send_messages", fourth_fails)
        run = services.send_emails(messages)
        assert run == services.EmailRun(messages[3:], [], None)
        assert emailed(messages) == 3
        assert not Notification.objects.filter(pk__in=messages, email_claimed_at__isnull=False,
                                               emailed_at__isnull=True).exists()
        monkeypatch.undo()
        assert services.send_emails(run.unsent).unsent == []
        assert sorted(sent_ids()) == sorted(expected_ids(messages))

    def test_a_mark_the_database_refuses_is_retried_not_sent_again(self, messages, monkeypatch):
        """The database goes away between sending and marking (an outage, not a kill): the run keeps trying
        to mark while its claim holds, rather than leave the message to be sent again."""
        from django.db.models import QuerySet

        real = QuerySet.update
        outage = [OperationalError("server closed the connection unexpectedly")] * 2

        def update(self, **fields):
            if "emailed_at" in fields and outage:
                raise outage.pop()
            return real(self, **fields)

        monkeypatch.setattr(QuerySet, "update", update)
        monkeypatch.setattr(services, "close_old_connections", lambda: None)  # the test's connection holds its transaction
        monkeypatch.setattr(services.time, "sleep", lambda seconds: None)
        assert services.send_emails(messages) == services.EmailRun([], [], None)
        assert outage == [] and sorted(sent_ids()) == sorted(expected_ids(messages)) and emailed(messages) == 10

    def test_what_remains_a_run_killed_between_sending_and_marking(self, messages, monkeypatch):
        """The one window left: the mail server has the message, the mark is not written. After the claim
        lapses it is sent again, under the same Message-ID, so the copies are recognisably one e-mail."""
        from django.core.mail.message import EmailMessage

        real = EmailMessage.send

        def killed_after_the_fifth(self, *a, **kw):
            real(self, *a, **kw)
            if len(mail.outbox) == 5:
                raise KeyboardInterrupt  # not an Exception: nothing after this line of the run happens
            return 1

        monkeypatch.setattr(EmailMessage, "send", killed_after_the_fifth)
        with pytest.raises(KeyboardInterrupt):
            services.send_emails(messages)
        monkeypatch.undo()
        assert emailed(messages) == 4
        assert services.send_emails(messages).held == [messages[4]]  # its claim has not lapsed
        Notification.objects.filter(pk=messages[4]).update(email_claimed_at=timezone.now() - LAPSE)
        services.send_emails(messages)
        ids = sent_ids()
        assert len(ids) == 11 and sorted(set(ids)) == sorted(expected_ids(messages))
        assert ids.count(expected_ids([messages[4]])[0]) == 2

    def test_the_task_looks_again_when_the_claims_lapse(self, messages, database_queue):
        claimed_at = timezone.now()
        Notification.objects.filter(pk=messages[0]).update(email_claimed_at=claimed_at)
        assert tasks.send_notification_emails.call(messages) == {"unsent": 0, "held": 1}
        [again] = DBTaskResult.objects.filter(task_path=tasks.send_notification_emails.module_path)
        assert again.args_kwargs["args"] == [[messages[0]], 1]  # not counted as a failed attempt
        assert again.run_after == claimed_at + LAPSE


@pytest.fixture
def delivery(grid, receiver):
    ep, _secret = services.webhook_create(user=grid.community_worker, organisation=grid.property_co, url=receiver.url)
    return WebhookDelivery.objects.create(endpoint=ep, action="dispatch", payload={"event": "dispatch"},
                                          next_attempt_at=timezone.now())


@pytest.mark.django_db
class TestWebhooks:
    def test_an_attempt_in_flight_holds_the_delivery(self, delivery, receiver, monkeypatch):
        """A second attempt while the first is on the wire sends nothing."""
        seen, nested = [], []
        real = webhooks.post

        def post(url, **kw):
            if not nested:
                nested.append(True)
                seen.append(services.attempt_delivery(delivery.pk))  # a duplicate task runs meanwhile
            return real(url, **kw)

        monkeypatch.setattr(webhooks, "post", post)
        d = services.attempt_delivery(delivery.pk)
        assert [(s.status, s.attempts) for s in seen] == [(DeliveryStatus.SENDING, 1)]
        assert (d.status, d.attempts, len(receiver.requests)) == (DeliveryStatus.SUCCEEDED, 1, 1)

    def test_an_attempt_killed_on_the_wire_is_sent_again_when_its_claim_lapses(self, delivery, receiver,
                                                                              monkeypatch):
        real = webhooks.post

        def killed(url, **kw):
            real(url, **kw)
            raise KeyboardInterrupt

        monkeypatch.setattr(webhooks, "post", killed)
        with pytest.raises(KeyboardInterrupt):
            services.attempt_delivery(delivery.pk)
        monkeypatch.undo()
        delivery.refresh_from_db()
        claimed = delivery.last_attempt_at
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.SENDING, 1,
                                                                                 claimed + LAPSE)
        assert services.attempt_delivery(delivery.pk).status == DeliveryStatus.SENDING  # not yet
        assert services.due_delivery_ids(now=claimed + LAPSE) == [delivery.pk]  # the sweep sees it then
        d = services.attempt_delivery(delivery.pk, now=claimed + LAPSE)
        assert (d.status, d.attempts) == (DeliveryStatus.SUCCEEDED, 2)
        assert [r["headers"]["x-gongzhi-delivery"] for r in receiver.requests] == [str(delivery.pk)] * 2

    def test_a_task_meeting_a_claim_comes_back_when_it_lapses(self, delivery, receiver, database_queue):
        claimed = timezone.now()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, attempts=1,
                                                              last_attempt_at=claimed,
                                                              next_attempt_at=claimed + LAPSE)
        assert tasks.deliver_webhook.call(delivery.pk) == {"status": DeliveryStatus.SENDING, "attempts": 1}
        [again] = DBTaskResult.objects.filter(task_path=tasks.deliver_webhook.module_path)
        assert again.args_kwargs["args"] == [delivery.pk] and again.run_after == claimed + LAPSE
        assert receiver.requests == []

    def test_a_failure_and_its_retry_are_recorded_together(self, delivery, receiver, database_queue):
        receiver.default = 500
        tasks.deliver_webhook.call(delivery.pk)
        delivery.refresh_from_db()
        [retry] = DBTaskResult.objects.filter(task_path=tasks.deliver_webhook.module_path)
        assert (delivery.status, retry.run_after) == (DeliveryStatus.FAILED, delivery.next_attempt_at)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_every_email_sent_once(messages, database_queue, tmp_path):
    """A real worker is killed (SIGKILL) while sending a batch of ten, just before the fourth; another worker
    takes the task back after the bound and sends the rest: ten e-mails, one each."""
    outbox, log = tmp_path / "outbox", tmp_path / "worker.log"
    outbox.mkdir()
    env = {"TASK_RECLAIM_SECONDS": 2, "GONGZHI_TEST_MAIL_DIR": outbox, "SITE_URL": "https://gongzhi.example.cn",
           "EMAIL_BACKEND": "support.mail.FileBackend"}
    result = tasks.send_notification_emails.enqueue(messages)
    first = start_worker(log, GONGZHI_TEST_MAIL_STOP_AT=4, **env)
    try:
        wait_for(lambda: (outbox / "stopped").exists(), what="the first worker to reach the fourth e-mail",
                 process=first, log_path=log)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    assert len(files.sent(outbox)) == 3 and emailed(messages) == 3
    assert list(Notification.objects.filter(email_claimed_at__isnull=False, emailed_at__isnull=True)
                .values_list("pk", flat=True)) == [messages[3]]  # claimed, never sent
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING  # and nobody runs it

    second = start_worker(log, **env)
    try:
        wait_for(lambda: emailed(messages) == 10, what="every e-mail marked sent", process=second, log_path=log)
    finally:
        stop(second)
    assert sorted(files.message_ids(outbox)) == sorted(expected_ids(messages))  # each exactly once
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL
    assert "queued again" in log.read_text()
    if connection.vendor == "sqlite":  # the killed worker's test database file is still consistent
        with connection.cursor() as c:
            c.execute("PRAGMA integrity_check")
            assert c.fetchone() == ("ok",)
