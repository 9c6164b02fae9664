"""Stations (驿站): party-and-masses stations with rooms residents book, and rest stations for outdoor workers.

A station stands at a compound (the placed base) with a point on the map; its opening hours are weekly
patterns (a row may run past midnight), it may close on public holidays (the working-day calendar) and for a
while (a closure). Rooms belong to a party-and-masses station and are open to the places they serve (a room
of the 一期二期 station serves both phases): residents there book them.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.timeline import TimelineEvent, outbox_index
from gongzhi.grid.models import GridRef
from gongzhi.grid.places import Placed

NAME_MAX = 80


class Kind(models.TextChoices):
    PARTY = "party", _("党群驿站")
    REST = "rest", _("暖锋驿站")


class Status(models.TextChoices):
    OPEN = "open", _("开放中")
    SOON = "soon", _("即将开放")
    PLANNED = "planned", _("规划中")
    CLOSED = "closed", _("已关闭")


# (field suffix, label): one boolean column each, so "I need a charger" is an indexed equality, not a JSON search.
AMENITIES = (
    ("seats", _("座椅")),
    ("water", _("饮用水")),
    ("charging", _("充电")),
    ("microwave", _("微波炉")),
    ("toilet", _("卫生间")),
    ("first_aid", _("急救箱")),
    ("climate", _("冷暖空调")),
    ("wifi", _("无线网络")),
)
AMENITY_KEYS = tuple(k for k, _label in AMENITIES)


class Station(Placed):
    name = models.CharField(_("名称"), max_length=NAME_MAX)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    keeper = models.ForeignKey("orgs.Organisation", verbose_name=_("运营单位"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    closed_on_holidays = models.BooleanField(_("法定节假日闭站"), default=False)
    has_seats = models.BooleanField(_("座椅"), default=False)
    has_water = models.BooleanField(_("饮用水"), default=False)
    has_charging = models.BooleanField(_("充电"), default=False)
    has_microwave = models.BooleanField(_("微波炉"), default=False)
    has_toilet = models.BooleanField(_("卫生间"), default=False)
    has_first_aid = models.BooleanField(_("急救箱"), default=False)
    has_climate = models.BooleanField(_("冷暖空调"), default=False)
    has_wifi = models.BooleanField(_("无线网络"), default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("驿站")
        verbose_name_plural = _("驿站")
        # The nearest search narrows to a box around the caller on these before measuring exact distances.
        indexes = [models.Index(fields=["kind", "lat", "lng"], name="station_kind_box_idx")]

    def __str__(self):
        return self.name

    def amenities(self):
        return [k for k in AMENITY_KEYS if getattr(self, f"has_{k}")]


class Weekday(models.IntegerChoices):
    MON = 0, _("周一")
    TUE = 1, _("周二")
    WED = 2, _("周三")
    THU = 3, _("周四")
    FRI = 4, _("周五")
    SAT = 5, _("周六")
    SUN = 6, _("周日")


class OpeningHours(models.Model):
    """Open from `opens` on `weekday`; a `closes` at or before `opens` is on the next day (22:00–06:00), and
    00:00–00:00 is the whole day."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="hours", verbose_name=_("驿站"))
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    opens = models.TimeField(_("开门"))
    closes = models.TimeField(_("关门"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("开放时间")
        verbose_name_plural = _("开放时间")


class Closure(models.Model):
    """A temporary closure: repairs, an epidemic, a typhoon."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="closures", verbose_name=_("驿站"))
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    reason = models.CharField(_("原因"), max_length=100)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("临时闭站")
        verbose_name_plural = _("临时闭站")
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="closure_ends_after_start")]


class Room(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("驿站"))
    name = models.CharField(_("名称"), max_length=NAME_MAX)
    capacity = models.PositiveSmallIntegerField(_("容纳人数"))
    max_minutes = models.PositiveSmallIntegerField(_("单次最长（分钟）"), default=120)
    horizon_days = models.PositiveSmallIntegerField(_("最多提前（天）"), default=14)
    needs_approval = models.BooleanField(_("需审核"), default=False)
    is_open = models.BooleanField(_("可预约"), default=True)

    class Meta:
        ordering = ["station", "id"]
        verbose_name = _("活动室")
        verbose_name_plural = _("活动室")

    def __str__(self):
        return f"{self.station.name} · {self.name}"


class RoomReach(GridRef):
    """A place whose residents may book the room: a compound, or a whole community."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="reach", verbose_name=_("活动室"))

    class Meta:
        verbose_name = _("预约范围")
        verbose_name_plural = _("预约范围")
        constraints = [GridRef.one_node_constraint("room_reach_one_node")]


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    CONFIRMED = "confirmed", _("已确认")
    REFUSED = "refused", _("未通过")
    CANCELLED = "cancelled", _("已取消")
    # Confirmed, but nobody checked in within the grace time after its start: the room's time went back to others.
    NO_SHOW = "no_show", _("未签到，已释放")


# A booking in one of these holds its time: no other may overlap it (services, and on PostgreSQL a constraint).
HOLDING = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class Booking(Placed):
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("活动室"))
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("预约人"), on_delete=models.PROTECT,
                                  related_name="+")
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    purpose = models.CharField(_("用途"), max_length=100)
    attendees = models.PositiveSmallIntegerField(_("人数"))
    status = models.CharField(_("状态"), max_length=10, choices=BookingStatus.choices)
    created_at = models.DateTimeField(_("预约时间"), default=timezone.now)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    # The weeks of one recurring booking share this id (gongzhi/stations/recurring.py); a single booking has none.
    series = models.UUIDField(_("每周重复预约"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        indexes = [models.Index(fields=["room", "starts_at"], name="booking_room_time_idx"),
                   models.Index(fields=["booked_by", "-starts_at"], name="booking_mine_idx"),
                   # The no-show sweep reads only the confirmed bookings nobody has checked in to yet.
                   models.Index(fields=["starts_at"], name="booking_awaiting_checkin_idx",
                                condition=models.Q(status="confirmed", checked_in_at__isnull=True)),
                   models.Index(fields=["series", "starts_at"], name="booking_series_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="booking_ends_after_start")]

    def __str__(self):
        return f"{self.room.name} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class StationVisit(models.Model):
    """Someone checked in at a station by its QR code. Made without signing in it names nobody: no user, no
    address, no device, here or in its audit entry; it is a count, nothing more."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="visits", verbose_name=_("驿站"))
    at = models.DateTimeField(_("签到时间"), default=timezone.now)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("签到人"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("驿站签到")
        verbose_name_plural = _("驿站签到")
        indexes = [models.Index(fields=["station", "at"], name="visit_station_time_idx"),
                   models.Index(fields=["user", "station", "-at"], name="visit_mine_idx")]

    def __str__(self):
        return f"{self.station.name} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class BookingEvent(TimelineEvent):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")

    class Meta(TimelineEvent.Meta):
        indexes = [outbox_index("station_booking_pending_idx")]


class FeedbackKind(models.TextChoices):
    CHARGER = "charger", _("充电设施坏了")
    WATER = "water", _("没有饮用水")
    CLOSED = "closed", _("应开放时未开门")
    DIRTY = "dirty", _("卫生不好")
    OTHER = "other", _("其他")


class FeedbackStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    HANDLED = "handled", _("已处理")


FEEDBACK_NOTE_MAX = 200
FEEDBACK_REPLY_MAX = 200


class Feedback(Placed):
    """What a user of a rest station tells its keepers ("no water"). Left without signing in it names nobody:
    no author and no address kept, anywhere (the audit entry of its creation included)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("驿站"))
    kind = models.CharField(_("问题"), max_length=8, choices=FeedbackKind.choices)
    note = models.CharField(_("说明"), max_length=FEEDBACK_NOTE_MAX)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("反馈人"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状态"), max_length=8, choices=FeedbackStatus.choices, default=FeedbackStatus.OPEN)
    reply = models.CharField(_("回复"), max_length=FEEDBACK_REPLY_MAX, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("反馈时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("驿站反馈")
        verbose_name_plural = _("驿站反馈")
        indexes = [models.Index(fields=["station", "status"], name="feedback_station_status_idx"),
                   models.Index(fields=["author", "-created_at"], name="feedback_mine_idx")]

    def __str__(self):
        return f"{self.station.name} · {self.get_kind_display()}"


# ---- activities: morning exercise, party lectures, volunteer days, chess tournaments -----------------------

class ActivityKind(models.TextChoices):
    EXERCISE = "exercise", _("晨练")
    LECTURE = "lecture", _("党的知识讲座")
    VOLUNTEER = "volunteer", _("志愿服务日")
    CHESS = "chess", _("棋类比赛")
    OTHER = "other", _("其他活动")


class ActivityStatus(models.TextChoices):
    PUBLISHED = "published", _("已发布")
    CANCELLED = "cancelled", _("已取消")


class Activity(models.Model):
    """An activity a station's keepers publish. Its places are those the station serves (ActivityReach): the
    residents and party members living there sign up, up to `capacity`, and the rest queue on a waitlist.
    `seats_taken` counts the confirmed sign-ups; the database refuses it past the capacity whatever wrote it.
    Held in a room, the activity owns a booking of the room, so no booking may overlap it (on PostgreSQL the
    bookings' exclusion constraint included)."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="activities", verbose_name=_("驿站"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="activities",
                             verbose_name=_("活动室"))
    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="activity", verbose_name=_("活动室预约"))
    title = models.CharField(_("活动名称"), max_length=NAME_MAX)
    kind = models.CharField(_("活动类型"), max_length=10, choices=ActivityKind.choices)
    description = models.TextField(_("活动介绍"), blank=True)
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    capacity = models.PositiveSmallIntegerField(_("名额"))
    seats_taken = models.PositiveSmallIntegerField(_("已报名"), default=0)
    volunteer_hours = models.BooleanField(_("计入志愿服务时长"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=ActivityStatus.choices)
    organiser = models.ForeignKey("orgs.Organisation", verbose_name=_("主办单位"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("驿站活动")
        verbose_name_plural = _("驿站活动")
        indexes = [models.Index(fields=["starts_at"], name="activity_time_idx"),
                   models.Index(fields=["station", "starts_at"], name="activity_station_time_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="activity_ends_after_start"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="activity_capacity_positive"),
            # The guard under the lock: no sequence of writes, however interleaved, seats more than there are.
            models.CheckConstraint(condition=models.Q(seats_taken__lte=models.F("capacity")),
                                   name="activity_seats_within_capacity"),
        ]

    def __str__(self):
        return f"{self.title} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def seats_left(self):
        return max(0, self.capacity - self.seats_taken)


class ActivityReach(GridRef):
    """A place whose residents and party members may sign up: copied from the places the station serves."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="reach", verbose_name=_("活动"))

    class Meta:
        verbose_name = _("活动范围")
        verbose_name_plural = _("活动范围")
        constraints = [GridRef.one_node_constraint("activity_reach_one_node")]


class SignupStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已报名")
    WAITING = "waiting", _("候补中")
    CANCELLED = "cancelled", _("已取消")


# A sign-up in one of these is the person's one standing sign-up to the activity.
STANDING = (SignupStatus.CONFIRMED, SignupStatus.WAITING)


class CheckinVia(models.TextChoices):
    CODE = "code", _("扫码签到")
    KEEPER = "keeper", _("管理人员登记")


class ActivitySignup(models.Model):
    """One person's sign-up. The waitlist is the waiting sign-ups in id order: ids are drawn under the
    activity's lock, so that order is the order in which people joined. Attendance is recorded on the sign-up
    (its id names the attendance in the service ledger)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups", verbose_name=_("活动"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("报名人"), on_delete=models.CASCADE,
                               related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=SignupStatus.choices)
    created_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    promoted_at = models.DateTimeField(_("候补转正时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    attended_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    attended_via = models.CharField(_("签到方式"), max_length=8, choices=CheckinVia.choices, blank=True)
    attendance_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        indexes = [models.Index(fields=["activity", "status"], name="signup_activity_status_idx"),
                   models.Index(fields=["person", "status"], name="signup_mine_idx")]
        constraints = [
            # Signing up twice is refused by the service; this holds even for two requests at the same instant.
            models.UniqueConstraint(fields=["activity", "person"], condition=~models.Q(status="cancelled"),
                                    name="signup_once_per_person"),
            models.CheckConstraint(condition=models.Q(attended_at__isnull=True) | models.Q(status="confirmed"),
                                   name="signup_attends_when_confirmed"),
        ]

    def __str__(self):
        return f"{self.activity.title} · {self.person}"


class ActivityEvent(TimelineEvent):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="events")
    # The sign-up an event is about (a waiter moved up), when it is about one.
    signup = models.ForeignKey(ActivitySignup, on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta(TimelineEvent.Meta):
        indexes = [outbox_index("station_activity_pending_idx")]
