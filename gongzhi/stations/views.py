"""The stations' pages: finding a rest station (open to anyone), checking in by QR code, a room's free time and
booking it, one's bookings and the keepers' decisions, codes and figures. A refusal of the services comes back on
the page as a message."""
import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts.policy import can
from gongzhi.core.audit import audit
from gongzhi.core.forms import refusal_as_message
from gongzhi.core.models import AuditAction
from gongzhi.core.workdays import LOCAL
from gongzhi.grid.models import Compound

from . import checkin as checking
from . import codes, recurring, selectors, services, usage
from .capability import BOOKING_CANCEL, BOOKING_MANAGE, ROOM_BOOK
from .models import AMENITIES, Booking, BookingStatus, FeedbackKind, Kind, StationVisit, Status, Weekday
from .present import public

SHOWN = 10


def _float(raw):
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def _places():
    """The compounds with a known centre: where to search from when the phone keeps its place to itself."""
    return list(Compound.objects.filter(center_lat__isnull=False, center_lng__isnull=False)
                .order_by("code").values_list("pk", "name", "center_lat", "center_lng"))


def _state(s):
    if s["status"] != Status.OPEN:
        return "soon"  # opening soon or planned: never drawn as open
    return "now" if s["open_now"] else "shut"


def _map(lat, lng, results):
    """What the finder's small map draws (static/js/stations_map.js): the place searched from and the stations
    of the list, numbered in its order. None when there is nothing to draw."""
    points = [{"n": i, "name": s["name"], "value": [s["lng"], s["lat"]], "state": _state(s),
               "url": reverse("stations:station", args=[s["id"]])}
              for i, s in enumerate(results, start=1) if s["lat"] is not None]
    return {"here": [lng, lat], "points": points} if points else None


def find(request):
    """Open to everyone: the nearest rest stations to the phone's position, or to a place chosen from a list."""
    places = _places()
    chosen_amenities = [a for a in request.GET.getlist("amenity") if a]
    ctx = {"amenities": AMENITIES, "chosen": chosen_amenities, "places": places, "results": None, "error": "",
           "open_only": request.GET.get("open_only") == "1"}
    lat, lng = _float(request.GET.get("lat")), _float(request.GET.get("lng"))
    place = request.GET.get("place")
    if place:  # a place chosen on the page wins over a position carried from an earlier search
        found = next((p for p in places if str(p[0]) == place), None)
        if found is not None:
            lat, lng = float(found[2]), float(found[3])
            ctx["place"] = found[0]
        else:
            lat = lng = None
    if request.GET.get("lat") or request.GET.get("lng") or place:
        keys = selectors.amenity_keys(chosen_amenities)
        if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
            ctx["error"] = _("位置无效：纬度应在 -90 到 90 之间，经度应在 -180 到 180 之间。请重新定位或选择地点。")
        elif keys is None:
            ctx["error"] = _("设施无效")
        else:
            qs = selectors.public_stations().filter(status="open") if ctx["open_only"] else None
            ranked = selectors.nearest(lat, lng, amenities=keys, limit=SHOWN, queryset=qs)
            opened = selectors.open_now([s for _d, s in ranked])
            ctx["results"] = [public(s, distance_m=d, open_now=opened[s.pk]) for d, s in ranked]
            ctx["lat"], ctx["lng"] = lat, lng
            ctx["map"] = _map(lat, lng, ctx["results"])
    template = "stations/_results.html" if request.headers.get("HX-Request") else "stations/find.html"
    return render(request, template, ctx)


def station(request, pk):
    """A rest station's public facts, and the form to tell its keepers what is wrong (signed in or not)."""
    s = selectors.public_station(pk)
    if s is None:
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            services.feedback_create(user=request.user, station_id=pk, kind=data.get("kind", ""),
                                     note=data.get("note", ""))
        except ValidationError as e:
            errors = e.message_dict
        else:
            messages.success(request, _("已收到您的反馈，驿站管理人员会尽快处理"))
            return redirect("stations:station", pk)
    return render(request, "stations/station.html", {
        "s": public(s, open_now=selectors.open_now([s])[s.pk]), "kinds": FeedbackKind.choices, "errors": errors,
        "data": data, "mine": list(selectors.my_feedback(request.user, station=s)[:10])},
        status=400 if errors else 200)


@login_required
def rooms(request):
    found = list(selectors.rooms_for(request.user).order_by("station__name", "id"))
    if not found:
        raise Http404
    stations = {}
    for r in found:
        stations.setdefault(r.station, []).append(r)
    return render(request, "stations/rooms.html", {"stations": list(stations.items())})


def _day(raw, today):
    try:
        return datetime.date.fromisoformat(raw) if raw else today
    except ValueError:
        return today


def _month_grid(month, days, today, last_bookable):
    """The month as weeks of seven cells (Monday first; None outside the month), each day with its free hours
    and whether it may be picked to book (from today to the end of the room's horizon)."""
    cells = [None] * month.weekday()
    for d, spans in days.items():
        minutes = sum((b - a).total_seconds() for a, b in spans) / 60
        cells.append({"date": d, "hours": round(minutes / 60, 1), "whole_hours": int(minutes // 60),
                      "bookable": today <= d <= last_bookable,
                      "today": d == today})
    cells += [None] * (-len(cells) % 7)
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]


def _next_month(month):
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _book(user, room, data, day):
    """Book from the room page's form: once, or weekly when it asks for more than one week. Returns (the first
    booking written, how many, the weeks skipped); raises what the services raise."""
    try:
        start = datetime.datetime.combine(day, datetime.time.fromisoformat(data.get("start", "")), tzinfo=LOCAL)
        minutes = int(data.get("minutes", ""))
        attendees = int(data.get("attendees", ""))
        weeks = int(data.get("weeks") or 1)
    except ValueError:
        raise ValidationError({"form": [_("请填写开始时间、时长和人数")]}) from None
    kw = {"user": user, "room_id": room.pk, "starts_at": start, "ends_at": start + datetime.timedelta(minutes=minutes),
          "attendees": attendees, "purpose": data.get("purpose", "")}
    if weeks == 1:
        return services.booking_create(**kw), 1, []
    made = recurring.series_create(**kw, weeks=weeks, skip_conflicts=data.get("on_conflict") == "skip")
    return made.bookings[0], len(made.bookings), made.skipped


@login_required
def room(request, pk):
    user = request.user
    r = selectors.room(user, pk)
    if r is None:
        raise Http404
    now = timezone.now()
    today = now.astimezone(LOCAL).date()
    day = _day(request.GET.get("date") or request.POST.get("date"), today)
    errors, data, conflicts, conflict_message = {}, {}, [], ""
    if request.method == "POST":
        data = request.POST
        try:
            b, count, skipped = _book(user, r, data, day)
        except ValidationError as e:
            errors = e.message_dict
        except recurring.SeriesConflict as e:
            conflicts, conflict_message = e.weeks, e.message
        except services.Conflict as e:
            errors = {"starts_at": [e.message]}
        else:
            if count == 1:
                messages.success(request, _("已预约") if b.status == BookingStatus.CONFIRMED
                                 else _("已提交预约，等待驿站审核"))
            elif skipped:
                messages.success(request, _("已预约每周重复 %(n)d 周，跳过了有冲突的 %(m)d 周")
                                 % {"n": count, "m": len(skipped)})
            else:
                messages.success(request, _("已预约每周重复 %(n)d 周") % {"n": count})
            return redirect("stations:booking", b.pk)
    days = [today + datetime.timedelta(days=i) for i in range(r.horizon_days + 1)]
    month = selectors.month_of(request.GET.get("month", ""), today) or day.replace(day=1)
    if month < today.replace(day=1):
        month = today.replace(day=1)
    last_month = (today + datetime.timedelta(days=r.horizon_days, weeks=recurring.MAX_WEEKS)).replace(day=1)
    month = min(month, last_month)
    weeks_asked = data.get("weeks", "1")
    return render(request, "stations/room.html", {
        "room": r, "day": day, "days": days, "free": selectors.free_spans(r, day, now),
        "taken": selectors.bookings_of_day(r, day, now), "errors": errors, "data": data,
        "may_book": can(user, ROOM_BOOK, r), "durations": [d for d in (30, 60, 90, 120, 180, 240)
                                                         if d <= r.max_minutes],
        "month": month, "month_grid": _month_grid(month, selectors.month_free(r, month, now), today, days[-1]),
        "prev_month": month.replace(day=1) - datetime.timedelta(days=1) if month > today.replace(day=1) else None,
        "next_month": _next_month(month) if month < last_month else None,
        "weekday_labels": [label for _d, label in Weekday.choices],
        "week_choices": range(recurring.MIN_WEEKS, recurring.MAX_WEEKS + 1), "weeks_asked": weeks_asked,
        "conflicts": conflicts, "conflict_message": conflict_message,
        "free_weeks": (int(weeks_asked) - len(conflicts)) if conflicts and weeks_asked.isdigit() else 0},
        status=400 if errors else 409 if conflicts else 200)


@login_required
def bookings(request):
    user = request.user
    ctx = {"mine": list(selectors.my_bookings(user)[:50])}
    if can(user, BOOKING_MANAGE):
        ctx["pending"] = list(selectors.pending(user)[:50])
        ctx["today"] = list(selectors.todays_bookings(user)[:50])
    return render(request, "stations/bookings.html", ctx)


@login_required
def booking(request, pk):
    user = request.user
    b = selectors.booking(user, pk)
    if b is None:
        raise Http404
    now = timezone.now()
    weeks = recurring.series_of(user, b.series)
    return render(request, "stations/booking.html", {
        "b": b, "may_cancel": can(user, BOOKING_CANCEL, b) and b.status in ("pending", "confirmed")
        and b.ends_at > now, "may_decide": can(user, BOOKING_MANAGE, b) and b.status == "pending",
        "check_in_from": b.starts_at - selectors.checkin_early(), "check_in_until": b.starts_at
        + selectors.no_show_grace(), "awaits_check_in": b.booked_by_id == user.pk and b.status == "confirmed"
        and b.checked_in_at is None and now < b.starts_at + selectors.no_show_grace(),
        "series": weeks, "later_weeks": sum(w.starts_at > b.starts_at and w.status in ("pending", "confirmed")
                                            for w in weeks)})


@login_required
@require_POST
def booking_act(request, pk):
    user = request.user
    if selectors.booking(user, pk) is None:
        raise Http404
    act = {"cancel": services.booking_cancel, "approve": services.booking_approve,
           "refuse": services.booking_refuse, "cancel_series": recurring.series_cancel}.get(request.POST.get("act"))
    if act is None:
        raise Http404
    with refusal_as_message(request):
        done = act(user=user, booking_id=pk)
        messages.success(request, _("已取消 %(n)d 周的预约") % {"n": len(done)} if isinstance(done, list)
                         else _("已处理"))
    return redirect("stations:booking", pk)


# ---- keepers: a station's status, amenities, weekly hours and closures ------------------------------------

def _time(raw):
    try:
        return datetime.time.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _moment(raw):
    try:
        value = datetime.datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return value.replace(tzinfo=LOCAL) if value is not None and value.tzinfo is None else value


def hours_from_form(data):
    """[(weekday, opens, closes)] from the form's rows, or a message naming the first bad day."""
    patterns = []
    for day, label in Weekday.choices:
        if data.get(f"open_{day}") != "1":
            continue
        opens, closes = _time(data.get(f"opens_{day}")), _time(data.get(f"closes_{day}"))
        if opens is None or closes is None:
            return None, _("%(day)s的开门或关门时间无效") % {"day": label}
        patterns.append((day, opens, closes))
    return patterns, ""


@login_required
def kept(request):
    found = list(selectors.kept_stations(request.user))
    if not found:
        raise Http404
    return render(request, "stations/kept.html", {"stations": found})


def _version(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1  # a form without its version is stale by definition


@login_required
def keep(request, pk):
    user = request.user
    station, closures = selectors.kept_station(user, pk)
    if station is None:
        raise Http404
    errors, act = {}, request.POST.get("act")
    if request.method == "POST":
        data = request.POST
        try:
            if act == "settings":
                services.station_update(user=user, station_id=pk, version=_version(data.get("version")),
                                        status=data.get("status", ""), amenities=data.getlist("amenity"),
                                        closed_on_holidays=data.get("closed_on_holidays") == "1")
                done = _("驿站信息已保存")
            elif act == "hours":
                patterns, problem = hours_from_form(data)
                if problem:
                    raise ValidationError({"hours": problem})
                services.hours_set(user=user, station_id=pk, patterns=patterns,
                                   version=_version(data.get("version")))
                done = _("开放时间已保存")
            elif act == "close":
                starts_at, ends_at = _moment(data.get("starts_at")), _moment(data.get("ends_at"))
                if starts_at is None or ends_at is None:
                    raise ValidationError({"starts_at": _("请填写闭站的开始和结束时间")})
                services.closure_add(user=user, station_id=pk, starts_at=starts_at, ends_at=ends_at,
                                     reason=data.get("reason", ""))
                done = _("已添加临时闭站")
            elif act == "reopen":
                services.closure_remove(user=user, station_id=pk, closure_id=_version(data.get("closure")))
                done = _("已取消临时闭站")
            elif act == "handle":
                feedback_id = _version(data.get("feedback"))
                if not selectors.visible_feedback(user).filter(pk=feedback_id, station_id=pk).exists():
                    raise Http404
                services.feedback_handle(user=user, feedback_id=feedback_id, reply=data.get("reply", ""))
                done = _("反馈已标记为处理")
            else:
                raise Http404
        except ValidationError as e:
            errors = e.message_dict
        except services.Conflict as e:
            errors = {"form": [e.message]}
        else:
            messages.success(request, done)
            return redirect("stations:keep", pk)
        station, closures = selectors.kept_station(user, pk)
    rows = {h.weekday: h for h in station.hours.all()}
    week = [(day, label, rows.get(day)) for day, label in Weekday.choices]
    figures, usage_error = _usage(user, station, request.GET)
    return render(request, "stations/keep.html", {
        "station": station, "closures": closures, "week": week, "errors": errors, "act": act,
        "usage": figures, "usage_error": usage_error, "usage_rows": _usage_rows(figures),
        "feedback": list(selectors.open_feedback(user).filter(station=station)[:50]),
        "data": request.POST if errors else {}, "statuses": Status.choices, "amenities": AMENITIES,
        "has": set(station.amenities())}, status=400 if errors else 200)


def _usage(user, station, query):
    """The station's figures for the range asked (from, to), or the last days and the message on a bad range."""
    today = timezone.now().astimezone(LOCAL).date()
    problem = ""
    try:
        first, last = usage.date_range(query.get("from"), query.get("to"), today)
    except ValidationError as e:
        problem = " ".join(e.messages)
        first, last = usage.date_range(None, None, today)
    return selectors.station_usage(user, station.pk, first, last), problem


def _usage_rows(figures):
    """The measures' labels and totals, and each day (latest first) and each hour of the day as (label, [counts in
    the measures' order], share of the busiest for a bar): the template needs no lookups by key."""
    def rows(items, label):
        peak = max((sum(i[k] for k in figures.keys) for i in items), default=0) or 1
        return [(label(i), [i[k] for k in figures.keys], round(100 * sum(i[k] for k in figures.keys) / peak))
                for i in items]

    labels = [figures.labels[k] for k in figures.keys]
    return {"labels": labels, "totals": [(figures.labels[k], figures.totals[k]) for k in figures.keys],
            "days": rows(list(reversed(figures.days)), lambda i: i["date"]),
            "hours": rows(figures.hours, lambda i: f"{i['hour']:02d}:00")}


# ---- checking in by QR code ---------------------------------------------------------------------------------

_VISITED_SALT = "gongzhi.stations.visited"


def _visited_cookie(station):
    return f"st_visited_{station.pk}"


def _visited(request, station, now):
    """Did this person check in here a moment ago? Signed in: their visit says so. Not: only a signed cookie on
    their own phone does, which names nobody and is kept nowhere else."""
    if request.user.is_authenticated:
        return StationVisit.objects.filter(station=station, user=request.user,
                                           at__gt=now - services.VISIT_AGAIN_AFTER, at__lte=now).exists()
    return request.get_signed_cookie(_visited_cookie(station), default=None, salt=_VISITED_SALT,
                                     max_age=services.VISIT_AGAIN_AFTER.total_seconds()) is not None


def _code_refused(request, message):
    return render(request, "stations/checkin_refused.html", {"message": message}, status=400)


def _checked_in_words(outcome):
    if outcome.kind == codes.ROOM:
        when = timezone.localtime(outcome.booking.checked_in_at).strftime("%H:%M")
        return (_("签到成功：%(room)s") if outcome.created else _("您已于 %(when)s 签到：%(room)s")) % {
            "room": outcome.room.name, "when": when}
    return _("签到成功，欢迎来到%(station)s") % {"station": outcome.station.name} if outcome.created \
        else _("您刚才已在这里签到")


@require_http_methods(["GET", "POST"])
def checkin(request, token):
    """What a station's or a room's QR code opens: the check-in, then (at a rest station) the feedback form.
    Open to anyone for a station; a room's booker signs in first. A refused code writes nothing."""
    now = timezone.now()
    try:
        kind, station, room = checking.describe(token, now)
    except codes.CodeError as e:
        return _code_refused(request, str(e))
    user = request.user
    if kind == codes.ROOM and not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    error = ""
    if request.method == "POST":
        if kind == codes.STATION and not user.is_authenticated and _visited(request, station, now):
            messages.info(request, _("您刚才已在这里签到"))
            return redirect(request.path)
        try:
            outcome = checking.check_in(user, token, now)
        except codes.CodeError as e:
            return _code_refused(request, str(e))
        except ValidationError as e:
            error = " ".join(e.messages)
        except (services.Conflict, PermissionDenied) as e:
            error = getattr(e, "message", None) or str(e)
        else:
            messages.success(request, _checked_in_words(outcome))
            response = redirect(request.path)
            if kind == codes.STATION and not user.is_authenticated:
                response.set_signed_cookie(_visited_cookie(station), "1", salt=_VISITED_SALT,
                                           max_age=int(services.VISIT_AGAIN_AFTER.total_seconds()),
                                           httponly=True, samesite="Lax", secure=request.is_secure())
            return response
    ctx = {"kind": kind, "station": station, "room": room, "error": error}
    if kind == codes.STATION:
        ctx["refusal"] = services.visit_refusal(station)
        ctx["visited"] = _visited(request, station, now)
        if selectors.public_stations().filter(pk=station.pk).exists():  # the feedback flow is for rest stations
            ctx["s"] = {"id": station.pk}
            ctx["kinds"] = FeedbackKind.choices
    else:
        day = datetime.datetime.combine(now.astimezone(LOCAL).date(), datetime.time(), tzinfo=LOCAL)
        ctx["bookings"] = list(Booking.objects.filter(
            room=room, booked_by=user, starts_at__lt=day + datetime.timedelta(days=1), ends_at__gt=day,
            status__in=(BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.NO_SHOW))
            .select_related("room__station").order_by("starts_at"))
        ctx["early"] = settings.STATION_CHECKIN_EARLY_MINUTES
        ctx["grace"] = settings.STATION_NO_SHOW_GRACE_MINUTES
    return render(request, "stations/checkin.html", ctx, status=400 if error else 200)


# ---- keepers: the codes to print ------------------------------------------------------------------------------

def _kept_or_404(user, pk):
    station = selectors.kept_stations(user).filter(pk=pk).first()
    if station is None:
        raise Http404
    return station


def _issued(request, station, what):
    # A code lets people check in for months: who printed which is worth knowing.
    audit(AuditAction.EXPORT, user=request.user, obj=station, detail="codes", changes={"codes": [None, what]})


@login_required
@require_GET
@never_cache
def poster(request, pk):
    """The station's code and one per room, as a page to print (one code a sheet) or save each as a PNG."""
    station = _kept_or_404(request.user, pk)
    expires_at = codes.poster_expiry()
    targets = [(codes.STATION, station.pk, station.name, None)]
    targets += [(codes.ROOM, r.pk, r.name, r) for r in station.rooms.order_by("id")]
    sheets = []
    for kind, target, name, room in targets:
        url = checking.url(request, codes.make(kind, target, expires_at=expires_at))
        png = reverse("stations:code_png", args=[station.pk]) if room is None else \
            reverse("stations:room_code_png", args=[station.pk, room.pk])
        sheets.append({"kind": kind, "name": name, "room": room, "url": url, "png": png,
                       "svg": mark_safe(codes.svg(url))})  # segno's markup of our own URL: nothing from input
    _issued(request, station, [f"{kind} {target}" for kind, target, _n, _r in targets])
    return render(request, "stations/poster.html", {"station": station, "sheets": sheets, "expires_at": expires_at,
                                                    "is_rest": station.kind == Kind.REST,
                                                    "grace": settings.STATION_NO_SHOW_GRACE_MINUTES})


@login_required
@require_GET
@never_cache
def code_png(request, pk, room_id=None):
    """One code as a PNG file, for a sign made elsewhere. Keepers only, as the page."""
    station = _kept_or_404(request.user, pk)
    kind, target = codes.STATION, station.pk
    if room_id is not None:
        if not station.rooms.filter(pk=room_id).exists():
            raise Http404
        kind, target = codes.ROOM, room_id
    url = checking.url(request, codes.make(kind, target, expires_at=codes.poster_expiry()))
    _issued(request, station, [f"{kind} {target}"])
    response = HttpResponse(codes.png(url), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{target}-checkin.png"'
    return response
