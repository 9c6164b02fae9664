"""What the public sees of a station (the page and the open API say the same), and the hours in words."""
from django.utils.translation import gettext as _

from .models import AMENITIES, Weekday

_LABELS = dict(AMENITIES)


def hours_text(station):
    """One line per weekday group with the same hours: "周一至周五 08:00–次日02:00"."""
    by_day = {}
    for h in station.hours.all():
        end = h.closes.strftime("%H:%M")
        if h.closes <= h.opens:
            end = _("次日%(t)s") % {"t": end}
        by_day.setdefault(h.weekday, []).append(f"{h.opens:%H:%M}–{end}")
    return [(Weekday(d).label, "、".join(v)) for d, v in sorted(by_day.items())]


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
