from django.core.management.base import BaseCommand

from gongzhi.appeals.deadlines import watch_deadlines


class Command(BaseCommand):
    help = "提醒临近办结时限的诉求，超期诉求逐级升级督办 (remind near deadlines, escalate overdue appeals)"

    def handle(self, *args, **options):
        reminded, escalated = watch_deadlines()
        self.stdout.write(f"reminded={reminded} escalated={escalated}")
