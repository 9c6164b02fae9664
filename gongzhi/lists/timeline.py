"""Who hears of the three lists' events (gongzhi.core.timeline): the policy's answer for each, never the one
who acted. Messages name the record by its title and number, nothing about the resident."""
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import users_acting_for, users_with
from gongzhi.core import timeline

from .capability import NEED_REVIEW, PROJECT_MANAGE, SERVICE_CONFIRM
from .models import ListsEvent

MESSAGES = {
    "need_posted": lambda e: (_("新的居民需求"), e.need.title),
    "need_declined": lambda e: (_("您的需求未被采纳"), e.note),
    "need_in_project": lambda e: (_("您的需求已立项"), e.project.title),
    "project_dispatched": lambda e: (_("社区向您派单"), e.project.title),
    "project_published": lambda e: (_("新的项目可接单"), e.project.title),
    "project_taken": lambda e: (_("项目有人接单"), e.project.title),
    "service_recorded": lambda e: (_("有新的服务记录"), e.service.project.title),
    "service_rated": lambda e: (_("服务已获评价"), e.service.project.title),
    "service_confirmed": lambda e: (_("服务已确认并计入台账"), e.service.project.title),
}


class ListsTimeline(timeline.Source):
    label = "lists"
    model = ListsEvent
    actions = tuple(MESSAGES)

    def load(self, ids):
        return list(ListsEvent.objects.select_related("need", "project", "service__project")
                    .filter(pk__in=ids).order_by("id"))

    def _parties(self, e):
        a = e.action
        if a == "need_posted":
            return {pk: "desk" for pk in users_with(NEED_REVIEW, e.need).values_list("pk", flat=True)}, set()
        if a in ("need_declined", "need_in_project"):
            return ({e.need.poster_id: "poster"} if e.need.poster_id else {}), set()
        if a == "project_dispatched":
            takes = list(e.project.takes.all())
            users = {t.user_id: "taker" for t in takes if t.user_id}
            orgs = {t.organisation_id for t in takes if t.organisation_id}
            users.update({pk: "taker" for pk in users_acting_for(list(orgs)).values_list("pk", flat=True)})
            return users, orgs
        if a in ("project_taken",):
            return {pk: "desk" for pk in users_with(PROJECT_MANAGE, e.project).values_list("pk", flat=True)}, set()
        if a == "service_recorded":
            out = {pk: "desk" for pk in users_with(SERVICE_CONFIRM, e.service).values_list("pk", flat=True)}
            out.update({pk: "served" for pk in e.service.served.values_list("user_id", flat=True)})
            return out, set()
        if a in ("service_rated", "service_confirmed"):
            return ({e.service.provider_id: "provider"} if e.service.provider_id else {}), \
                {e.service.organisation_id} - {None}
        return {}, set()  # a published project is read from the board, not pushed to every member

    def audience(self, events):
        out = {}
        for e in events:
            parties, orgs = self._parties(e)
            parties.pop(e.actor_id, None)
            out[e.pk] = timeline.Audience(parties, frozenset(orgs))
        return out

    def message(self, event, party):
        title, body = MESSAGES[event.action](event)
        return {"title": str(title), "body": body or ""}

    def link(self, event):
        if event.service_id:
            return f"/lists/services/{event.service_id}/"
        if event.project_id:
            return f"/lists/projects/{event.project_id}/"
        return f"/lists/needs/{event.need_id}/" if event.need_id else ""

    def subject_id(self, event):
        return event.service_id or event.project_id or event.need_id

    def payload(self, event):
        return {"event": event.action, "need": event.need_id, "project": event.project_id,
                "service": event.service_id, "at": event.at.isoformat()}
