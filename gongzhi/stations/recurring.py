"""Weekly recurring bookings: one room, the same hours, for N weeks in a row.

A series is checked and written in one transaction under the room's lock, the lock a single booking takes too,
so a series and a single booking of the same hour queue up and the second sees the first. The room's rules
hold for the series once: purpose and seats, the length, the first week within the room's horizon (the later
weeks may lie beyond it: that is what booking ahead by the week means), at most MAX_WEEKS weeks. Then every
week is set against the station's calendar and the bookings already there; a week that collides is named
with why (taken, a temporary closure, a public holiday the station closes on, outside the opening hours).
The booker says beforehand what to do then: refuse the whole series, writing nothing, or skip those weeks.
The weeks written share a series id; the series is cancelled as a whole from any of its weeks on.
"""
import datetime
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.policy import can, require
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction
from gongzhi.core.workdays import LOCAL

from . import selectors
from .capability import BOOKING_CANCEL, ROOM_BOOK
from .hours import covers, holidays_between, open_spans
from .models import HOLDING, Booking, BookingStatus, Closure, Room
from .services import Conflict, _aware, _event, check_rules, release_met

MIN_WEEKS = 2
MAX_WEEKS = 12
ONE_DAY = datetime.timedelta(days=1)


class Why(models.TextChoices):
    OVERLAP = "overlap", gettext_lazy("该时段已被预约")
    CLOSURE = "closure", gettext_lazy("驿站临时闭站")
    HOLIDAY = "holiday", gettext_lazy("法定节假日闭站")
    HOURS = "hours", gettext_lazy("不在驿站开放时间内")


@dataclass(frozen=True)
class Week:
    number: int  # 1 for the first week asked for
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    why: str = ""  # a Why, or "" when the week is free
    detail: str = ""  # the closure's reason

    @property
    def free(self):
        return not self.why

    @property
    def why_display(self):
        if not self.why:
            return ""
        label = str(Why(self.why).label)
        return f"{label}（{self.detail}）" if self.detail else label


class SeriesConflict(Conflict):
    """Weeks of the series collide and the booker asked to refuse it then: nothing was written."""

    def __init__(self, weeks, message=None):
        self.weeks = list(weeks)
        super().__init__(message or _("有 %(n)d 周与已有安排冲突，整个重复预约未提交") % {"n": len(self.weeks)})


@dataclass
class Series:
    id: uuid.UUID
    bookings: list
    skipped: list = field(default_factory=list)


def _weekly(starts_at, ends_at, weeks):
    """[(start, end)] of each week: the same local clock time, 7 days apart."""
    local = starts_at.astimezone(LOCAL)
    length = ends_at - starts_at
    out = []
    for i in range(weeks):
        start = datetime.datetime.combine(local.date() + datetime.timedelta(weeks=i), local.time(), tzinfo=LOCAL)
        out.append((start, start + length))
    return out


def _days_touched(start, end):
    first, last = start.astimezone(LOCAL).date(), (end - datetime.timedelta(microseconds=1)).astimezone(LOCAL).date()
    return {first + datetime.timedelta(days=i) for i in range((last - first).days + 1)}


def plan(room, *, starts_at, ends_at, weeks, now=None):
    """[Week] of the series, each free or saying why not. Three reads whatever the weeks: the station's hours
    (prefetched where the caller read the room with them), its closures and the room's bookings over the
    whole span, and the calendar's holidays when the station closes on them."""
    slots = _weekly(starts_at, ends_at, weeks)
    begin, end = slots[0][0], slots[-1][1]
    first_day, last_day = begin.astimezone(LOCAL).date(), end.astimezone(LOCAL).date()
    station = room.station
    hours = open_spans(selectors.patterns_of(station), first_day, last_day)
    holidays = holidays_between(first_day, last_day) if station.closed_on_holidays else frozenset()
    closures = list(Closure.objects.filter(station=station, starts_at__lt=end, ends_at__gt=begin)
                    .values_list("starts_at", "ends_at", "reason"))
    taken = list(selectors.holding(now).filter(room=room, starts_at__lt=end, ends_at__gt=begin)
                 .values_list("starts_at", "ends_at"))
    out = []
    for number, (a, b) in enumerate(slots, start=1):
        why, detail = "", ""
        closure = next((reason for ca, cb, reason in closures if ca < b and cb > a), None)
        if holidays & _days_touched(a, b):
            why = Why.HOLIDAY
        elif closure is not None:
            why, detail = Why.CLOSURE, closure
        elif not covers(hours, a, b):
            why = Why.HOURS
        elif any(ta < b and tb > a for ta, tb in taken):
            why = Why.OVERLAP
        out.append(Week(number, a, b, why, detail))
    return out


def _check_weeks(weeks):
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise ValidationError({"weeks": _("每周重复的周数应在 %(a)d 到 %(b)d 之间") % {"a": MIN_WEEKS, "b": MAX_WEEKS}})


def _room(room_id, *, lock):
    """The room with its station and hours; locked as booking_create locks it, so the two queue up."""
    qs = Room.objects.select_related("station").prefetch_related("station__hours")
    room = (qs.select_for_update() if lock else qs).filter(pk=room_id).first()
    if room is None:
        raise Http404
    return room


def series_check(*, user, room_id, starts_at, ends_at, weeks, attendees, purpose, now=None):
    """What booking the series would meet, without writing: the rules' errors raised, else [Week]."""
    now = now or timezone.now()
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    purpose = (purpose or "").strip()
    _check_weeks(weeks)
    room = _room(room_id, lock=False)
    require(user, ROOM_BOOK, room)
    check_rules(room, starts_at=starts_at, ends_at=ends_at, attendees=attendees, purpose=purpose, now=now)
    return plan(room, starts_at=starts_at, ends_at=ends_at, weeks=weeks, now=now)


def series_create(*, user, room_id, starts_at, ends_at, weeks, attendees, purpose, skip_conflicts=False, now=None):
    """Book the room weekly for `weeks` weeks from `starts_at`. A week in conflict refuses the whole series
    (SeriesConflict naming the weeks, nothing written) unless `skip_conflicts`, when the other weeks are booked;
    a series none of whose weeks is free is refused either way."""
    now = now or timezone.now()
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    purpose = (purpose or "").strip()
    _check_weeks(weeks)
    try:
        with transaction.atomic():
            room = _room(room_id, lock=True)
            require(user, ROOM_BOOK, room)
            check_rules(room, starts_at=starts_at, ends_at=ends_at, attendees=attendees, purpose=purpose, now=now)
            slots = _weekly(starts_at, ends_at, weeks)
            release_met(room, slots[0][0], slots[-1][1], now)
            weeks_planned = plan(room, starts_at=starts_at, ends_at=ends_at, weeks=weeks, now=now)
            conflicts = [w for w in weeks_planned if not w.free]
            free = [w for w in weeks_planned if w.free]
            if not free:
                raise SeriesConflict(conflicts, _("每一周都与已有安排冲突，无法预约"))
            if conflicts and not skip_conflicts:
                raise SeriesConflict(conflicts)
            series = uuid.uuid4()
            station = room.station
            status = BookingStatus.PENDING if room.needs_approval else BookingStatus.CONFIRMED
            note = _("每周重复预约，共 %(n)d 周") % {"n": len(free)}
            made = []
            for i, w in enumerate(free):
                booking = Booking.objects.create(
                    room=room, booked_by=user, starts_at=w.starts_at, ends_at=w.ends_at, purpose=purpose,
                    attendees=attendees, compound_id=station.compound_id, building_id=station.building_id,
                    lat=station.lat, lng=station.lng, created_at=now, status=status, series=series)
                # The keepers hear of a series once, by its first week, not once a week.
                _event(booking, "booking_request" if room.needs_approval else "booking_confirmed", user, note,
                       notify=i == 0)
                audit(AuditAction.CREATE, user=user, obj=booking, detail="book_series",
                      changes={"series": [None, str(series)], "week": [None, w.number]})
                made.append(booking)
    except IntegrityError as exc:  # the PostgreSQL constraint, should anything have slipped past the lock
        if "booking_no_overlap" in str(exc):
            raise Conflict() from None
        raise
    return Series(series, made, conflicts)


def series_of(user, series):
    """The weeks of a series the user may see, in order."""
    if series is None:
        return []
    return list(selectors.visible_bookings(user).filter(series=series).order_by("starts_at", "id"))


def series_cancel(*, user, booking_id, now=None):
    """Cancel a week of a series and every later week still holding its time; the weeks before it stay.
    Returns the bookings cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        first = Booking.objects.select_for_update().select_related("room__station").filter(pk=booking_id).first()
        if first is None:
            raise Http404
        require(user, BOOKING_CANCEL, first)
        if first.series is None:
            raise ValidationError({"booking": _("这不是每周重复预约")})
        if first.ends_at <= now:
            raise ValidationError({"booking": _("已结束的预约不能取消")})
        rows = list(Booking.objects.select_for_update().select_related("room__station")
                    .filter(series=first.series, starts_at__gte=first.starts_at, status__in=HOLDING)
                    .order_by("starts_at", "id"))
        rows = [b for b in rows if can(user, BOOKING_CANCEL, b)]
        if not rows:
            raise Conflict(_("该重复预约从这一周起已没有可取消的预约"))
        for b in rows:
            before = b.status
            b.status = BookingStatus.CANCELLED
            b.save(update_fields=["status"])
            _event(b, "booking_cancel", user, notify=False)
            audit(AuditAction.UPDATE, user=user, obj=b, detail="cancel_series",
                  changes={"status": [before, BookingStatus.CANCELLED]})
    return rows
