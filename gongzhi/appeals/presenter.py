"""What one person sees of an appeal: the one place that decides it.

The pages, the JSON API, the duplicate suggestions, Open311 and the notifications all show an appeal
through here: `view_of(user, appeal)` for one, `views_of(user, appeals)` for a page of them, and
`public_view(appeal)` for what anyone may read or what leaves the system (Open311, notifications,
e-mails). They read the appeal's own facts (number, status, category, place, handler, dates, counts)
from `view.appeal`; everything that depends on who reads it comes from the view: its free text, the
people behind it, the staff's coordination, the timeline, the actions open to the reader.

How a user stands to an appeal (`Reader`), from the most to the least:

* they work it: a workflow party other than its reporter (the desk, the handler, a verifier, the
  supervisors, the sub-district's whistle, a called department; a superuser is all of them). They see
  everything, internal notes included;
* staff over it: appeal.view over its place without working it (the compound's property staff or
  grid worker). The staff's view: who did what, the routing, the person behind it with the phone
  masked; not the internal notes;
* its reporter reading as such: every step of their appeal and the answers to them
  (workflow.reporter_sees_note), nobody else's identity;
* anyone else, shown a public appeal (other residents' duplicate suggestions, Open311), and whatever
  leaves the system: the appeal's public facts and its free text masked, nothing about people.

Free text (title, description, address, replies, rating comment, notes, whistle reports) reads as
written only for its author (the reporter, or the staff who entered it) and for those who work it;
everyone else reads it with every personal identifier masked (core.identity.redact_identifiers).
"""
from dataclasses import dataclass

from django.utils.translation import gettext as _

from gongzhi.accounts.policy import acting_org_ids, scope_of

from gongzhi.core.identity import redact_identifiers

from . import workflow as wf
from .routing import note_text
from .models import AppealEvent, WhistleCall
from .selectors import in_view_scope


@dataclass(frozen=True)
class Reader:
    """How one user stands to one appeal (see the module's docstring)."""

    user_id: int | None = None
    parties: frozenset = frozenset()
    works_it: bool = False
    staff: bool = False
    wrote_it: bool = False

    @property
    def reads_as_written(self):
        return self.works_it or self.wrote_it


NOBODY = Reader()


def reader(user, appeal, *, parties=None, called=None):
    """The user's standing to the appeal; `called` as for services.parties_of (a page reads it once)."""
    from .services import parties_of

    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    parties = frozenset(parties_of(user, appeal, called=called) if parties is None else parties)
    works_it = bool(parties - {wf.REPORTER})
    return Reader(user_id=user.pk, parties=parties, works_it=works_it,
                  staff=works_it or scope_of(user).superuser or in_view_scope(user, appeal),
                  wrote_it=user.pk in (appeal.reporter_id, appeal.entered_by_id))


@dataclass(frozen=True)
class Step:
    """One timeline row as the reader may read it."""

    at: object
    action: str
    from_status: str
    to_status: str
    note: str
    internal: bool
    organisation: str | None
    data: dict
    actor: str | None  # who did it, where the reader may know; None otherwise or for the system
    who: str           # how the page names the actor: a name, 我, 工作人员, 其他居民 or 系统


def _free_text(field):
    """One of the appeal's free-text fields, as the reader may read it (AppealView.text)."""
    return property(lambda view: view.text(getattr(view.appeal, field)))


class AppealView:
    """One appeal as one reader may see it."""

    def __init__(self, appeal, reader):
        self.appeal = appeal
        self.reader = reader

    @property
    def pk(self):
        return self.appeal.pk

    @property
    def staff(self):
        """Reads it as staff: who did what, the routing, the people behind it."""
        return self.reader.staff

    def text(self, value):
        """Free text of this appeal as the reader may read it."""
        return (value or "") if self.reader.reads_as_written else redact_identifiers(value)

    title = _free_text("title")
    description = _free_text("description")
    address = _free_text("address")
    public_reply = _free_text("public_reply")
    rating_comment = _free_text("rating_comment")

    # ---- the people behind it and the desk's routing: the staff's ----------------------------------

    @property
    def reporter_name(self):
        """Who the appeal is from: the reporting user, else the caller or visitor staff entered it for."""
        if not self.staff:
            return ""
        a = self.appeal
        return str(a.reporter) if a.reporter_id else a.contact_name

    @property
    def entered_by_name(self):
        """Who entered it, when not its reporter (a hotline call, a walk-in, a patrol)."""
        a = self.appeal
        return str(a.entered_by) if self.staff and a.entered_by_id and a.entered_by_id != a.reporter_id else ""

    @property
    def contact_name(self):
        return self.appeal.contact_name if self.staff else ""

    @property
    def contact_phone_masked(self):
        return self.appeal.contact_phone_masked if self.staff else ""

    @property
    def may_reveal_contact(self):
        from .services import may_reveal_contact

        return self.reader.user_id is not None and may_reveal_contact(None, self.appeal, self.reader.parties)

    @property
    def routing_note(self):
        """Why it was routed as it was, in the reader's language where the appeal kept the reasons."""
        if not self.staff:
            return ""
        parts = self.appeal.routing_parts
        return self.text(note_text(parts) if parts else self.appeal.routing_note)

    @property
    def sees_point(self):
        """May the reader see where the reporter's point is: those over it or working it, its reporter and its
        author; a public appeal's point is public (Open311 publishes it). Nobody else: a point can be a home."""
        a = self.appeal
        if a.lat is None or a.lng is None:
            return False
        return self.staff or self.reader.reads_as_written or a.is_public

    @property
    def point(self):
        """(lat, lng) of the reporter's point for a reader who may see it (sees_point), else None."""
        return (self.appeal.lat, self.appeal.lng) if self.sees_point else None

    @property
    def located(self):
        """Where a point the reporter gave lies, in words (inside a compound, or how far from the nearest one) in
        the reader's language; the coordinates only for an appeal that did not keep the reason."""
        a = self.appeal
        if not self.sees_point:
            return ""
        place = [part for part in (a.routing_parts or []) if part[0] in ("inside", "nearest")]
        return note_text(place) if place else f"{a.lat}, {a.lng}"

    @property
    def suggested_handler(self):
        return self.appeal.suggested_handler if self.staff and self.appeal.suggested_handler_id else None

    @property
    def suggested_handler_id(self):
        return self.appeal.suggested_handler_id if self.staff else None

    @property
    def escalation_level(self):
        return self.appeal.escalation_level if self.staff else ""

    def escalation_level_display(self):
        return self.appeal.get_escalation_level_display() if self.staff else ""

    # ---- what the reader may do, and the record of what was done ----------------------------------

    @property
    def actions(self):
        return wf.allowed_actions(self.appeal.status, self.reader.parties)

    def whistle_calls(self):
        """Departments called by a whistle and their reports: the staff's."""
        if not self.staff:
            return []
        calls = WhistleCall.objects.filter(appeal=self.appeal).select_related("department").order_by("id")
        return [{"department": c.department.name, "report": self.text(c.report), "reported_at": c.reported_at}
                for c in calls]

    def timeline(self):
        """The timeline rows the reader may read, as they may read them.

        Internal notes stay with those who work the appeal. A reporter reading as such sees every
        step but not the staff's coordination: a row's note only where workflow.reporter_sees_note
        allows it (the answers, not why it was returned, held or extended, nor supervision and
        whistles), its data only the keys in workflow.REPORTER_DATA, and nobody else's identity.
        """
        events = AppealEvent.objects.filter(appeal=self.appeal).select_related("actor", "organisation")
        if not self.reader.works_it:
            events = events.filter(internal=False)
        return [self._step(e) for e in events]

    def _step(self, e):
        mine = e.actor_id is not None and e.actor_id == self.reader.user_id
        if self.staff:
            actor = str(e.actor) if e.actor_id else None
            note, data, who = e.note, e.data or {}, actor or _("系统")
        else:
            actor = str(e.actor) if mine else None
            note = e.note if wf.reporter_sees_note(e.action, e.internal) else ""
            data = {k: v for k, v in (e.data or {}).items() if k in wf.REPORTER_DATA}
            who = (_("系统") if e.actor_id is None else _("我") if mine
                   else _("其他居民") if e.action == "me_too" else _("工作人员"))
        return Step(at=e.at, action=e.action, from_status=e.from_status, to_status=e.to_status,
                    note=self.text(note), internal=e.internal,
                    organisation=e.organisation.name if e.organisation_id else None, data=data, actor=actor, who=who)


def view_of(user, appeal):
    return AppealView(appeal, reader(user, appeal))


def public_view(appeal):
    """The appeal as anyone may read it: its public facts, its free text masked, nothing about people."""
    return AppealView(appeal, NOBODY)


def views_of(user, appeals):
    """Each appeal of a list as the user may see it: the whistle calls read once for the whole list."""
    appeals = list(appeals)
    if user is None or not getattr(user, "is_authenticated", False):
        return [public_view(a) for a in appeals]
    orgs = acting_org_ids(user)
    called = {}
    if orgs and appeals:
        rows = WhistleCall.objects.filter(appeal_id__in=[a.pk for a in appeals], department_id__in=orgs)
        for appeal_id, department_id in rows.values_list("appeal_id", "department_id"):
            called.setdefault(appeal_id, set()).add(department_id)
    return [AppealView(a, reader(user, a, called=called.get(a.pk, set()))) for a in appeals]
