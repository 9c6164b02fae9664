"""A capability that is not appeals, for the tests only: chores, the smallest timeline there is.

A chore is given to one user on behalf of an organisation; its timeline says who assigned it, who did it. The
assignee hears of every event but their own acts, the organisation's webhooks of every event. Nothing in
gongzhi.notifications knows of it: the source registered below is all it gets.

The models belong to no installed app (migrations and the system checks never see them); the tests create
their tables (create_tables). Their foreign keys to the project's tables have no database constraint, so the
tables never hold back the truncation of those tables after a transactional test.
"""
from django.conf import settings
from django.db import connection, models

from gongzhi.core import timeline

LABEL = "chores"


class Chore(models.Model):
    title = models.CharField(max_length=100)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", null=True, on_delete=models.DO_NOTHING,
                                     db_constraint=False, related_name="+")

    class Meta:
        app_label = "timeline_chores"


class ChoreEvent(timeline.TimelineEvent):
    chore = models.ForeignKey(Chore, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")

    class Meta(timeline.TimelineEvent.Meta):
        app_label = "timeline_chores"


def create_tables():
    with connection.schema_editor() as editor:
        editor.create_model(Chore)
        editor.create_model(ChoreEvent)


def record(chore, actor, action, note="", internal=False, **fields):
    """What a capability's service does: the row, pending unless muted, and the outbox asked to drain after the
    commit."""
    event = ChoreEvent.objects.create(chore=chore, actor=actor, action=action, note=note, internal=internal,
                                      notify_pending=timeline.wanted(), **fields)
    timeline.written(event)
    return event


class ChoreTimeline(timeline.Source):
    label = LABEL
    model = ChoreEvent
    actions = ("chore_assign", "chore_done")

    def load(self, ids):
        return list(ChoreEvent.objects.select_related("chore").filter(pk__in=ids).order_by("id"))

    def audience(self, events):
        out = {}
        for e in events:
            parties = {e.chore.assignee_id: "assignee"}
            parties.pop(e.actor_id, None)
            out[e.pk] = timeline.Audience(parties, frozenset({e.chore.organisation_id} - {None}))
        return out

    def message(self, event, party):
        body = event.note if not event.internal else "(internal)"
        return {"title": f"{event.chore.title}: {event.action} ({party})", "body": body}

    def link(self, event):
        return f"/chores/{event.chore_id}/"

    def subject_id(self, event):
        return event.chore_id

    def payload(self, event):
        return {"event": event.action, "chore": event.chore.title, "at": event.at.isoformat()}
