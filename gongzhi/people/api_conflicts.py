"""Registration conflicts over JSON (people.conflicts): the community's queue of ID numbers to check.

A conflict is listed to the users whose FIND_BY_ID scope holds both the
household a number was typed for and the resident who holds it; anyone else
gets an empty list and 404s.
"""
from datetime import datetime

from ninja import Router, Schema

from gongzhi.api.base import ErrorOut, Id, Page, Text, paginate

from . import conflicts, selectors
from .models import ConflictStatus

router = Router()


class ConflictHouseholdOut(Schema):
    id: int
    code: str
    address: str
    compound_name: str


class ConflictHolderOut(Schema):
    id: int
    name: str
    id_number_masked: str
    household: ConflictHouseholdOut | None = None


class ConflictOut(Schema):
    id: int
    status: str
    status_label: str
    created_at: datetime
    created_by: str | None = None
    household: ConflictHouseholdOut
    name: str
    relation: str
    relation_label: str
    subject_id: int | None = None
    existing: ConflictHolderOut
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    resolution_note: str


class ConflictResolveIn(Schema):
    decision: Text
    note: Text = ""


def _household(h):
    if h is None:
        return None
    return {"id": h.pk, "code": h.code, "address": h.address, "compound_name": h.building.compound.name}


def render_conflict(c):
    holder = c.existing
    return {
        "id": c.pk, "status": c.status, "status_label": c.get_status_display(), "created_at": c.created_at,
        "created_by": c.created_by.username if c.created_by else None, "household": _household(c.household),
        "name": c.name, "relation": c.relation, "relation_label": c.get_relation_display(), "subject_id": c.subject_id,
        "existing": {"id": holder.pk, "name": holder.name, "id_number_masked": holder.id_number_masked,
                     "household": _household(holder.household)},
        "resolved_by": c.resolved_by.username if c.resolved_by else None, "resolved_at": c.resolved_at,
        "resolution_note": c.resolution_note,
    }


@router.get("/registration-conflicts", response=Page[ConflictOut],
            summary="ID numbers typed into registrations that someone else holds, for the community to check")
def conflict_list(request, status: Text = ConflictStatus.PENDING.value, limit: int = 50, offset: int = 0):
    """status: pending (the default), moved, dismissed, or empty for all."""
    page = paginate(selectors.registration_conflicts_for(request.user, status=status or None), limit, offset)
    page["items"] = [render_conflict(c) for c in page["items"]]
    return page


@router.get("/registration-conflicts/{pk}", response={200: ConflictOut, 404: ErrorOut})
def conflict_detail(request, pk: Id):
    return render_conflict(selectors.registration_conflict_or_404(request.user, pk))


@router.post("/registration-conflicts/{pk}/resolve", response={200: ConflictOut, 400: ErrorOut, 404: ErrorOut},
             summary="move: the holder of the number joins the household tried (audited resident update); "
                     "dismiss: close the case. Both audited.")
def conflict_resolve(request, pk: Id, payload: ConflictResolveIn):
    conflict = selectors.registration_conflict_or_404(request.user, pk)
    conflicts.registration_conflict_resolve(user=request.user, conflict=conflict, decision=payload.decision,
                                            note=payload.note)
    return render_conflict(selectors.registration_conflict_or_404(request.user, pk))
