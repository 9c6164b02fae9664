from django.core.management.base import BaseCommand

from gongzhi.appeals.deadlines import watch_deadlines
from gongzhi.notifications.tasks import sweep_outbox


class Command(BaseCommand):
    help = "提醒临近办结时限的诉求，超期诉求逐级升级督办 (remind near deadlines, escalate overdue appeals)"

    def handle(self, *args, **options):
        reminded, escalated = watch_deadlines()
        # The notifications safety net rides on this five-minute watch: timeline rows still pending with no
        # drain waiting (its request died after commit, or the worker died mid-run) get a drain now.
        drain = sweep_outbox()
        self.stdout.write(f"reminded={reminded} escalated={escalated} drain={drain}")
