"""The activities' pages: the list and one activity (signing up, the waitlist, the keepers' roster), the
keepers' form, the printable code, and checking in by scanning it. A refusal of the services comes back on the
page as a message, with nothing changed."""
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.accounts.policy import can
from gongzhi.core.forms import refusal_as_message
from gongzhi.core.workdays import LOCAL

from . import activities, selectors
from . import activity_selectors as sel
from . import codes
from .capability import ACTIVITY_MANAGE, ACTIVITY_SIGNUP, ACTIVITY_VIEW
from .models import ActivityKind, ActivitySignup, ActivityStatus, Room, SignupStatus
from .services import Conflict


def _station_filter(raw):
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else None


@login_required
def activity_list(request):
    user = request.user
    if not can(user, ACTIVITY_VIEW):
        raise Http404
    station_id = _station_filter(request.GET.get("station"))
    showing_past = request.GET.get("past") == "1"
    rows = list((sel.past if showing_past else sel.upcoming)(user, station_id=station_id)[:sel.SHOWN])
    mine = {s.activity_id: s for s in sel.my_signups(user, upcoming_only=False).filter(
        activity_id__in=[a.pk for a in rows])}
    return render(request, "stations/activities.html", {
        "rows": [(a, mine.get(a.pk)) for a in rows], "past": showing_past, "station_id": station_id,
        "may_publish": selectors.kept_stations(user).exists()})


def _form_context(user, activity=None, data=None):
    stations = list(selectors.kept_stations(user).filter(status="open"))
    rooms = list(Room.objects.filter(station__in=stations).select_related("station").order_by("station__name", "id"))
    return {"stations": stations, "rooms": rooms, "kinds": ActivityKind.choices, "a": activity, "data": data or {}}


def _moment(raw):
    try:
        value = datetime.datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return value.replace(tzinfo=LOCAL) if value is not None and value.tzinfo is None else value


def _fields(data):
    """What the form says, as the services take it; the unreadable named in `errors`."""
    errors = {}
    starts_at, ends_at = _moment(data.get("starts_at")), _moment(data.get("ends_at"))
    if starts_at is None or ends_at is None:
        errors["starts_at"] = [_("请填写活动的开始和结束时间")]
    try:
        capacity = int(data.get("capacity", ""))
    except ValueError:
        capacity = None
        errors["capacity"] = [_("请填写名额")]
    fields = {"title": data.get("title", ""), "kind": data.get("kind", ""), "starts_at": starts_at,
              "ends_at": ends_at, "capacity": capacity, "room_id": data.get("room") or None,
              "volunteer_hours": data.get("volunteer_hours") == "1", "description": data.get("description", "")}
    return fields, errors


@login_required
def activity_new(request):
    user = request.user
    if not selectors.kept_stations(user).exists():
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        fields, errors = _fields(data)
        if not errors:
            try:
                a = activities.activity_publish(user=user, station_id=data.get("station", ""), **fields)
            except ValidationError as e:
                errors = e.message_dict
            except Conflict as e:
                errors = {"starts_at": [e.message]}
            else:
                messages.success(request, _("活动已发布"))
                return redirect("stations:activity", a.pk)
    else:
        data = {"station": request.GET.get("station", ""), "capacity": "20"}
    return render(request, "stations/activity_form.html", {**_form_context(user, data=data), "errors": errors},
                  status=400 if errors else 200)


def _managed(user, pk):
    a = sel.activity(user, pk)
    if a is None or not can(user, ACTIVITY_MANAGE, a):
        raise Http404
    return a


def _local_input(moment):
    return timezone.localtime(moment, LOCAL).strftime("%Y-%m-%dT%H:%M")


@login_required
def activity_edit(request, pk):
    user = request.user
    a = _managed(user, pk)
    errors = {}
    if request.method == "POST":
        data = request.POST
        fields, errors = _fields(data)
        if not errors:
            try:
                activities.activity_update(user=user, activity_id=pk, version=_int(data.get("version")), **fields)
            except ValidationError as e:
                errors = e.message_dict
            except Conflict as e:
                errors = {"form": [e.message]}
            else:
                messages.success(request, _("活动已保存"))
                return redirect("stations:activity", pk)
    else:
        data = {"station": str(a.station_id), "room": str(a.room_id or ""), "title": a.title, "kind": a.kind,
                "starts_at": _local_input(a.starts_at), "ends_at": _local_input(a.ends_at),
                "capacity": str(a.capacity), "volunteer_hours": "1" if a.volunteer_hours else "",
                "description": a.description, "version": str(a.version)}
    return render(request, "stations/activity_form.html", {**_form_context(user, a, data), "errors": errors},
                  status=400 if errors else 200)


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1


@login_required
def activity(request, pk):
    user = request.user
    a = sel.activity(user, pk)
    if a is None:
        raise Http404
    now = timezone.now()
    mine = sel.my_signup(user, a.pk)
    manages = can(user, ACTIVITY_MANAGE, a)
    confirmed, waiting = sel.roster(a) if manages else ([], [])
    open_ = a.status == ActivityStatus.PUBLISHED and a.starts_at > now
    return render(request, "stations/activity.html", {
        "a": a, "mine": mine, "position": sel.position_of(mine), "manages": manages,
        "confirmed": confirmed, "waiting": waiting, "now": now,
        "may_sign_up": open_ and mine is None and can(user, ACTIVITY_SIGNUP, a),
        "may_leave": open_ and mine is not None, "may_change": manages and open_,
        "may_mark": manages and a.status == ActivityStatus.PUBLISHED
        and now >= a.starts_at - activities.CHECKIN_EARLY,
        "ledger": a.volunteer_hours and activities.volunteer_hours_of(a)})


@login_required
@require_POST
def activity_act(request, pk):
    user = request.user
    if sel.activity(user, pk) is None:
        raise Http404
    act, data = request.POST.get("act"), request.POST
    with refusal_as_message(request):
        if act == "signup":
            s = activities.signup_create(user=user, activity_id=pk)
            done = _("报名成功") if s.status == SignupStatus.CONFIRMED else \
                _("名额已满，您已进入候补名单（第 %(n)d 位），有人取消时将自动递补并通知您") % {"n": sel.position_of(s)}
        elif act == "leave":
            activities.signup_leave(user=user, activity_id=pk)
            done = _("已取消报名")
        elif act == "cancel":
            activities.activity_cancel(user=user, activity_id=pk, reason=data.get("reason", ""))
            done = _("活动已取消，已通知报名的人")
        elif act == "attend":
            signup_id = _int(data.get("signup"))
            if not ActivitySignup.objects.filter(pk=signup_id, activity_id=pk).exists():
                raise Http404
            activities.attendance_record(user=user, signup_id=signup_id)
            done = _("已登记签到")
        else:
            raise Http404
        messages.success(request, done)
    return redirect("stations:activity", pk)


def _checkin_url(request, a):
    return request.build_absolute_uri(reverse("stations:activity_checkin", args=[activities.code_for(a)]))


@login_required
def activity_code(request, pk):
    """A page to print and pin up: the activity, its QR code (inline SVG, sharp at any size) and a PNG."""
    user = request.user
    a = _managed(user, pk)
    url = _checkin_url(request, a)
    return render(request, "stations/activity_code.html", {"a": a, "svg": codes.svg(url), "url": url})


@login_required
def activity_code_png(request, pk):
    a = _managed(request.user, pk)
    response = HttpResponse(codes.png(_checkin_url(request, a)), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="activity-{a.pk}-checkin.png"'
    return response


@login_required
def activity_checkin(request, token):
    """What the code on the wall opens: the activity, and one button to check in (a GET changes nothing)."""
    user = request.user
    ctx, status = {"token": token, "error": ""}, 200
    try:
        activity_id = activities.read_code(token)
    except ValidationError as e:
        return render(request, "stations/activity_checkin.html", {**ctx, "error": "；".join(e.messages)}, status=400)
    a = sel.activity(user, activity_id)
    if a is None:
        raise Http404
    ctx["a"] = a
    if request.method == "POST":
        try:
            signup, newly = activities.checkin(user=user, token=token)
        except Conflict as e:
            ctx["error"], status = e.message, 409
        except ValidationError as e:
            ctx["error"], status = "；".join(e.messages), 400
        else:
            messages.success(request, _("签到成功") if newly else _("您已签到过了"))
            return redirect("stations:activity", a.pk)
    mine = sel.my_signup(user, a.pk)
    ctx.update(mine=mine, position=sel.position_of(mine))
    return render(request, "stations/activity_checkin.html", ctx, status=status)
