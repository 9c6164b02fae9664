"""Every write of stations: atomic, audited, checked with the policy.

No two holding bookings of a room overlap, ever: a booking locks its room's row (select_for_update) before it
reads the bookings it might collide with, so two people booking the same hour queue up and the second is
told the time is taken; on PostgreSQL an exclusion constraint (migration 0002) refuses an overlap whatever
wrote it. A booking may start when another ends: the times are half-open, [start, end).

A confirmed booking nobody checked in to within the grace time after its start (STATION_NO_SHOW_GRACE_MINUTES)
gives its room's time back: the sweep (manage.py release_no_shows, run by bin/serve) marks it a no-show, and a new
booking that meets one the sweep has not reached yet releases it itself, under the same lock on the room and
before it inserts, so the exclusion constraint (which holds only pending and confirmed bookings) never sees both.
"""
import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.policy import require
from gongzhi.core import timeline
from gongzhi.core.audit import audit
from gongzhi.core.errors import Conflict as CoreConflict
from gongzhi.core.models import AuditAction
from gongzhi.core.workdays import LOCAL

from . import selectors
from .capability import BOOKING_CANCEL, BOOKING_CHECKIN, BOOKING_MANAGE, FEEDBACK_HANDLE, ROOM_BOOK, STATION_MANAGE
from .hours import covers
from .models import (
    FEEDBACK_NOTE_MAX,
    FEEDBACK_REPLY_MAX,
    HOLDING,
    Booking,
    BookingEvent,
    BookingStatus,
    Closure,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    OpeningHours,
    Room,
    Station,
    StationVisit,
    Status,
)

PURPOSE_MAX = 100


class Conflict(CoreConflict):
    """The booking lost to another one, or changed since it was read."""

    default_message = gettext_lazy("该时段已被预约，请换一个时段")


def _aware(value):
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        return value.replace(tzinfo=LOCAL)  # as the booker's clock reads it: China's
    return value


def _event(booking, action, user, note="", notify=True):
    """A row of the booking's timeline; `notify` False keeps it from the outbox (the later weeks of a series
    would otherwise tell the keepers the same thing once a week)."""
    timeline.written(BookingEvent.objects.create(booking=booking, action=action, actor=user, note=note,
                                                 notify_pending=notify and timeline.wanted()))


def check_rules(room, *, starts_at, ends_at, attendees, purpose, now):
    """The room's rules for one booking, all but its place in the station's calendar."""
    errors = {}
    if not purpose:
        errors["purpose"] = _("请填写用途")
    elif len(purpose) > PURPOSE_MAX:
        errors["purpose"] = _("用途不能超过 %(n)d 个字") % {"n": PURPOSE_MAX}
    if not isinstance(attendees, int) or attendees < 1:
        errors["attendees"] = _("人数至少为 1")
    elif attendees > room.capacity:
        errors["attendees"] = _("人数超过该活动室的容量（%(n)d 人）") % {"n": room.capacity}
    if errors:
        raise ValidationError(errors)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("结束时间应晚于开始时间")})
    if starts_at < now:
        raise ValidationError({"starts_at": _("不能预约已经过去的时间")})
    if starts_at.astimezone(LOCAL).date() > now.astimezone(LOCAL).date() + datetime.timedelta(days=room.horizon_days):
        raise ValidationError({"starts_at": _("最多只能提前 %(n)d 天预约") % {"n": room.horizon_days}})
    if ends_at - starts_at > datetime.timedelta(minutes=room.max_minutes):
        raise ValidationError({"ends_at": _("单次预约最长 %(n)d 分钟") % {"n": room.max_minutes}})
    if not room.is_open or room.station.status != "open":
        raise ValidationError({"room": _("该活动室暂停预约")})


def _check_booking(room, *, starts_at, ends_at, attendees, purpose, now):
    check_rules(room, starts_at=starts_at, ends_at=ends_at, attendees=attendees, purpose=purpose, now=now)
    spans = selectors.open_spans_of(room.station, starts_at.astimezone(LOCAL).date(),
                                    ends_at.astimezone(LOCAL).date())
    if not covers(spans, starts_at, ends_at):
        raise ValidationError({"starts_at": _("所选时段不在驿站开放时间内")})


def booking_create(*, user, room_id, starts_at, ends_at, attendees, purpose, now=None):
    now = now or timezone.now()
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    purpose = (purpose or "").strip()
    try:
        with transaction.atomic():
            room = Room.objects.select_for_update().select_related("station").filter(pk=room_id).first()
            if room is None:
                raise Http404
            require(user, ROOM_BOOK, room)
            _check_booking(room, starts_at=starts_at, ends_at=ends_at, attendees=attendees, purpose=purpose, now=now)
            release_met(room, starts_at, ends_at, now)
            if Booking.objects.filter(room=room, status__in=HOLDING, starts_at__lt=ends_at,
                                      ends_at__gt=starts_at).exists():
                raise Conflict()
            station = room.station
            booking = Booking.objects.create(
                room=room, booked_by=user, starts_at=starts_at, ends_at=ends_at, purpose=purpose,
                attendees=attendees, compound_id=station.compound_id, building_id=station.building_id,
                lat=station.lat, lng=station.lng, created_at=now,
                status=BookingStatus.PENDING if room.needs_approval else BookingStatus.CONFIRMED)
            _event(booking, "booking_request" if room.needs_approval else "booking_confirmed", user)
            audit(AuditAction.CREATE, user=user, obj=booking, detail="book")
    except IntegrityError as exc:  # the PostgreSQL constraint, should anything have slipped past the lock
        if "booking_no_overlap" in str(exc):
            raise Conflict() from None
        raise
    return booking


# ---- checking in, and the no-shows ------------------------------------------------------------------------

def release_met(room, starts_at, ends_at, now):
    """Release the no-shows past their grace time that a new booking of `room` over the span would meet; the
    caller holds the room's lock."""
    met = Booking.objects.filter(selectors.past_grace(now), room=room, starts_at__lt=ends_at, ends_at__gt=starts_at)
    for pk in met.values_list("pk", flat=True):
        release_no_show(pk, now)


def release_no_show(booking_id, now):
    """Mark a confirmed booking nobody checked in to a no-show, if it still is one at `now` (the sweep, a check-in
    and a new booking may meet it at once: the condition in the UPDATE decides). 1 if this call released it.
    Call it inside a transaction."""
    if not Booking.objects.filter(selectors.past_grace(now), pk=booking_id).update(status=BookingStatus.NO_SHOW):
        return 0
    booking = Booking.objects.select_related("room").get(pk=booking_id)
    _event(booking, "booking_no_show", None, _("开始后 %(n)d 分钟内未签到，活动室已释放") % {
        "n": settings.STATION_NO_SHOW_GRACE_MINUTES})
    # The rule released it, not whoever's request met it: the entry names nobody.
    audit(AuditAction.UPDATE, obj=booking, detail="no_show", anonymous=True,
          changes={"status": [BookingStatus.CONFIRMED, BookingStatus.NO_SHOW]})
    return 1


SWEEP_BATCH = 500


def release_no_shows(now=None):
    """The sweep: every confirmed booking of the last day nobody checked in to within the grace time is a no-show.
    Returns how many it released. Older ones are left as they are: their time is long past, and a sweep that was
    down for a day must not flood their bookers with notices."""
    now = now or timezone.now()
    released = 0
    while True:
        batch = list(Booking.objects.filter(selectors.past_grace(now), starts_at__gt=now - datetime.timedelta(days=1))
                     .order_by("starts_at", "id").values_list("pk", flat=True)[:SWEEP_BATCH])
        for pk in batch:
            with transaction.atomic():
                released += release_no_show(pk, now)
        if len(batch) < SWEEP_BATCH:
            return released


VISIT_AGAIN_AFTER = datetime.timedelta(minutes=30)


def visit_refusal(station):
    """Why nobody may check in at the station now, or "" (a poster may be up before it opens or after it closed)."""
    if station.status in (Status.SOON, Status.PLANNED):
        return _("该驿站尚未开放，暂不能签到")
    if station.status != Status.OPEN:
        return _("该驿站已关闭，不能签到")
    return ""


def visit_record(*, user, station_id, now=None):
    """Check in at a station (its QR code was read): (visit, True), or (the earlier one, False) when the same
    signed-in person checked in there within VISIT_AGAIN_AFTER, so a second scan counts no second visit.
    Without signing in nothing names the visitor, the audit entry included."""
    now = now or timezone.now()
    signed_in = user is not None and user.is_authenticated
    with transaction.atomic():
        station = Station.objects.select_for_update().filter(pk=station_id).first()
        if station is None:
            raise Http404
        refusal = visit_refusal(station)
        if refusal:
            raise ValidationError({"code": refusal})
        if signed_in:
            earlier = (StationVisit.objects.filter(station=station, user=user, at__gt=now - VISIT_AGAIN_AFTER,
                                                   at__lte=now).order_by("-at").first())
            if earlier is not None:
                return earlier, False
        visit = StationVisit.objects.create(station=station, at=now, user=user if signed_in else None)
        audit(AuditAction.CREATE, user=user if signed_in else None, obj=visit, detail="visit",
              anonymous=not signed_in)
    return visit, True


def _when(moment):
    return moment.astimezone(LOCAL).strftime("%m-%d %H:%M")


def booking_check_in(*, user, room_id, now=None):
    """The booker checks in to their booking of the room that is on now (from STATION_CHECKIN_EARLY_MINUTES before
    its start to its end): (booking, True), or (booking, False) when they had already. Too late (past the grace
    time: released), not yet approved, or no booking on now: Conflict saying which, and nothing written."""
    now = now or timezone.now()
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("请先登录，再扫描活动室的二维码签到"))
    with transaction.atomic():
        room = Room.objects.select_related("station").filter(pk=room_id).first()
        if room is None:
            raise Http404
        on_now = list(Booking.objects.select_for_update().filter(
            room=room, booked_by=user, starts_at__lte=now + selectors.checkin_early(), ends_at__gt=now,
            status__in=(*HOLDING, BookingStatus.NO_SHOW)).order_by("starts_at", "id"))
        grace = selectors.no_show_grace()
        for b in on_now:
            if b.status == BookingStatus.CONFIRMED and b.checked_in_at is None and now < b.starts_at + grace:
                require(user, BOOKING_CHECKIN, b)
                b.checked_in_at = now
                b.save(update_fields=["checked_in_at"])
                _event(b, "booking_checkin", user)
                audit(AuditAction.UPDATE, user=user, obj=b, detail="checkin",
                      changes={"checked_in_at": [None, now.isoformat()]})
                return b, True
        for b in on_now:
            if b.checked_in_at is not None:
                return b, False
        if any(b.status != BookingStatus.PENDING for b in on_now):
            raise Conflict(_("已超过签到时间（开始后 %(n)d 分钟内），该预约已释放，请重新预约") % {
                "n": settings.STATION_NO_SHOW_GRACE_MINUTES})
        if on_now:
            raise Conflict(_("该预约尚未通过审核，暂不能签到"))
        following = (Booking.objects.filter(room=room, booked_by=user, status__in=HOLDING, starts_at__gt=now)
                     .order_by("starts_at").first())
        if following is not None:
            raise Conflict(_("您在%(room)s的下一个预约 %(when)s 开始，请在开始前 %(n)d 分钟内签到") % {
                "room": room.name, "when": _when(following.starts_at), "n": settings.STATION_CHECKIN_EARLY_MINUTES})
        raise Conflict(_("您在%(room)s现在没有可签到的预约") % {"room": room.name})


def _decide(*, user, booking_id, action, to, allowed_from, verb, note=""):
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("room__station").filter(pk=booking_id).first()
        if booking is None:
            raise Http404
        require(user, action, booking)
        if booking.status not in allowed_from:
            raise Conflict(_("该预约已是“%(s)s”，无法再操作") % {"s": booking.get_status_display()})
        before = booking.status
        booking.status = to
        booking.save(update_fields=["status"])
        _event(booking, f"booking_{verb}", user, note)
        audit(AuditAction.UPDATE, user=user, obj=booking, detail=verb, changes={"status": [before, to]})
    return booking


def booking_cancel(*, user, booking_id, now=None):
    now = now or timezone.now()
    booking = Booking.objects.filter(pk=booking_id).only("ends_at").first()
    if booking is not None and booking.ends_at <= now:
        raise ValidationError({"booking": _("已结束的预约不能取消")})
    if booking is not None and Booking.objects.filter(pk=booking_id, activity__isnull=False).exists():
        # An activity's hold on its room ends with the activity (moved or cancelled on its page), not here.
        raise ValidationError({"booking": _("这是活动占用的时段，请在活动页面修改或取消活动")})
    return _decide(user=user, booking_id=booking_id, action=BOOKING_CANCEL, to=BookingStatus.CANCELLED,
                   allowed_from=HOLDING, verb="cancel")


def booking_approve(*, user, booking_id):
    return _decide(user=user, booking_id=booking_id, action=BOOKING_MANAGE, to=BookingStatus.CONFIRMED,
                   allowed_from=(BookingStatus.PENDING,), verb="approve")


def booking_refuse(*, user, booking_id, note=""):
    return _decide(user=user, booking_id=booking_id, action=BOOKING_MANAGE, to=BookingStatus.REFUSED,
                   allowed_from=(BookingStatus.PENDING,), verb="refuse", note=note)


STALE = gettext_lazy("驿站信息已被他人修改，请刷新后重试")


def _locked_station(user, station_id, version=None):
    station = Station.objects.select_for_update().filter(pk=station_id).first()
    if station is None:
        raise Http404
    require(user, STATION_MANAGE, station)
    if version is not None and station.version != version:
        raise Conflict(STALE)
    return station


def station_update(*, user, station_id, version, status, amenities, closed_on_holidays):
    """A station's status, amenities and holiday rule, if nobody changed it since `version` was read."""
    from .models import AMENITY_KEYS, Status

    errors = {}
    if status not in Status.values:
        errors["status"] = _("状态无效")
    if any(a not in AMENITY_KEYS for a in amenities):
        errors["amenities"] = _("设施无效")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        station = _locked_station(user, station_id, version)
        before = {"status": station.status, "amenities": station.amenities(),
                  "closed_on_holidays": station.closed_on_holidays}
        station.status = status
        station.closed_on_holidays = bool(closed_on_holidays)
        for key in AMENITY_KEYS:
            setattr(station, f"has_{key}", key in amenities)
        after = {"status": station.status, "amenities": station.amenities(),
                 "closed_on_holidays": station.closed_on_holidays}
        station.version += 1
        station.save()
        audit(AuditAction.UPDATE, user=user, obj=station, detail="settings",
              changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return station


def hours_set(*, user, station_id, patterns, version=None):
    """Replace a station's weekly hours: [(weekday, opens, closes)]; 00:00–00:00 is the whole day."""
    errors = []
    for weekday, opens, closes in patterns:
        if weekday not in range(7):
            errors.append(_("星期无效"))
        elif not isinstance(opens, datetime.time) or not isinstance(closes, datetime.time):
            errors.append(_("时间格式无效"))
        elif opens == closes and opens != datetime.time(0):
            errors.append(_("开门和关门时间相同；全天开放请填 00:00 至 00:00"))
    if errors:
        raise ValidationError({"hours": errors[0]})
    with transaction.atomic():
        station = _locked_station(user, station_id, version)
        OpeningHours.objects.filter(station=station).delete()
        OpeningHours.objects.bulk_create(OpeningHours(station=station, weekday=w, opens=o, closes=c)
                                         for w, o, c in patterns)
        station.version += 1
        station.save(update_fields=["version"])
        audit(AuditAction.UPDATE, user=user, obj=station, detail="hours",
              changes={"hours": [None, [f"{w} {o:%H:%M}-{c:%H:%M}" for w, o, c in patterns]]})
    return station


def closure_add(*, user, station_id, starts_at, ends_at, reason, now=None):
    now = now or timezone.now()
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写闭站原因")})
    if len(reason) > 100:
        raise ValidationError({"reason": _("原因不能超过 %(n)d 个字") % {"n": 100}})
    if not (isinstance(starts_at, datetime.datetime) and isinstance(ends_at, datetime.datetime)) \
            or ends_at <= starts_at:
        raise ValidationError({"ends_at": _("结束时间应晚于开始时间")})
    if ends_at <= now:
        raise ValidationError({"ends_at": _("闭站的结束时间已经过去")})
    with transaction.atomic():
        station = _locked_station(user, station_id)
        closure = Closure.objects.create(station=station, starts_at=starts_at, ends_at=ends_at, reason=reason)
        audit(AuditAction.UPDATE, user=user, obj=station, detail="close",
              changes={"closure": [None, f"{starts_at.isoformat()} – {ends_at.isoformat()}"]})
    return closure


def closure_remove(*, user, station_id, closure_id):
    with transaction.atomic():
        station = _locked_station(user, station_id)
        closure = Closure.objects.filter(pk=closure_id, station=station).first()
        if closure is None:
            raise Conflict(_("该临时闭站已被删除"))
        was = f"{closure.starts_at.isoformat()} – {closure.ends_at.isoformat()}"
        closure.delete()
        audit(AuditAction.UPDATE, user=user, obj=station, detail="reopen", changes={"closure": [was, None]})
    return station


def station_create(*, user, compound_id, name, kind, status, lat, lng, address="", keeper_id=None,
                   amenities=(), closed_on_holidays=False, hours=()):
    """A new station with its weekly hours: [(weekday, opens, closes)]."""
    from .models import AMENITY_KEYS, Kind, Status

    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("请填写名称")
    if kind not in Kind.values:
        errors["kind"] = _("类型无效")
    if status not in Status.values:
        errors["status"] = _("状态无效")
    if lat is None or lng is None or not (-90 <= float(lat) <= 90 and -180 <= float(lng) <= 180):
        errors["lat"] = _("请在地图上选定位置（纬度 -90 到 90，经度 -180 到 180）")
    if any(a not in AMENITY_KEYS for a in amenities):
        errors["amenities"] = _("设施无效")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        station = Station(compound_id=compound_id, name=name, kind=kind, status=status, lat=lat, lng=lng,
                          address=address, keeper_id=keeper_id, closed_on_holidays=closed_on_holidays,
                          **{f"has_{a}": True for a in amenities})
        require(user, STATION_MANAGE, station)
        station.save()
        OpeningHours.objects.bulk_create(OpeningHours(station=station, weekday=w, opens=o, closes=c)
                                         for w, o, c in hours)
        audit(AuditAction.CREATE, user=user, obj=station)
    return station


# ---- feedback from the users of a rest station --------------------------------------------------------------

def feedback_create(*, user, station_id, kind, note, now=None):
    """Feedback on a rest station the public may find. `user` None or anonymous: nobody is named or kept."""
    now = now or timezone.now()
    note = (note or "").strip()
    errors = {}
    if kind not in FeedbackKind.values:
        errors["kind"] = _("请选择问题类型")
    if not note:
        errors["note"] = _("请简单说明情况")
    elif len(note) > FEEDBACK_NOTE_MAX:
        errors["note"] = _("说明不能超过 %(n)d 个字") % {"n": FEEDBACK_NOTE_MAX}
    signed_in = user is not None and user.is_authenticated
    with transaction.atomic():
        station = selectors.public_stations().filter(pk=station_id).first()
        if station is None:
            raise Http404
        if errors:
            raise ValidationError(errors)
        feedback = Feedback.objects.create(
            station=station, kind=kind, note=note, author=user if signed_in else None, created_at=now,
            compound_id=station.compound_id, building_id=station.building_id, lat=station.lat, lng=station.lng)
        audit(AuditAction.CREATE, user=user if signed_in else None, obj=feedback, detail="feedback",
              anonymous=not signed_in)
    return feedback


def feedback_handle(*, user, feedback_id, reply="", now=None):
    """A keeper marks feedback handled, once: whoever comes second is told it already was."""
    now = now or timezone.now()
    reply = (reply or "").strip()
    if len(reply) > FEEDBACK_REPLY_MAX:
        raise ValidationError({"reply": _("回复不能超过 %(n)d 个字") % {"n": FEEDBACK_REPLY_MAX}})
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().select_related("station").filter(pk=feedback_id).first()
        if feedback is None:
            raise Http404
        require(user, FEEDBACK_HANDLE, feedback)
        if feedback.status != FeedbackStatus.OPEN:
            raise Conflict(_("该反馈已被他人处理"))
        feedback.status, feedback.reply = FeedbackStatus.HANDLED, reply
        feedback.handled_by, feedback.handled_at = user, now
        feedback.save(update_fields=["status", "reply", "handled_by", "handled_at"])
        audit(AuditAction.UPDATE, user=user, obj=feedback, detail="handle",
              changes={"status": [FeedbackStatus.OPEN, FeedbackStatus.HANDLED], "reply": ["", reply]})
    return feedback
