"""Writes of sign-up: a resident signs up (their mobile proved by a code), the grid confirms or refuses."""
import secrets

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.codes import code_error, code_request, code_take
from gongzhi.accounts.models import CodePurpose, Role, RoleAssignment, User
from gongzhi.accounts.policy import require
from gongzhi.core.audit import audit
from gongzhi.core.errors import Conflict as CoreConflict
from gongzhi.core.identity import validate_mobile
from gongzhi.core.models import AuditAction
from gongzhi.grid.models import Household
from gongzhi.people.models import Relation, Resident

from .capability import SIGNUP_REVIEW
from .models import SignupRequest, SignupStatus

NAME_MAX = 50
REASON_MAX = 200


class Conflict(CoreConflict):
    """Someone else decided it first."""


def signup_code(*, mobile, request=None):
    """Text a sign-up code to the number (or, when it has an account, a note saying so): the same answer either
    way (gongzhi.accounts.codes)."""
    code_request(purpose=CodePurpose.SIGNUP, mobile=mobile, request=request)


def _new_username():
    # Nothing personal in it: the person signs in with their mobile number; this is the account's handle.
    return f"u{secrets.token_hex(5)}"


def _clean_name(name):
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": [_("请填写姓名")]})
    if len(name) > NAME_MAX or any(ch.isdigit() for ch in name):
        raise ValidationError({"name": [_("姓名应为不超过50个字的文字，不含数字")]})
    return name


def signup_submit(*, mobile, code, name, password, household, request=None):
    """A new account with the applicant role over the household it claims, and its sign-up request, pending.

    Everything is checked before the code is spent. A number with an account never has a live sign-up code,
    so it reads as a wrong code, like any other. Returns the SignupRequest."""
    errors = {}
    try:
        mobile = validate_mobile(mobile or "")
    except ValidationError as e:
        errors["mobile"] = e.messages
    try:
        name = _clean_name(name)
    except ValidationError as e:
        errors.update(e.message_dict)
    home = Household.objects.select_related("building__compound").filter(pk=household).first() \
        if str(household or "").isdigit() else None
    if home is None:
        errors["household"] = [_("请选择您家所在的房号")]
    if not password:
        errors["password"] = [_("请设置密码")]
    else:
        try:
            password_validation.validate_password(password, User(display_name=name if "name" not in errors else ""))
        except ValidationError as e:
            errors["password"] = e.messages
    if not (code or "").strip():
        errors["code"] = [_("请输入验证码")]
    if errors:
        raise ValidationError(errors)
    if not code_take(purpose=CodePurpose.SIGNUP, mobile=mobile, code=code):
        raise ValidationError({"code": [code_error()]})
    try:
        with transaction.atomic():
            user = User(username=_new_username(), display_name=name)
            user.set_phone(mobile)
            user.set_password(password)
            user.save()
            ra = RoleAssignment(user=user, role=Role.APPLICANT)
            ra.set_node(home)
            ra.save()
            signup = SignupRequest.objects.create(user=user, name=name, household=home, building=home.building,
                                                  compound=home.building.compound)
            audit(AuditAction.CREATE, user=user, obj=signup, detail="submit", request=request,
                  changes={"status": [None, SignupStatus.PENDING], "household": [None, home.pk]})
    except IntegrityError as e:  # the number taken by another sign-up between the code and now
        raise ValidationError({"code": [code_error()]}) from e
    return signup


def _locked_pending(user, signup):
    locked = SignupRequest.objects.select_for_update(of=("self",)).select_related("user", "household__building__compound") \
        .get(pk=signup.pk)
    require(user, SIGNUP_REVIEW, locked)
    if locked.status != SignupStatus.PENDING:
        raise Conflict(_("该申请已由他人处理，请刷新查看。"))
    return locked


@transaction.atomic
def signup_confirm(*, user, signup, resident=None, relation=Relation.OTHER, request=None):
    """Confirm that the applicant lives in the household they claimed: link their account to that household's
    registered resident `resident` (an id), or register them there as a new resident (`relation` to the head).
    From then on they hold the resident role over the household, not the applicant's. 404 outside the
    reviewer's scope; Conflict when decided already."""
    signup = _locked_pending(user, signup)
    household = signup.household
    if resident:
        person = Resident.objects.select_for_update().filter(pk=resident, household=household).first() \
            if str(resident).isdigit() else None
        if person is None:
            raise ValidationError({"resident": [_("请从该户已登记的居民中选择")]})
        if User.objects.filter(resident=person).exists():
            raise ValidationError({"resident": [_("该居民已关联其他账号")]})
        created = False
    else:
        if relation not in Relation.values:
            raise ValidationError({"relation": [_("请选择与户主关系")]})
        person = Resident(name=signup.name, household=household, relation=relation)
        person.set_phone(signup.user.phone_clear())
        person.save()
        created = True
        audit(AuditAction.CREATE, user=user, obj=person, detail="signup confirmed", request=request,
              changes={"household": [None, household.pk], "relation": [None, relation]})
    applicant = signup.user
    applicant.resident = person
    applicant.save(update_fields=["resident"])
    RoleAssignment.objects.filter(user=applicant, role=Role.APPLICANT).delete()
    ra = RoleAssignment(user=applicant, role=Role.RESIDENT)
    ra.set_node(household)
    ra.save()
    signup.status, signup.resident = SignupStatus.CONFIRMED, person
    signup.decided_by, signup.decided_at = user, timezone.now()
    signup.save(update_fields=["status", "resident", "decided_by", "decided_at"])
    audit(AuditAction.UPDATE, user=user, obj=signup, detail="confirm", request=request,
          changes={"status": [SignupStatus.PENDING, SignupStatus.CONFIRMED], "resident": [None, person.pk],
                   "resident_created": created})
    return signup


@transaction.atomic
def signup_refuse(*, user, signup, reason, request=None):
    """Refuse a sign-up with a reason the applicant reads. The account loses the applicant role: it no longer
    speaks for that household. 404 outside the reviewer's scope; Conflict when decided already."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("请填写未通过的原因")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("原因不能超过200个字")]})
    signup = _locked_pending(user, signup)
    RoleAssignment.objects.filter(user=signup.user, role=Role.APPLICANT).delete()
    signup.status, signup.reason = SignupStatus.REFUSED, reason
    signup.decided_by, signup.decided_at = user, timezone.now()
    signup.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit(AuditAction.UPDATE, user=user, obj=signup, detail="refuse", request=request,
          changes={"status": [SignupStatus.PENDING, SignupStatus.REFUSED], "reason": reason})
    return signup


def phone_matches(signup, resident):
    """Does a registered resident's number equal the applicant's? (Compared by digest, shown as a mark.)"""
    return bool(resident.phone_hash) and resident.phone_hash == signup.user.phone_hash

