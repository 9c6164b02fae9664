"""Every write of activities: atomic, audited, checked with the policy.

Seats. Signing up, leaving and changing the capacity all lock the activity's row first (select_for_update;
SQLite's IMMEDIATE transactions queue writers the same way), so the count of confirmed sign-ups is read and
changed by one writer at a time; the database refuses `seats_taken` past `capacity` and a second standing
sign-up of one person, whatever wrote them. When a confirmed person leaves (or the capacity grows), the first
on the waitlist moves up in the same transaction and is told.

Rooms. An activity held in a room owns a booking of it, made the way every booking is kept apart: the room's
row locked, the overlap read under the lock, and on PostgreSQL the bookings' exclusion constraint. The room's
rules for residents (how far ahead, how long) are the keepers' to set and do not bind them; its opening hours
and whether it is open do.

Attendance. Confirmed people check in with the activity's code (or a keeper records them); for an activity
whose volunteers' time counts, that attendance is credited once to the three lists' service ledger.
"""
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.policy import can, require
from gongzhi.core import timeline
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction
from gongzhi.core.workdays import LOCAL

from . import codes, selectors
from .activity_selectors import position_of, served_places
from .capability import ACTIVITY_MANAGE, ACTIVITY_SIGNUP, ACTIVITY_VIEW, STATION_MANAGE
from .hours import covers
from .models import (
    HOLDING,
    NAME_MAX,
    Activity,
    ActivityEvent,
    ActivityKind,
    ActivityReach,
    ActivitySignup,
    ActivityStatus,
    Booking,
    BookingStatus,
    CheckinVia,
    Room,
    SignupStatus,
    Station,
    Status,
    STANDING,
)
from .services import Conflict

DESCRIPTION_MAX = 1000
CAPACITY_MAX = 500
LONGEST = datetime.timedelta(hours=12)
HORIZON = datetime.timedelta(days=366)
# People arrive early: the code checks them in from half an hour before the start until the end.
CHECKIN_EARLY = datetime.timedelta(minutes=30)
LEDGER_SOURCE = "stations.activity:%d"

STALE = gettext_lazy("活动信息已被他人修改，请刷新后重试")
ROOM_TAKEN = gettext_lazy("该时段活动室已被预约，请换一个时段或活动室")


def _aware(value):
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        return value.replace(tzinfo=LOCAL)
    return value


def _event(activity, action, user, now, *, signup=None, note=""):
    timeline.written(ActivityEvent.objects.create(activity=activity, action=action, actor=user, at=now, signup=signup,
                                                  note=note, notify_pending=timeline.wanted()))


def _locked(activity_id):
    # Only the activity's row: its room may be none (an outer join PostgreSQL will not lock through).
    activity = (Activity.objects.select_for_update(of=("self",)).select_related("station", "room")
                .filter(pk=activity_id).first())
    if activity is None:
        raise Http404
    return activity


def _check_fields(*, title, kind, description, starts_at, ends_at, capacity, room, now):
    errors = {}
    if not title:
        errors["title"] = _("请填写活动名称")
    elif len(title) > NAME_MAX:
        errors["title"] = _("活动名称不能超过 %(n)d 个字") % {"n": NAME_MAX}
    if kind not in ActivityKind.values:
        errors["kind"] = _("请选择活动类型")
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("活动介绍不能超过 %(n)d 个字") % {"n": DESCRIPTION_MAX}
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= CAPACITY_MAX:
        errors["capacity"] = _("名额应在 1 到 %(n)d 之间") % {"n": CAPACITY_MAX}
    elif room is not None and capacity > room.capacity:
        errors["capacity"] = _("名额超过该活动室的容量（%(n)d 人）") % {"n": room.capacity}
    if not (isinstance(starts_at, datetime.datetime) and isinstance(ends_at, datetime.datetime)):
        errors["starts_at"] = _("请填写活动的开始和结束时间")
    elif ends_at <= starts_at:
        errors["ends_at"] = _("结束时间应晚于开始时间")
    elif ends_at - starts_at > LONGEST:
        errors["ends_at"] = _("一次活动最长 %(n)d 小时") % {"n": LONGEST.seconds // 3600}
    elif starts_at < now:
        errors["starts_at"] = _("活动不能安排在已经过去的时间")
    elif starts_at > now + HORIZON:
        errors["starts_at"] = _("活动最多提前一年发布")
    if errors:
        raise ValidationError(errors)


def _room_of(station, room_id):
    """The station's room, its row locked (every booking of it queues behind this), or None for no room."""
    if room_id in (None, ""):
        return None
    room = Room.objects.select_for_update().filter(pk=room_id, station=station).first() \
        if str(room_id).isdigit() else None
    if room is None:
        raise ValidationError({"room": _("请选择该驿站的活动室")})
    return room


def _hold(room, *, user, activity, starts_at, ends_at, booking=None):
    """Book the room for the activity (or move its booking), under the room's lock: the same overlap rule as
    every booking, so the PostgreSQL constraint backs it."""
    if not room.is_open:
        raise ValidationError({"room": _("该活动室暂停使用")})
    spans = selectors.open_spans_of(room.station, starts_at.astimezone(LOCAL).date(),
                                    ends_at.astimezone(LOCAL).date())
    if not covers(spans, starts_at, ends_at):
        raise ValidationError({"starts_at": _("所选时段不在驿站开放时间内")})
    clashing = Booking.objects.filter(room=room, status__in=HOLDING, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if booking is not None:
        clashing = clashing.exclude(pk=booking.pk)
    if clashing.exists():
        raise Conflict(ROOM_TAKEN)
    station = room.station
    if booking is None:
        booking = Booking(room=room, booked_by=user, compound_id=station.compound_id,
                          building_id=station.building_id, lat=station.lat, lng=station.lng)
    booking.starts_at, booking.ends_at = starts_at, ends_at
    booking.purpose, booking.attendees = activity.title[:100], activity.capacity
    booking.status = BookingStatus.CONFIRMED
    booking.save()
    return booking


def _release(booking):
    if booking is not None and booking.status in HOLDING:
        booking.status = BookingStatus.CANCELLED
        booking.save(update_fields=["status"])


def _lost_to_a_booking(exc):
    return "booking_no_overlap" in str(exc)


def activity_publish(*, user, station_id, title, kind, starts_at, ends_at, capacity, room_id=None,
                     volunteer_hours=False, description="", now=None):
    """A new activity at a station the user keeps, open to the places the station serves."""
    now = now or timezone.now()
    title, description = (title or "").strip(), (description or "").strip()
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    try:
        with transaction.atomic():
            station = Station.objects.filter(pk=station_id).first() if str(station_id).isdigit() else None
            if station is None:
                raise Http404
            require(user, STATION_MANAGE, station)
            if station.status != Status.OPEN:
                raise ValidationError({"station": _("驿站未开放，不能发布活动")})
            room = _room_of(station, room_id)
            _check_fields(title=title, kind=kind, description=description, starts_at=starts_at, ends_at=ends_at,
                          capacity=capacity, room=room, now=now)
            activity = Activity.objects.create(
                station=station, room=room, title=title, kind=kind, description=description, starts_at=starts_at,
                ends_at=ends_at, capacity=capacity, volunteer_hours=bool(volunteer_hours),
                status=ActivityStatus.PUBLISHED, organiser_id=station.keeper_id, created_by=user, created_at=now)
            ActivityReach.objects.bulk_create(ActivityReach(activity=activity, **{f"{level}_id": pk})
                                              for level, pk in served_places(station))
            if not can(user, ACTIVITY_MANAGE, activity):
                # The station is theirs, but it serves places beyond their own (the committee of one phase,
                # a station serving two): an activity for all of them is for those who keep all of them.
                raise ValidationError({"station": _("该驿站服务的范围超出了您管理的范围，不能在此发布活动")})
            if room is not None:
                activity.booking = _hold(room, user=user, activity=activity, starts_at=starts_at, ends_at=ends_at)
                activity.save(update_fields=["booking"])
            _event(activity, "activity_publish", user, now)
            audit(AuditAction.CREATE, user=user, obj=activity, detail="publish")
    except IntegrityError as exc:  # the PostgreSQL constraint, should a booking have slipped past the lock
        if _lost_to_a_booking(exc):
            raise Conflict(ROOM_TAKEN) from None
        raise
    return activity


def _snapshot(activity):
    return {"title": activity.title, "kind": activity.kind, "description": activity.description,
            "starts_at": activity.starts_at.isoformat(), "ends_at": activity.ends_at.isoformat(),
            "capacity": activity.capacity, "room": activity.room_id, "volunteer_hours": activity.volunteer_hours}


def _not_begun(activity, now, message):
    if activity.status == ActivityStatus.CANCELLED:
        raise Conflict(_("该活动已取消"))
    if activity.starts_at <= now:
        raise ValidationError({"activity": message})


def activity_update(*, user, activity_id, version, title, kind, starts_at, ends_at, capacity, room_id=None,
                    volunteer_hours=False, description="", now=None):
    """Change an activity not yet begun, if nobody changed it since `version` was read. A new time or room moves
    its booking (and tells those signed up); a larger capacity moves the first waiters up."""
    now = now or timezone.now()
    title, description = (title or "").strip(), (description or "").strip()
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    try:
        with transaction.atomic():
            activity = _locked(activity_id)
            require(user, ACTIVITY_MANAGE, activity)
            if activity.version != version:
                raise Conflict(STALE)
            _not_begun(activity, now, _("活动已开始，不能再修改"))
            room = _room_of(activity.station, room_id)
            _check_fields(title=title, kind=kind, description=description, starts_at=starts_at, ends_at=ends_at,
                          capacity=capacity, room=room, now=now)
            if capacity < activity.seats_taken:
                raise ValidationError({"capacity": _("已有 %(n)d 人报名，名额不能少于此数") % {"n": activity.seats_taken}})
            before = _snapshot(activity)
            moved = (starts_at, ends_at, room and room.pk) != (activity.starts_at, activity.ends_at, activity.room_id)
            activity.title, activity.kind, activity.description = title, kind, description
            activity.starts_at, activity.ends_at, activity.capacity = starts_at, ends_at, capacity
            activity.volunteer_hours = bool(volunteer_hours)
            booking = activity.booking
            if room is not None and booking is not None and booking.room_id == room.pk:
                activity.booking = _hold(room, user=user, activity=activity, starts_at=starts_at, ends_at=ends_at,
                                         booking=booking)
            else:
                _release(booking)
                activity.booking = _hold(room, user=user, activity=activity, starts_at=starts_at,
                                         ends_at=ends_at) if room is not None else None
            activity.room = room
            activity.version += 1
            activity.save()
            promoted = _promote(activity, user, now)
            after = _snapshot(activity)
            if moved:
                _event(activity, "activity_change", user, now)
            audit(AuditAction.UPDATE, user=user, obj=activity, detail="edit",
                  changes={**{k: [before[k], after[k]] for k in after if before[k] != after[k]},
                           **({"promoted": [None, promoted]} if promoted else {})})
    except IntegrityError as exc:
        if _lost_to_a_booking(exc):
            raise Conflict(ROOM_TAKEN) from None
        raise
    return activity


def activity_cancel(*, user, activity_id, reason="", now=None):
    """Call an activity off before it begins: its room is freed and everyone signed up or waiting is told."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": _("取消原因不能超过 %(n)d 个字") % {"n": 200}})
    with transaction.atomic():
        activity = _locked(activity_id)
        require(user, ACTIVITY_MANAGE, activity)
        _not_begun(activity, now, _("活动已开始，不能取消"))
        activity.status = ActivityStatus.CANCELLED
        activity.version += 1
        activity.save(update_fields=["status", "version"])
        _release(activity.booking)
        _event(activity, "activity_cancel", user, now, note=reason)
        audit(AuditAction.UPDATE, user=user, obj=activity, detail="cancel",
              changes={"status": [ActivityStatus.PUBLISHED, ActivityStatus.CANCELLED], "reason": [None, reason]})
    return activity


# ---- signing up, the waitlist ------------------------------------------------------------------------------

def _seat(activity, delta):
    """Change the confirmed count of a locked activity; the database's check refuses it past the capacity."""
    activity.seats_taken += delta
    activity.save(update_fields=["seats_taken"])


def _promote(activity, actor, now):
    """Move the first waiters up while there are seats; each is told. The activity is locked by the caller."""
    promoted = []
    while activity.seats_taken < activity.capacity:
        first = (ActivitySignup.objects.select_for_update().filter(activity=activity, status=SignupStatus.WAITING)
                 .order_by("id").first())
        if first is None:
            break
        first.status, first.promoted_at = SignupStatus.CONFIRMED, now
        first.save(update_fields=["status", "promoted_at"])
        _seat(activity, +1)
        _event(activity, "activity_promote", actor, now, signup=first)
        audit(AuditAction.UPDATE, user=actor, obj=first, detail="promote",
              changes={"status": [SignupStatus.WAITING, SignupStatus.CONFIRMED]})
        promoted.append(first.pk)
    return promoted


def _allowed_to_join(user, activity):
    """Someone who may read the activity but not join it (a keeper, a participant since moved away) is told
    so; to anyone else it does not exist."""
    if not can(user, ACTIVITY_SIGNUP, activity):
        raise ValidationError({"activity": _("只有该驿站服务范围内的居民和党员可以报名")})


def _may_sign_up(user, activity, now):
    if not can(user, ACTIVITY_VIEW, activity):
        raise Http404
    if activity.status == ActivityStatus.CANCELLED:
        raise Conflict(_("该活动已取消"))
    _allowed_to_join(user, activity)
    if activity.starts_at <= now:
        raise ValidationError({"activity": _("活动已开始，报名已截止")})


def _already(signup):
    if signup.status == SignupStatus.WAITING:
        return Conflict(_("您已在候补名单中（第 %(n)d 位），不能重复报名") % {"n": position_of(signup)})
    return Conflict(_("您已报名该活动，不能重复报名"))


def _join(user, activity, now):
    """The sign-up itself, the activity locked and the user allowed: a seat if one is left, else the waitlist."""
    standing = ActivitySignup.objects.filter(activity=activity, person=user, status__in=STANDING).first()
    if standing is not None:
        raise _already(standing)
    status = SignupStatus.CONFIRMED if activity.seats_taken < activity.capacity else SignupStatus.WAITING
    try:
        with transaction.atomic():
            signup = ActivitySignup.objects.create(activity=activity, person=user, status=status, created_at=now)
    except IntegrityError:  # the same person a moment ago, past a lock the database did not take
        raise Conflict(_("您已报名该活动，不能重复报名")) from None
    if status == SignupStatus.CONFIRMED:
        _seat(activity, +1)
    audit(AuditAction.CREATE, user=user, obj=signup, detail="signup" if status == SignupStatus.CONFIRMED
          else "waitlist")
    return signup


def signup_create(*, user, activity_id, now=None):
    """Sign the user up: confirmed while there are seats, on the waitlist after. Twice is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        activity = _locked(activity_id)
        _may_sign_up(user, activity, now)
        return _join(user, activity, now)


def signup_leave(*, user, activity_id, now=None):
    """Withdraw the user's sign-up before the activity begins; a seat freed goes to the first waiter."""
    now = now or timezone.now()
    with transaction.atomic():
        activity = _locked(activity_id)
        if not can(user, ACTIVITY_VIEW, activity):
            raise Http404
        signup = ActivitySignup.objects.select_for_update().filter(
            activity=activity, person=user, status__in=STANDING).first()
        if signup is None:
            raise Conflict(_("您没有报名该活动"))
        _not_begun(activity, now, _("活动已开始，不能取消报名"))
        was = signup.status
        signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
        signup.save(update_fields=["status", "cancelled_at"])
        audit(AuditAction.UPDATE, user=user, obj=signup, detail="leave", changes={"status": [was, signup.status]})
        if was == SignupStatus.CONFIRMED:
            _seat(activity, -1)
            _promote(activity, user, now)
    return signup


# ---- attendance ------------------------------------------------------------------------------------------

def volunteer_hours_of(activity):
    hours = Decimal((activity.ends_at - activity.starts_at).total_seconds()) / 3600
    return min(Decimal("24"), hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _attend(signup, activity, *, by, via, now):
    from gongzhi.lists.services import ledger_credit

    signup.attended_at, signup.attended_via, signup.attendance_by = now, via, by
    signup.save(update_fields=["attended_at", "attended_via", "attendance_by"])
    audit(AuditAction.UPDATE, user=by, obj=signup, detail="attend", changes={"attended_via": [None, via]})
    if activity.volunteer_hours:
        ledger_credit(person=signup.person, hours=volunteer_hours_of(activity),
                      year=activity.starts_at.astimezone(LOCAL).year, compound_id=activity.station.compound_id,
                      building_id=activity.station.building_id, source=LEDGER_SOURCE % signup.pk,
                      reason=f"驿站活动：{activity.title}", by=by)
    return signup


def attendance_record(*, user, signup_id, now=None):
    """A keeper records that a confirmed person came (no phone, a code that would not scan)."""
    now = now or timezone.now()
    with transaction.atomic():
        found = ActivitySignup.objects.filter(pk=signup_id).values_list("activity_id", flat=True).first() \
            if str(signup_id).isdigit() else None
        if found is None:
            raise Http404
        activity = _locked(found)
        require(user, ACTIVITY_MANAGE, activity)
        signup = ActivitySignup.objects.select_for_update(of=("self",)).select_related("person").get(pk=signup_id)
        if activity.status == ActivityStatus.CANCELLED:
            raise Conflict(_("该活动已取消"))
        if now < activity.starts_at - CHECKIN_EARLY:
            raise ValidationError({"activity": _("活动还没有开始，不能登记签到")})
        if signup.status != SignupStatus.CONFIRMED:
            raise ValidationError({"signup": _("只有已报名（非候补）的人可以签到")})
        if signup.attended_at is not None:
            raise Conflict(_("已签到"))
        return _attend(signup, activity, by=user, via=CheckinVia.KEEPER, now=now)


def read_code(token, *, now=None):
    """The activity id an activity's code names; ValidationError saying why not (forged, expired, another
    kind of code)."""
    try:
        kind, pk, _expires = codes.read(token, now=now)
    except codes.CodeError as e:
        raise ValidationError({"code": str(e)}) from None
    if kind != codes.ACTIVITY:
        raise ValidationError({"code": _("这是驿站或活动室的签到码，不是活动签到码：请扫描活动现场的二维码")})
    return pk


def checkin(*, user, token, now=None):
    """Check the user in by the activity's code. Someone with a seat is marked present (again: nothing changes);
    someone not signed up takes a seat if one is left; a waiter is told their place. (signup, newly: bool)"""
    now = now or timezone.now()
    activity_id = read_code(token, now=now)
    with transaction.atomic():
        activity = _locked(activity_id)
        if not can(user, ACTIVITY_VIEW, activity):
            raise Http404
        if activity.status == ActivityStatus.CANCELLED:
            raise Conflict(_("该活动已取消"))
        if now < activity.starts_at - CHECKIN_EARLY:
            raise ValidationError({"code": _("签到尚未开始：活动 %(t)s 开始，可提前 30 分钟签到") % {
                "t": activity.starts_at.astimezone(LOCAL).strftime("%m-%d %H:%M")}})
        if now >= activity.ends_at:
            raise ValidationError({"code": _("活动已结束，不能再签到")})
        signup = ActivitySignup.objects.select_for_update().filter(
            activity=activity, person=user, status__in=STANDING).first()
        if signup is None:
            _allowed_to_join(user, activity)
            if activity.seats_taken >= activity.capacity:
                raise ValidationError({"code": _("活动名额已满，您没有报名，无法签到")})
            signup = _join(user, activity, now)
        elif signup.status == SignupStatus.WAITING:
            raise ValidationError({"code": _("您在候补名单第 %(n)d 位，尚未获得名额，无法签到") % {
                "n": position_of(signup)}})
        if signup.attended_at is not None:
            return signup, False
        return _attend(signup, activity, by=user, via=CheckinVia.CODE, now=now), True


def code_for(activity):
    """The activity's check-in code: it holds until the activity ends."""
    return codes.make(codes.ACTIVITY, activity.pk, expires_at=activity.ends_at)
