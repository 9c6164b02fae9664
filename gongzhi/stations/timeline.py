"""Who hears of a booking: the keepers when one waits for their approval, the booker when it is decided or
released as a no-show. A check-in is on the timeline too, telling nobody: the booker was there."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.policy import users_with
from gongzhi.core import timeline
from gongzhi.core.workdays import LOCAL

from .capability import BOOKING_MANAGE
from .models import BookingEvent

LABEL = "stations"
KEEPER = "keeper"
BOOKER = "booker"


class StationTimeline(timeline.Source):
    label = LABEL
    model = BookingEvent
    actions = ("booking_request", "booking_approve", "booking_refuse", "booking_no_show")
    kinds = {"booking_request": timeline.Kind(label=gettext_lazy("活动室预约待审核")),
             "booking_approve": timeline.Kind(label=gettext_lazy("活动室预约已通过")),
             "booking_refuse": timeline.Kind(label=gettext_lazy("活动室预约未通过")),
             "booking_no_show": timeline.Kind(label=gettext_lazy("活动室预约未签到已释放"), default=timeline.INBOX)}

    def load(self, ids):
        return list(BookingEvent.objects.select_related("booking__room__station").filter(pk__in=ids).order_by("id"))

    def audience(self, events):
        out = {}
        for e in events:
            if e.action == "booking_request":
                keepers = dict.fromkeys(users_with(BOOKING_MANAGE, e.booking).values_list("pk", flat=True), KEEPER)
                keepers.pop(e.actor_id, None)
                out[e.pk] = timeline.Audience(keepers, frozenset())
            elif e.action in self.actions and e.booking.booked_by_id != e.actor_id:
                out[e.pk] = timeline.Audience({e.booking.booked_by_id: BOOKER}, frozenset())
        return out

    def message(self, event, party):
        b = event.booking
        when = b.starts_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
        words = {"booking_request": _("新的活动室预约待审核：%(room)s，%(when)s"),
                 "booking_approve": _("您的活动室预约已通过：%(room)s，%(when)s"),
                 "booking_refuse": _("您的活动室预约未通过：%(room)s，%(when)s"),
                 "booking_no_show": _("您的活动室预约未按时签到，已释放：%(room)s，%(when)s")}[event.action]
        return {"title": words % {"room": b.room.name, "when": when},
                "body": b.room.station.name}

    def link(self, event):
        return f"/stations/bookings/{event.booking_id}/"

    def subject_id(self, event):
        return event.booking_id

    def payload(self, event):
        b = event.booking
        return {"event": event.action, "booking": b.pk, "room": b.room_id, "starts_at": b.starts_at.isoformat(),
                "ends_at": b.ends_at.isoformat(), "status": b.status}
