"""Who hears of an activity: a waiter when they move up; everyone signed up or waiting when it is called off or
moves to another time or room. Publishing it tells nobody (the residents find it on their homes)."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.policy import scoped
from gongzhi.core import timeline
from gongzhi.core.workdays import LOCAL

from .capability import ACTIVITY_VIEW
from .models import Activity, ActivityEvent, ActivitySignup, STANDING

LABEL = "stations.activities"
PARTICIPANT = "participant"
TO_EVERYONE_SIGNED_UP = ("activity_cancel", "activity_change")


class ActivityTimeline(timeline.Source):
    label = LABEL
    model = ActivityEvent
    actions = ("activity_promote", "activity_cancel", "activity_change")
    kinds = {"activity_promote": timeline.Kind(label=gettext_lazy("活动候补转为正式报名")),
             "activity_cancel": timeline.Kind(label=gettext_lazy("报名的活动已取消")),
             "activity_change": timeline.Kind(label=gettext_lazy("报名的活动改了时间或地点"))}

    def load(self, ids):
        return list(ActivityEvent.objects.select_related("activity__station", "activity__room", "signup")
                    .filter(pk__in=ids).order_by("id"))

    def audience(self, events):
        wide = {e.activity_id for e in events if e.action in TO_EVERYONE_SIGNED_UP}
        signed_up = {}
        for activity_id, person_id in (ActivitySignup.objects.filter(activity_id__in=wide, status__in=STANDING)
                                       .order_by("id").values_list("activity_id", "person_id")):
            signed_up.setdefault(activity_id, []).append(person_id)
        out = {}
        for e in events:
            if e.action == "activity_promote" and e.signup_id:
                out[e.pk] = timeline.Audience({e.signup.person_id: PARTICIPANT})
            elif e.action in TO_EVERYONE_SIGNED_UP:
                people = {pk: PARTICIPANT for pk in signed_up.get(e.activity_id, ()) if pk != e.actor_id}
                if people:
                    out[e.pk] = timeline.Audience(people)
        return out

    def message(self, event, party):
        a = event.activity
        when = a.starts_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
        words = {"activity_promote": _("您已从候补转为正式报名：%(title)s，%(when)s"),
                 "activity_cancel": _("您报名的活动已取消：%(title)s，%(when)s"),
                 "activity_change": _("您报名的活动时间或地点有变：%(title)s，现为 %(when)s")}[event.action]
        where = a.station.name + (f" · {a.room.name}" if a.room_id else "")
        body = where
        if event.action == "activity_cancel" and event.note:
            body = _("%(where)s。取消原因：%(reason)s") % {"where": where, "reason": event.note}
        return {"title": words % {"title": a.title, "when": when}, "body": body}

    def link(self, event):
        return f"/stations/activities/{event.activity_id}/"

    def subject_id(self, event):
        return event.activity_id

    def visible_subjects(self, user, subject_ids):
        return set(scoped(user, ACTIVITY_VIEW, Activity.objects.filter(pk__in=list(subject_ids)))
                   .values_list("pk", flat=True))

    def payload(self, event):
        a = event.activity
        return {"event": event.action, "activity": a.pk, "title": a.title, "station": a.station_id,
                "room": a.room_id, "starts_at": a.starts_at.isoformat(), "ends_at": a.ends_at.isoformat(),
                "status": a.status}
