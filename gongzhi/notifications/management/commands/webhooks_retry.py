"""Enqueue every webhook delivery whose next attempt is due.

The worker normally schedules retries itself (run_after); this sweep picks
up what a backend without deferral, or a lost task, left behind.
"""
from django.core.management.base import BaseCommand

from gongzhi.notifications.services import due_delivery_ids
from gongzhi.notifications.tasks import deliver_webhook


class Command(BaseCommand):
    help = "Enqueue webhook deliveries whose next attempt is due."

    def handle(self, *args, **options):
        ids = due_delivery_ids()
        for pk in ids:
            deliver_webhook.enqueue(pk)
        self.stdout.write(f"{len(ids)} deliveries enqueued")
