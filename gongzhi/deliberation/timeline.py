"""Who hears of deliberation's events (gongzhi.core.timeline): the policy's answer for each, never the one who
acted. Messages name the vote, topic or resolution by its title; no one's ballot is ever in one. A mediation record
is named by its number and type only, never by its parties or its summary, and told to those who may read it."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.policy import users_acting_for, users_with
from gongzhi.core import timeline

from .capability import MEDIATION_VIEW, MEDIATION_WORK, RESOLUTION_MANAGE, TOPIC_MANAGE
from .models import DeliberationEvent, RollEntry

MESSAGES = {
    "vote_created": None,
    "vote_opened": lambda e: (_("表决开始投票"), e.vote.title),
    "vote_closed": lambda e: (_("表决已结束，结果已公告"), e.vote.title),
    "topic_raised": None,
    "topic_on_agenda": lambda e: (_("议题已获足够支持，列入议程"), e.topic.title),
    "topic_decided": lambda e: (_("议题有了处理意见"), e.topic.title),
    "resolution_created": lambda e: (_("新的决议待落实"), e.resolution.title),
    "resolution_progress": lambda e: (_("决议落实有进展"), e.resolution.title),
    "resolution_done": lambda e: (_("决议已落实完成"), e.resolution.title),
    "meeting_scheduled": None,
    "meeting_held": None,
    "mediation_opened": lambda e: (_("您被指定为纠纷调解员"), _mediation_name(e.mediation)),
    "mediation_session": None,
    "mediation_agreed": lambda e: (_("纠纷已达成调解协议"), _mediation_name(e.mediation)),
    "mediation_handed_over": lambda e: (_("纠纷已移交上级调解"), _mediation_name(e.mediation)),
    "mediation_followed_up": None,
    "mediation_closed": lambda e: (_("调解已结案"), _mediation_name(e.mediation)),
}


def _mediation_name(m):
    return f"{m.number} · {m.get_dispute_type_display()}"


class DeliberationTimeline(timeline.Source):
    label = "deliberation"
    model = DeliberationEvent
    actions = tuple(MESSAGES)
    kinds = {
        "vote_opened": timeline.Kind(gettext_lazy("表决开始投票")),
        "vote_closed": timeline.Kind(gettext_lazy("表决结果公告"), default=timeline.INBOX),
        "topic_on_agenda": timeline.Kind(gettext_lazy("议题列入议程"), default=timeline.INBOX),
        "topic_decided": timeline.Kind(gettext_lazy("议题处理意见"), default=timeline.INBOX),
        "resolution_created": timeline.Kind(gettext_lazy("决议待落实"), default=timeline.INBOX),
        "resolution_progress": timeline.Kind(gettext_lazy("决议落实进展"), default=timeline.INBOX),
        "resolution_done": timeline.Kind(gettext_lazy("决议落实完成"), default=timeline.INBOX),
        "mediation_opened": timeline.Kind(gettext_lazy("指定调解员")),
        "mediation_agreed": timeline.Kind(gettext_lazy("调解达成协议"), default=timeline.INBOX),
        "mediation_handed_over": timeline.Kind(gettext_lazy("纠纷移交")),
        "mediation_closed": timeline.Kind(gettext_lazy("调解结案"), default=timeline.INBOX),
    }

    def load(self, ids):
        return list(DeliberationEvent.objects.select_related("vote", "topic", "resolution", "meeting", "mediation")
                    .filter(pk__in=ids).order_by("id"))

    def _parties(self, e):
        a = e.action
        if a in ("vote_opened", "vote_closed"):
            voters = RollEntry.objects.filter(vote=e.vote, voter_user__isnull=False).values_list("voter_user", flat=True)
            return {pk: "voter" for pk in voters}, set()
        if a == "topic_on_agenda":
            return {pk: "committee" for pk in users_with(TOPIC_MANAGE, e.topic).values_list("pk", flat=True)}, set()
        if a == "topic_decided":
            return ({e.topic.raised_by_id: "raiser"} if e.topic.raised_by_id else {}), set()
        if a in ("resolution_created", "resolution_progress", "resolution_done"):
            r = e.resolution
            out = {r.responsible_user_id: "responsible"} if r.responsible_user_id else {}
            orgs = {r.responsible_org_id} - {None}
            if a == "resolution_created":
                out.update({pk: "responsible" for pk in users_acting_for(list(orgs)).values_list("pk", flat=True)})
            else:  # progress is told to those who run the compound's deliberation
                out = {pk: "committee" for pk in users_with(RESOLUTION_MANAGE, r, by_relation=False)
                       .values_list("pk", flat=True)}
            return out, orgs
        if a == "mediation_opened":  # the mediators named, as the policy grants them the record
            m = e.mediation
            return {pk: "mediator" for pk in users_with(MEDIATION_WORK, m).filter(
                pk__in=m.mediators.values("user")).values_list("pk", flat=True)}, set()
        if a.startswith("mediation_"):  # how it ended: everyone who may read the record
            return {pk: "mediation" for pk in users_with(MEDIATION_VIEW, e.mediation).values_list("pk", flat=True)}, set()
        return {}, set()

    def audience(self, events):
        out = {}
        for e in events:
            if MESSAGES.get(e.action) is None:
                out[e.pk] = timeline.NOBODY
                continue
            parties, orgs = self._parties(e)
            parties.pop(e.actor_id, None)
            out[e.pk] = timeline.Audience(parties, frozenset(orgs))
        return out

    def message(self, event, party):
        title, body = MESSAGES[event.action](event)
        return {"title": str(title), "body": body or ""}

    def link(self, event):
        if event.vote_id:
            return f"/deliberation/votes/{event.vote_id}/"
        if event.topic_id:
            return f"/deliberation/topics/{event.topic_id}/"
        if event.meeting_id:
            return f"/deliberation/meetings/{event.meeting_id}/"
        if event.mediation_id:
            return f"/deliberation/mediations/{event.mediation_id}/"
        return f"/deliberation/resolutions/{event.resolution_id}/" if event.resolution_id else ""

    def subject_id(self, event):
        return event.vote_id or event.topic_id or event.resolution_id or event.meeting_id or event.mediation_id

    def payload(self, event):
        return {"event": event.action, "vote": event.vote_id, "topic": event.topic_id,
                "resolution": event.resolution_id, "meeting": event.meeting_id,
                "mediation": event.mediation_id, "at": event.at.isoformat()}
