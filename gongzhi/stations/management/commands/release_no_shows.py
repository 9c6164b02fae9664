"""The no-show sweep (bin/serve runs it every NO_SHOW_SWEEP_SECONDS): confirmed bookings nobody checked in to within
the grace time after their start become no-shows, their rooms' time free again. A new booking releases the ones
it meets on its own (services.booking_create), so a sweep that is late or down delays only the booker's notice
and the figures, never a room."""
import logging
import time

from django.core.management.base import BaseCommand
from django.db import connections

from gongzhi.stations.services import release_no_shows

log = logging.getLogger("gongzhi.stations")


class Command(BaseCommand):
    help = "释放开始后未按时签到的活动室预约 (release the rooms of confirmed bookings nobody checked in to)"

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, metavar="SECONDS",
                            help="keep sweeping, a round every SECONDS (bin/serve); a failed round is logged and "
                                 "the next comes as usual")

    def handle(self, *args, every=0, **options):
        if not every:
            self.stdout.write(f"released={release_no_shows()}")
            return
        while True:
            try:
                released = release_no_shows()
                if released:  # quiet rounds say nothing
                    self.stdout.write(f"released={released}")
            except Exception:  # noqa: BLE001 - the database may be away for a while: the next round tries again
                log.exception("no-show sweep failed; next round in %s s", every)
            finally:
                connections.close_all()  # a connection broken by an outage is not reused
            time.sleep(every)
