"""The latest notices on the home of everyone who may read them: one query, the three newest current ones."""
from gongzhi.accounts.policy import can
from gongzhi.dashboard.homes import Panel

from .capability import NOTICE_VIEW
from .selectors import current

SHOWN = 3


def latest(request):
    rows = list(current(request.user).only("id", "title", "kind", "pinned", "published_at")[:SHOWN + 1])
    return {"notices": rows[:SHOWN], "more": len(rows) > SHOWN}


PANEL = Panel("notices.latest", "notices/home.html", lambda u: can(u, NOTICE_VIEW), latest, order=8)
