"""Registration conflicts: an ID number typed into a registration that someone else already holds.

Telling the user "this number is registered to another resident" would tell
them that the person exists, and (by the masked number they can see) often
who it is: a way to recover numbers and to learn who lives where outside
their scope. So when the holder is someone the user may not find by ID
number, they get one neutral answer, whatever and wherever the holder is
(NEUTRAL_MESSAGE), and the case goes to the people who may see both ends:
the community workers and sub-district admins whose FIND_BY_ID scope holds
the household and the holder (selectors.registration_conflicts_for). They
move the holder to the household (through the usual audited resident_update)
or dismiss the case. Every step is audited; the registration itself counts as
an identifier lookup (people.lookup).
"""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import can, deny
from .capability import FIND_BY_ID
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from .models import ConflictStatus, RegistrationConflict

DECISIONS = {"move": ConflictStatus.MOVED, "dismiss": ConflictStatus.DISMISSED}
NOTE_MAX = 500


def neutral_message():
    return _("该证件号码需社区核实后登记，已转社区工作人员处理")


def may_resolve(user, conflict):
    """Both ends in the user's FIND_BY_ID scope: the household tried and the resident who holds the number."""
    return can(user, FIND_BY_ID, conflict) and can(user, FIND_BY_ID, conflict.existing)


@transaction.atomic
def registration_conflict_record(*, user, household, name, relation, id_number_hash, existing, subject=None):
    """Route a registration the user may not complete to the community. The same attempt again adds nothing."""
    same = RegistrationConflict.objects.filter(created_by=user, household=household, subject=subject,
                                               id_number_hash=id_number_hash, status=ConflictStatus.PENDING).first()
    if same is not None:
        return same
    conflict = RegistrationConflict.objects.create(created_by=user, household=household, name=name, relation=relation,
                                                   subject=subject, id_number_hash=id_number_hash, existing=existing)
    audit(AuditAction.CREATE, user=user, obj=conflict,
          changes={"household": household.pk, "name": name, "subject": subject.pk if subject else None,
                   "existing": existing.pk, "term_hash": id_number_hash})
    return conflict


@transaction.atomic
def registration_conflict_resolve(*, user, conflict, decision, note=""):
    """Move the holder of the number to the household tried ("move"), or close the case ("dismiss")."""
    from .services import resident_update  # services records conflicts, so it is imported here, not above

    conflict = RegistrationConflict.objects.select_for_update(of=("self",)).select_related(
        "household__building__compound__community", "existing__household__building__compound__community",
    ).get(pk=conflict.pk)
    if not may_resolve(user, conflict):
        deny(user, FIND_BY_ID, conflict)
        raise Http404
    note = (note or "").strip()
    errors = {}
    if decision not in DECISIONS:
        errors["decision"] = [_("处理方式只能是迁入（move）或驳回（dismiss）")]
    elif conflict.status != ConflictStatus.PENDING:
        errors["decision"] = [_("该登记核实已处理")]
    elif decision == "move" and conflict.subject_id:
        errors["decision"] = [_("这是修改已有居民的证件号码引起的核实，不能直接迁入；请核对两条居民记录后驳回")]
    if len(note) > NOTE_MAX:
        errors["note"] = [_("处理说明不能超过500个字")]
    if errors:
        raise ValidationError(errors)
    if decision == "move":
        resident_update(user=user, resident=conflict.existing, household=conflict.household,
                        relation=conflict.relation)
    before = conflict.status
    conflict.status = DECISIONS[decision]
    conflict.resolved_by, conflict.resolved_at, conflict.resolution_note = user, timezone.now(), note
    conflict.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note"])
    audit(AuditAction.UPDATE, user=user, obj=conflict,
          changes={"status": [before, conflict.status], "resolution_note": note})
    return conflict
