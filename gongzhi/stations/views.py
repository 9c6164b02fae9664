"""The stations' pages: finding a rest station (open to anyone), a room's free time and booking it, one's
bookings and the keepers' decisions. A refusal of the services comes back on the page as a message."""
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.accounts.policy import can
from gongzhi.core.workdays import LOCAL
from gongzhi.grid.models import Compound

from . import selectors, services
from .capability import BOOKING_CANCEL, BOOKING_MANAGE, ROOM_BOOK
from .models import AMENITIES, BookingStatus
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
    template = "stations/_results.html" if request.headers.get("HX-Request") else "stations/find.html"
    return render(request, template, ctx)


def station(request, pk):
    s = selectors.public_station(pk)
    if s is None:
        raise Http404
    return render(request, "stations/station.html", {"s": public(s, open_now=selectors.open_now([s])[s.pk])})


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


@login_required
def room(request, pk):
    user = request.user
    r = selectors.room(user, pk)
    if r is None:
        raise Http404
    now = timezone.now()
    today = now.astimezone(LOCAL).date()
    day = _day(request.GET.get("date") or request.POST.get("date"), today)
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            start = datetime.datetime.combine(day, datetime.time.fromisoformat(data.get("start", "")), tzinfo=LOCAL)
            minutes = int(data.get("minutes", ""))
            attendees = int(data.get("attendees", ""))
        except ValueError:
            errors = {"form": [_("请填写开始时间、时长和人数")]}
        else:
            try:
                b = services.booking_create(user=user, room_id=r.pk, starts_at=start,
                                            ends_at=start + datetime.timedelta(minutes=minutes),
                                            attendees=attendees, purpose=data.get("purpose", ""))
            except ValidationError as e:
                errors = e.message_dict
            except services.Conflict as e:
                errors = {"starts_at": [e.message]}
            else:
                messages.success(request, _("已预约") if b.status == BookingStatus.CONFIRMED
                                 else _("已提交预约，等待驿站审核"))
                return redirect("stations:booking", b.pk)
    days = [today + datetime.timedelta(days=i) for i in range(r.horizon_days + 1)]
    return render(request, "stations/room.html", {
        "room": r, "day": day, "days": days, "free": selectors.free_spans(r, day, now),
        "taken": selectors.bookings_of_day(r, day), "errors": errors, "data": data,
        "may_book": can(user, ROOM_BOOK, r), "durations": [d for d in (30, 60, 90, 120, 180, 240)
                                                         if d <= r.max_minutes]})


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
    return render(request, "stations/booking.html", {
        "b": b, "may_cancel": can(user, BOOKING_CANCEL, b) and b.status in ("pending", "confirmed")
        and b.ends_at > timezone.now(), "may_decide": can(user, BOOKING_MANAGE, b) and b.status == "pending"})


@login_required
@require_POST
def booking_act(request, pk):
    user = request.user
    if selectors.booking(user, pk) is None:
        raise Http404
    act = {"cancel": services.booking_cancel, "approve": services.booking_approve,
           "refuse": services.booking_refuse}.get(request.POST.get("act"))
    if act is None:
        raise Http404
    try:
        act(user=user, booking_id=pk)
    except services.Conflict as e:
        messages.error(request, e.message)
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, _("已处理"))
    return redirect("stations:booking", pk)
