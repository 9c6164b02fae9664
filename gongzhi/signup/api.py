"""Sign-up over the JSON API: the public two steps and the chooser, the reviewers' list and decision, the
applicant's own state. The same services and selectors as the pages."""
import datetime

from django.http import HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from gongzhi.accounts.api import MobileIn, SentOut, too_many
from gongzhi.accounts.codes import TooMany
from gongzhi.accounts.policy import get_or_404
from gongzhi.api.base import ErrorOut, Id, Text
from gongzhi.api.throttles import LoginThrottle
from gongzhi.people.models import Relation

from . import selectors, services
from .capability import SIGNUP_REVIEW
from .models import SignupRequest, SignupStatus
from .views import neutral_sent

router = Router(tags=["sign-up"])


class SignupIn(Schema):
    mobile: Text
    code: Text
    name: Text
    password: Text
    household: Id


class PlaceOut(Schema):
    id: int
    name: str


class SignupOut(Schema):
    id: int
    status: str
    status_label: str
    household: int
    address: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None
    reason: str


class ApplicantOut(SignupOut):
    username: str


class ResidentRowOut(Schema):
    id: int
    name: str
    relation: str
    phone_masked: str
    same_phone: bool
    has_account: bool


class ReviewOut(SignupOut):
    name: str
    phone_masked: str
    compound: str
    residents: list[ResidentRowOut] | None = None


class ConfirmIn(Schema):
    resident: Id | None = None  # a registered resident of the household; none: register them there
    relation: Relation = Relation.OTHER


class RefuseIn(Schema):
    reason: Text


def _out(s):
    return {"id": s.pk, "status": s.status, "status_label": s.get_status_display(), "household": s.household_id,
            "address": s.household.address if s.household_id else "", "created_at": s.created_at,
            "decided_at": s.decided_at, "reason": s.reason}


def _review_out(user, s, with_residents=False):
    out = {**_out(s), "name": s.name, "phone_masked": s.user.phone_masked, "compound": s.compound.name}
    if with_residents:
        out["residents"] = [{"id": r.pk, "name": r.name, "relation": r.relation, "phone_masked": r.phone_masked,
                             "same_phone": services.phone_matches(s, r),
                             "has_account": getattr(r, "account", None) is not None}
                            for r in selectors.household_residents(user, s)]
    return out


@router.post("/signup/code", auth=None, throttle=LoginThrottle(), response={202: SentOut, 400: ErrorOut, 429: ErrorOut},
             summary="Text a sign-up code to a mobile number (the same answer whether it has an account)")
def signup_code(request, response: HttpResponse, payload: MobileIn):
    try:
        services.signup_code(mobile=payload.mobile, request=request)
    except TooMany as exc:
        return too_many(exc, response)
    return Status(202, {"detail": neutral_sent()})


@router.post("/signup", auth=None, throttle=LoginThrottle(), response={201: ApplicantOut, 400: ErrorOut},
             summary="Sign up as a resident of a household; the account waits for the grid to confirm it",
             description="Sign in afterwards with POST /auth/token (the mobile number and password).")
def signup(request, payload: SignupIn):
    s = services.signup_submit(mobile=payload.mobile, code=payload.code, name=payload.name,
                               password=payload.password, household=payload.household, request=request)
    return Status(201, {**_out(s), "username": s.user.username})


@router.get("/signup/places", auth=None, response=list[PlaceOut],
            summary="The sign-up chooser: every compound; a compound's buildings; a building's rooms")
def places(request, compound: Id | None = None, building: Id | None = None):
    if building is not None:
        return [{"id": h.pk, "name": h.code} for h in selectors.households(building)]
    if compound is not None:
        return [{"id": b.pk, "name": b.name} for b in selectors.buildings(compound)]
    return [{"id": k.pk, "name": f"{k.community.name} · {k.name}"} for k in selectors.compounds()]


@router.get("/signup/mine", response={200: SignupOut, 404: ErrorOut}, summary="Your own latest sign-up")
def mine(request):
    s = selectors.latest_of(request.auth)
    if s is None:
        raise HttpError(404, "未找到 / not found")
    return _out(s)


@router.get("/signups", response=list[ReviewOut],
            summary="Sign-ups you may review (pending by default), oldest first, at most 200")
def review_list(request, status: SignupStatus = SignupStatus.PENDING):
    return [_review_out(request.auth, s) for s in selectors.to_review(request.auth, status)[:200]]


def _get(request, pk):
    return get_or_404(request.auth, SIGNUP_REVIEW, SignupRequest.objects.select_related(*selectors.RELATED), pk=pk)


@router.get("/signups/{pk}", response={200: ReviewOut, 404: ErrorOut},
            summary="One sign-up and the registered residents of its household, to compare")
def review_detail(request, pk: Id):
    return _review_out(request.auth, _get(request, pk), with_residents=True)


def _decided(request, fn, **kw):
    s = _get(request, kw.pop("pk"))
    try:
        s = fn(user=request.auth, signup=s, request=request, **kw)
    except services.Conflict as exc:
        return Status(409, {"detail": exc.message})
    return Status(200, _review_out(request.auth, s))


@router.post("/signups/{pk}/confirm", response={200: ReviewOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Confirm: link to a registered resident of the household, or register them there")
def confirm(request, pk: Id, payload: ConfirmIn):
    return _decided(request, services.signup_confirm, pk=pk, resident=payload.resident, relation=payload.relation)


@router.post("/signups/{pk}/refuse", response={200: ReviewOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Refuse, with a reason the applicant reads")
def refuse(request, pk: Id, payload: RefuseIn):
    return _decided(request, services.signup_refuse, pk=pk, reason=payload.reason)
