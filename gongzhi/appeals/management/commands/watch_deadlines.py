import logging
import time

from django.core.management.base import BaseCommand
from django.db import connections

from gongzhi.appeals.deadlines import watch_deadlines
from gongzhi.care.services import remind_due_followups
from gongzhi.core.idempotency import purge_expired
from gongzhi.notifications.tasks import sweep_digests, sweep_outbox

log = logging.getLogger("gongzhi.deadlines")


class Command(BaseCommand):
    help = "提醒临近办结时限的诉求，超期诉求逐级升级督办 (remind near deadlines, escalate overdue appeals)"

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, metavar="SECONDS",
                            help="keep watching, a round every SECONDS (bin/serve); a failed round is logged and "
                                 "the next comes as usual")

    def handle(self, *args, every=0, **options):
        if not every:
            self.report(*self.round())
            return
        while True:
            try:
                reminded, escalated, drain, digests = self.round()
                if reminded or escalated or drain != "idle" or digests != "idle":  # quiet rounds say nothing
                    self.report(reminded, escalated, drain, digests)
            except Exception:  # noqa: BLE001 - the database may be away for a while: the next round tries again
                log.exception("deadline watch round failed; next round in %s s", every)
            finally:
                connections.close_all()  # a connection broken by an outage is not reused
            time.sleep(every)

    def round(self):
        reminded, escalated = watch_deadlines()
        # Assistance cases' follow-up visits now due: their case workers are told once each (this is the site's
        # one clock-driven watch, so every capability's reminders ride on it).
        reminded += remind_due_followups()
        purge_expired()  # idempotency keys past IDEMPOTENCY_KEY_HOURS
        # The notifications safety net rides on this five-minute watch: timeline rows still pending with no
        # drain waiting (its request died after commit, or the worker died mid-run) get a drain now.
        # The daily digests too: the first round after NOTIFICATION_DIGEST_TIME asks for their build.
        return reminded, escalated, sweep_outbox(), sweep_digests()

    def report(self, reminded, escalated, drain, digests):
        self.stdout.write(f"reminded={reminded} escalated={escalated} drain={drain} digests={digests}")
