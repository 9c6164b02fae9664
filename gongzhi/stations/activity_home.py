"""Activities on the homes: a resident's or party member's sign-ups (with their place on a waitlist) and the
activities coming up that they may still join."""
from gongzhi.accounts.policy import can
from gongzhi.dashboard.homes import Panel

from . import activity_selectors as sel
from .capability import ACTIVITY_SIGNUP

SHOWN = 5


def upcoming(request):
    mine = list(sel.my_signups(request.user)[:SHOWN])
    offered = list(sel.open_to_sign_up(request.user)[:SHOWN + 1])
    return {"mine": [(s, sel.place_of(s)) for s in mine], "offered": offered[:SHOWN], "more": len(offered) > SHOWN}


PANELS = (
    Panel("stations.activities", "stations/home_activities.html", lambda u: can(u, ACTIVITY_SIGNUP), upcoming,
          order=21),
)
