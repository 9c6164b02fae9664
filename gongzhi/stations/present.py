"""What the public sees of a station (the page and the open API say the same), and the hours in words."""
import datetime

from django.utils.translation import gettext as _

from .models import AMENITIES, Weekday

_LABELS = dict(AMENITIES)


def _span(h):
    if h.opens == h.closes == datetime.time(0):
        return _("全天")
    end = h.closes.strftime("%H:%M")
    if h.closes <= h.opens:
        end = _("次日%(t)s") % {"t": end}
    return f"{h.opens:%H:%M}–{end}"


def _days(first, last):
    if first == last:
        return str(Weekday(first).label)
    if (first, last) == (0, 6):
        return _("每天")
    return _("%(a)s至%(b)s") % {"a": Weekday(first).label, "b": Weekday(last).label}


def hours_text(station):
    """One line per run of weekdays with the same hours: "周一至周五 08:00–次日02:00", "每天 全天"."""
    by_day = {}
    for h in station.hours.all():
        by_day.setdefault(h.weekday, []).append(_span(h))
    runs = []  # [first, last, text]
    for day in sorted(by_day):
        text = "、".join(by_day[day])
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == text:
            runs[-1][1] = day
        else:
            runs.append([day, day, text])
    return [(_days(a, b), text) for a, b, text in runs]


def public(station, *, distance_m=None, open_now=False):
    return {
        "id": station.pk, "name": station.name, "kind": station.kind, "status": station.status,
        "status_display": str(station.get_status_display()), "address": station.address,
        "lat": float(station.lat) if station.lat is not None else None,
        "lng": float(station.lng) if station.lng is not None else None,
        "distance_m": round(distance_m) if distance_m is not None else None,
        "open_now": bool(open_now),
        "amenities": station.amenities(),
        "amenity_labels": [str(_LABELS[a]) for a in station.amenities()],
        "hours": [{"days": str(d), "times": t} for d, t in hours_text(station)],
        "keeper": station.keeper.name if station.keeper_id else None,
    }
