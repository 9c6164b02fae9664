"""Deliberation's parts of the home (gongzhi.dashboard.homes): an owner's open votes and the topics to support in
their compound; the owners' committee's agenda and open resolutions."""
from gongzhi.accounts.policy import can
from gongzhi.dashboard.homes import Panel

from . import selectors
from .capability import TOPIC_MANAGE, TOPIC_SUPPORT
from .models import TopicStatus

SHOWN = 5


def resident(request):
    user = request.user
    return {"votes": list(selectors.open_votes(user)[:SHOWN]),
            "topics": list(selectors.topics(user, status=TopicStatus.OPEN)[:SHOWN])}


def committee(request):
    user = request.user
    return {"agenda": list(selectors.agenda(user)[:SHOWN]),
            "resolutions": list(selectors.resolutions(user, open_only=True)[:SHOWN]),
            "votes": list(selectors.open_votes(user)[:SHOWN])}


PANELS = (
    Panel("deliberation.committee", "deliberation/home_committee.html", lambda u: can(u, TOPIC_MANAGE), committee,
          order=20),
    Panel("deliberation.resident", "deliberation/home_resident.html",
          lambda u: can(u, TOPIC_SUPPORT) and not can(u, TOPIC_MANAGE), resident, order=21),
)
