"""Who hears of a case's events (gongzhi.core.timeline): the policy's answer for each, never the one who acted.

Messages name a case by its number and compound, never the family nor anything found. The referrer hears
only of the broad status (received, in progress, concluded); the organisation a measure was sent to hears of
that measure only, and its webhook is sent the measure's number and nothing of the case.
"""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext_lazy

from gongzhi.accounts.policy import scoped, users_acting_for, users_with
from gongzhi.core import timeline
from gongzhi.core.timeline import INBOX, INSTANT, Audience, Kind

from . import presenter
from .capability import CASE_ASSIGN, CASE_STATUS, CASE_WORK, MEASURE_DECIDE
from .models import Case, CareEvent, Measure

# Events that change what the referrer is told (presenter.broad_status).
TO_REFERRER = ("assigned", "not_eligible", "closed", "reopened")

KINDS = {
    "referred": Kind(gettext_lazy("新的帮扶转介"), INSTANT),
    "assigned": Kind(gettext_lazy("分派帮扶个案"), INSTANT, mandatory=True),
    "unassigned": Kind(gettext_lazy("帮扶个案工作者变更"), INBOX),
    "opened": Kind(gettext_lazy("帮扶个案立案"), INBOX),
    "not_eligible": Kind(gettext_lazy("帮扶核实结论"), INBOX),
    "measure_added": Kind(gettext_lazy("新增帮扶措施"), INBOX),
    "measure_sent": Kind(gettext_lazy("收到帮扶申请"), INSTANT),
    "measure_updated": Kind(gettext_lazy("帮扶措施进展"), INBOX),
    "measure_decided": Kind(gettext_lazy("帮扶申请已决定"), INSTANT),
    "followup_recorded": Kind(gettext_lazy("帮扶回访记录"), INBOX),
    "followup_due": Kind(gettext_lazy("帮扶回访到期"), INBOX,
                         counted=ngettext_lazy("%(count)d 个帮扶个案应回访", "%(count)d 个帮扶个案应回访", "count")),
    "closed": Kind(gettext_lazy("帮扶个案结案"), INBOX),
    "reopened": Kind(gettext_lazy("帮扶个案重新开案"), INBOX),
}


class CareTimeline(timeline.Source):
    label = "care"
    model = CareEvent
    actions = tuple(KINDS)
    kinds = KINDS

    def load(self, ids):
        return list(CareEvent.objects.select_related("case__compound", "measure__organisation")
                    .filter(pk__in=ids).order_by("id"))

    def _parties(self, e):
        a, case = e.action, e.case
        if a == "referred":
            return {pk: "lead" for pk in users_with(CASE_ASSIGN, case, roles=None, by_relation=False)
                    .values_list("pk", flat=True)}, set()
        if a == "measure_sent":
            org = e.measure.organisation_id
            return {pk: "org" for pk in users_acting_for([org]).values_list("pk", flat=True)}, {org}
        parties = {pk: "worker" for pk in users_with(CASE_WORK, case)
                   .values_list("pk", flat=True)}
        if a in TO_REFERRER and case.referred_by_id and case.referred_by_id not in parties:
            parties[case.referred_by_id] = "referrer"
        return parties, set()

    def audience(self, events):
        out = {}
        for e in events:
            parties, orgs = self._parties(e)
            parties.pop(e.actor_id, None)
            out[e.pk] = Audience(parties, frozenset(orgs))
        return out

    def message(self, event, party):
        case = event.case
        if party == "referrer":
            _code, label = presenter.broad_status(case)
            return {"title": _("您转介的情况有新进展"),
                    "body": _("%(compound)s 的转介：%(status)s") % {"compound": case.compound.name, "status": label}}
        if party == "org":
            return {"title": _("收到帮扶申请"), "body": _("%(kind)s #%(id)s") % {
                "kind": event.measure.get_kind_display(), "id": event.measure_id}}
        title = str(KINDS[event.action].label)
        return {"title": title, "body": f"{case.number} · {case.compound.name}"}

    def link(self, event):
        if event.action in ("measure_sent",):
            return f"/care/measures/{event.measure_id}/"
        return f"/care/cases/{event.case_id}/"

    def subject_id(self, event):
        return event.case_id

    def visible_subjects(self, user, subject_ids):
        ids = set(scoped(user, CASE_STATUS, Case.objects.filter(pk__in=subject_ids)).values_list("pk", flat=True))
        ids |= set(scoped(user, MEASURE_DECIDE, Measure.objects.filter(case_id__in=subject_ids))
                   .values_list("case_id", flat=True))
        return ids

    def payload(self, event):
        # Only an organisation's webhook hears of an event (measure_sent): the measure, nothing of the case.
        return {"event": event.action, "measure": event.measure_id, "at": event.at.isoformat()}
