"""What one person sees of a mediation record: decided here once, for the pages, the API and the notifications.

Only those the policy lets read the record see it at all (everyone else gets 404). Among them the parties' names and
phones stay masked until an audited reveal (services.mediation_reveal); lists and search show the number, the
compound, the type and the status, and no one's name.
"""
from gongzhi.accounts.policy import can

from .capability import MEDIATION_MANAGE, MEDIATION_WORK
from .models import MediationStatus

NEXT_STEPS = {
    MediationStatus.OPEN: ("session", "hand_over", "close"),
    MediationStatus.MEDIATING: ("session", "agree", "hand_over", "close"),
    MediationStatus.AGREED: ("follow_up", "close"),
    MediationStatus.HANDED_OVER: ("follow_up", "close"),
    MediationStatus.CLOSED: (),
}


def list_row(m):
    return {"id": m.pk, "number": m.number, "compound": m.compound_id, "compound_name": m.compound.name,
            "dispute_type": m.dispute_type, "dispute_type_label": m.get_dispute_type_display(),
            "status": m.status, "status_label": m.get_status_display(), "created_at": m.created_at,
            "follow_up_on": m.follow_up_on}


def detail(m, user, revealed=None):
    """The record as a reader sees it; `revealed` ({party id: {name, phone}}) replaces the masks after a reveal."""
    revealed = revealed or {}
    parties = []
    for p in m.parties.all():
        clear = revealed.get(p.pk)
        parties.append({"id": p.pk, "side": p.side, "side_label": p.get_side_display(),
                        "name": clear["name"] if clear else p.name_masked,
                        "phone": clear["phone"] if clear else p.phone_masked, "revealed": bool(clear)})
    work = can(user, MEDIATION_WORK, m)
    return {**list_row(m), "summary": m.summary, "household": m.household.address if m.household_id else "",
            "appeal": m.appeal_id, "parties": parties,
            "mediators": [x.user.get_full_name() or x.user.get_username() for x in m.mediators.all()],
            "sessions": [{"id": s.pk, "kind": s.kind, "kind_label": s.get_kind_display(), "held_on": s.held_on,
                          "attended": s.attended, "notes": s.notes,
                          "recorded_by": (s.recorded_by.get_full_name() or s.recorded_by.get_username())
                          if s.recorded_by_id else ""} for s in m.sessions.all()],
            "agreement": m.agreement, "agreed_on": m.agreed_on, "handed_to": m.handed_to,
            "handed_to_label": m.get_handed_to_display() if m.handed_to else "", "handover_reason": m.handover_reason,
            "handed_over_at": m.handed_over_at, "closing_note": m.closing_note, "closed_at": m.closed_at,
            "version": m.version, "steps": list(NEXT_STEPS[m.status]) if work else [],
            "may_manage": can(user, MEDIATION_MANAGE, m)}
