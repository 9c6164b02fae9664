"""The three lists over the JSON API: the same services and selectors as the pages, under the same policy.
Bad input answers 400 with the field at fault, a record someone changed first (or a full project) 409, a
record out of reach 404."""
import datetime
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.urls import reverse
from ninja import File, Router, Schema, UploadedFile
from ninja.responses import Status

from gongzhi.accounts.policy import get_or_404, scoped
from gongzhi.api.base import ErrorOut, Id, Page, Text, paginate

from . import documents, matching, selectors, services
from .capability import NEED_VIEW, PROJECT_VIEW, REGISTRATION_REVIEW, REGISTRATION_VIEW, SERVICE_VIEW
from .models import Need, Project, Registration, ServiceRecord

router = Router(tags=["three lists"])
Number = int | float | Text  # read by the service, which explains what is wrong with it in words


class NeedIn(Schema):
    title: Text
    category: Text
    compound: Id
    wanted_from: Text
    wanted_to: Text
    people: Number = 1
    description: Text = ""


class NeedOut(Schema):
    id: int
    title: str
    description: str
    category: str
    category_label: str
    compound: int
    compound_name: str
    wanted_from: datetime.date
    wanted_to: datetime.date
    people: int
    status: str
    status_label: str
    project: int | None
    reason: str
    version: int
    created_at: datetime.datetime


def need_out(n):
    return {"id": n.pk, "title": n.title, "description": n.description, "category": n.topic,
            "category_label": n.get_topic_display(), "compound": n.compound_id, "compound_name": n.compound.name,
            "wanted_from": n.wanted_from, "wanted_to": n.wanted_to, "people": n.people, "status": n.status,
            "status_label": n.get_status_display(), "project": n.project_id, "reason": n.reason,
            "version": n.version, "created_at": n.created_at}


class DeclineIn(Schema):
    reason: Text
    version: int | None = None


class ProjectIn(Schema):
    needs: list[Id]
    title: Text
    mode: Text
    places: Number = 1
    kind: Text = "one_off"
    starts_on: Text = ""
    ends_on: Text = ""
    description: Text = ""
    providers: list[Id] = []
    units: list[Id] = []


class ProjectOut(Schema):
    id: int
    title: str
    description: str
    category: str
    category_label: str
    kind: str
    mode: str
    mode_label: str
    places: int
    taken: int
    status: str
    status_label: str
    compound: int
    compound_name: str
    starts_on: datetime.date
    ends_on: datetime.date
    version: int


def project_out(p):
    return {"id": p.pk, "title": p.title, "description": p.description, "category": p.topic,
            "category_label": p.get_topic_display(), "kind": p.kind, "mode": p.mode, "mode_label": p.get_mode_display(),
            "places": p.places, "taken": p.taken, "status": p.status, "status_label": p.get_status_display(),
            "compound": p.compound_id, "compound_name": p.compound.name, "starts_on": p.starts_on,
            "ends_on": p.ends_on, "version": p.version}


class RegistrationIn(Schema):
    kind: Text
    compound: Id
    organisation: Id | None = None
    work_unit: Text = ""
    party_branch: Text = ""
    skills: list[Text] = []
    weekly_hours: Number = 0
    resources_note: Text = ""


class RegistrationOut(Schema):
    id: int
    kind: str
    kind_label: str
    compound: int
    compound_name: str
    organisation: int | None
    organisation_name: str
    work_unit: str
    party_branch: str
    skills: list[str]
    weekly_hours: int
    commitment_hours: Decimal
    status: str
    status_label: str
    reason: str


def registration_out(r):
    return {"id": r.pk, "kind": r.kind, "kind_label": r.get_kind_display(), "compound": r.compound_id,
            "compound_name": r.compound.name, "organisation": r.organisation_id,
            "organisation_name": r.organisation.name if r.organisation_id else "", "work_unit": r.work_unit,
            "party_branch": r.party_branch, "skills": r.skill_list(), "weekly_hours": r.weekly_hours,
            "commitment_hours": r.commitment_hours, "status": r.status, "status_label": r.get_status_display(),
            "reason": r.reason}


class DecideIn(Schema):
    confirm: bool
    reason: Text = ""
    commitment_hours: Number | None = None


class ResourceIn(Schema):
    title: Text
    kind: Text
    category: Text
    provider_kind: Text
    compound: Id
    capacity: Number = 1
    organisation: Id | None = None
    available_from: Text = ""
    available_to: Text = ""


class ResourceOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    category: str
    provider_kind: str
    compound: int
    compound_name: str
    capacity: int
    available_from: datetime.date | None
    available_to: datetime.date | None


def resource_out(r):
    return {"id": r.pk, "title": r.title, "kind": r.kind, "kind_label": r.get_kind_display(), "category": r.topic,
            "provider_kind": r.provider_kind, "compound": r.compound_id, "compound_name": r.compound.name,
            "capacity": r.capacity, "available_from": r.available_from, "available_to": r.available_to}


class ServiceIn(Schema):
    served_on: Text
    hours: Number
    people_served: Number = 1
    note: Text = ""
    organisation: Id | None = None


class ServicePhotoOut(Schema):
    id: int
    url: str
    thumbnail_url: str


class ServiceOut(Schema):
    id: int
    project: int
    project_title: str
    served_on: datetime.date
    hours: Decimal
    people_served: int
    note: str
    status: str
    status_label: str
    version: int
    photos: list[ServicePhotoOut]


def service_out(s):
    return {"id": s.pk, "project": s.project_id, "project_title": s.project.title, "served_on": s.served_on,
            "hours": s.hours, "people_served": s.people_served, "note": s.note, "status": s.status,
            "status_label": s.get_status_display(), "version": s.version,
            "photos": [{"id": ph.pk, "url": reverse("lists:service_photo", args=[s.pk, ph.pk, "full"]),
                        "thumbnail_url": reverse("lists:service_photo", args=[s.pk, ph.pk, "thumb"])}
                       for ph in s.photos.all()]}


class RateIn(Schema):
    rating: int
    comment: Text = ""


class RecordVersionIn(Schema):
    version: int | None = None


class CorrectIn(Schema):
    entry: int
    reason: Text


class LedgerOut(Schema):
    id: int
    year: int
    hours: Decimal
    points: int
    service: int | None
    reverses: int | None
    reason: str
    at: datetime.datetime


def ledger_out(e):
    return {"id": e.pk, "year": e.year, "hours": e.hours, "points": e.points, "service": e.service_id,
            "reverses": e.reverses_id, "reason": e.reason, "at": e.at}


class UnitHoursOut(Schema):
    organisation: int
    name: str
    hours: Decimal


class HoursOut(Schema):
    year: int
    hours: Decimal
    points: int
    commitment: Decimal | None
    units: list[UnitHoursOut]


class SuggestionOut(Schema):
    kind: str
    id: int
    name: str
    compound_name: str
    score: int
    reasons: list[str]


def _conflict(exc):
    return Status(409, {"detail": exc.message})


# ---- needs ----

@router.get("/needs", response=Page[NeedOut], summary="Needs you may read (yours, or your area's)")
def list_needs(request, status: str = "", mine: bool = False, limit: int = 50, offset: int = 0):
    qs = selectors.my_needs(request.user) if mine else selectors.needs(request.user)
    if status:
        qs = qs.filter(status=status)
    page = paginate(qs, limit, offset)
    return {"count": page["count"], "items": [need_out(n) for n in page["items"]]}


@router.post("/needs", response={201: NeedOut, 400: ErrorOut}, summary="Post a need (点单)")
def post_need(request, payload: NeedIn):
    need = services.need_post(user=request.user, request=request, **payload.dict())
    return Status(201, need_out(need))


@router.get("/needs/{pk}", response={200: NeedOut, 404: ErrorOut})
def get_need(request, pk: int):
    return need_out(get_or_404(request.user, NEED_VIEW, Need.objects.select_related("compound"), pk=pk))


@router.post("/needs/{pk}/decline", response={200: NeedOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def decline_need(request, pk: int, payload: DeclineIn):
    try:
        need = services.need_decline(user=request.user, need=pk, reason=payload.reason, version=payload.version,
                                     request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return need_out(Need.objects.select_related("compound").get(pk=need.pk))


@router.get("/needs/{pk}/suggestions", response={200: list[SuggestionOut], 404: ErrorOut},
            summary="Resources and members suggested for a need, best first, with the reasons")
def need_suggestions(request, pk: int):
    need = get_or_404(request.user, "need.review", Need.objects.select_related("compound"), pk=pk)
    return [s.as_dict() for s in matching.suggest(request.user, need)]


# ---- projects ----

@router.get("/projects", response=Page[ProjectOut], summary="Projects: the area's, or (board=true) those you may take")
def list_projects(request, board: bool = False, mine: bool = False, status: str = "", limit: int = 50,
                  offset: int = 0):
    qs = selectors.take_board(request.user) if board else selectors.my_projects(request.user) if mine \
        else selectors.projects(request.user)
    if status:
        qs = qs.filter(status=status)
    page = paginate(qs, limit, offset)
    return {"count": page["count"], "items": [project_out(p) for p in page["items"]]}


@router.post("/projects", response={201: ProjectOut, 400: ErrorOut, 404: ErrorOut},
             summary="Make a project of needs: dispatch it (派单) or publish it for taking")
def create_project(request, payload: ProjectIn):
    project = services.project_create(user=request.user, request=request, **payload.dict())
    return Status(201, project_out(Project.objects.select_related("compound").get(pk=project.pk)))


class ProjectNeedOut(Schema):
    id: int
    title: str
    status: str
    status_label: str


class ProjectDetailOut(ProjectOut):
    needs: list[ProjectNeedOut]


@router.get("/projects/{pk}", response={200: ProjectDetailOut, 404: ErrorOut},
            summary="A project, with the needs it answers that the caller may read")
def get_project(request, pk: int):
    project = get_or_404(request.user, PROJECT_VIEW, Project.objects.select_related("compound"), pk=pk)
    # A taker sees the project, not every resident's request behind it: only the needs the caller may read.
    needs = scoped(request.user, NEED_VIEW, project.needs.all()).order_by("created_at", "pk")
    return {**project_out(project), "needs": [{"id": n.pk, "title": n.title, "status": n.status,
                                               "status_label": n.get_status_display()} for n in needs]}


@router.post("/projects/{pk}/take", response={200: ProjectOut, 404: ErrorOut, 409: ErrorOut},
             summary="Take a place on a published project (接单)")
def take_project(request, pk: int):
    try:
        services.project_take(user=request.user, project=pk, request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return project_out(Project.objects.select_related("compound").get(pk=pk))


@router.post("/projects/{pk}/services", response={201: ServiceOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Record a service done on a project you took")
def record_service(request, pk: int, payload: ServiceIn):
    try:
        service = services.service_record(user=request.user, project=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return Status(201, service_out(service))


@router.post("/services/{pk}/photos", response={201: ServiceOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Add a photo to a service you recorded (multipart field `photo`), until it is confirmed")
def add_service_photo(request, pk: int, photo: File[UploadedFile]):
    try:
        services.service_photo_add(user=request.user, service=pk, file=photo, request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return Status(201, service_out(ServiceRecord.objects.select_related("project").get(pk=pk)))


# ---- services ----

@router.get("/services", response=Page[ServiceOut], summary="Services you may read; to_rate=true: yours to rate")
def list_services(request, to_rate: bool = False, limit: int = 50, offset: int = 0):
    qs = (selectors.services_to_rate(request.user) if to_rate else selectors.services(request.user)) \
        .prefetch_related("photos")
    page = paginate(qs, limit, offset)
    return {"count": page["count"], "items": [service_out(s) for s in page["items"]]}


class TotalOut(Schema):
    name: str
    n: int
    hours: Decimal


class TotalsOut(Schema):
    year: int
    by_community: list[TotalOut]
    by_compound: list[TotalOut]


@router.get("/services/totals", response={200: TotalsOut, 400: ErrorOut},
            summary="Micro-services confirmed in a year (this one, or `year`) per community and per compound, in your area")
def service_totals(request, year: int = 0):
    if year and not 2000 <= year <= 2100:
        return Status(400, {"detail": _("年份应在2000到2100之间"), "field": "year"})
    year = year or timezone.localdate().year
    return {"year": year, "by_community": selectors.totals_by_community(request.user, year),
            "by_compound": selectors.totals_by_compound(request.user, year)}


@router.get("/services/{pk}", response={200: ServiceOut, 404: ErrorOut})
def get_service(request, pk: int):
    return service_out(get_or_404(request.user, SERVICE_VIEW, ServiceRecord.objects.select_related("project"), pk=pk))


@router.post("/services/{pk}/rating", response={200: ServiceOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Rate a service you received (评单), once")
def rate_service(request, pk: int, payload: RateIn):
    try:
        services.service_rate(user=request.user, service=pk, rating=payload.rating, comment=payload.comment,
                              request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return service_out(ServiceRecord.objects.select_related("project").get(pk=pk))


@router.post("/services/{pk}/confirm", response={200: ServiceOut, 404: ErrorOut, 409: ErrorOut},
             summary="Confirm a service: it enters the ledger")
def confirm_service(request, pk: int, payload: RecordVersionIn):
    try:
        services.service_confirm(user=request.user, service=pk, version=payload.version, request=request)
    except services.Conflict as exc:
        return _conflict(exc)
    return service_out(ServiceRecord.objects.select_related("project").get(pk=pk))


# ---- registrations and resources ----

@router.get("/registrations", response=Page[RegistrationOut], summary="双报到 registrations you may read")
def list_registrations(request, status: str = "", limit: int = 50, offset: int = 0):
    page = paginate(selectors.registrations(request.user, status=status or None), limit, offset)
    return {"count": page["count"], "items": [registration_out(r) for r in page["items"]]}


@router.post("/registrations", response={201: RegistrationOut, 400: ErrorOut},
             summary="Register as an in-service party member, or register the unit you act for")
def submit_registration(request, payload: RegistrationIn):
    reg = services.registration_submit(user=request.user, request=request, **payload.dict())
    return Status(201, registration_out(Registration.objects.select_related("compound", "organisation")
                                        .get(pk=reg.pk)))


@router.post("/registrations/{pk}/decision", response={200: RegistrationOut, 400: ErrorOut, 404: ErrorOut,
                                                       409: ErrorOut})
def decide_registration(request, pk: int, payload: DecideIn):
    get_or_404(request.user, REGISTRATION_REVIEW, Registration.objects.all(), pk=pk)
    try:
        reg = services.registration_decide(user=request.user, registration=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return registration_out(Registration.objects.select_related("compound", "organisation").get(pk=reg.pk))


class RatingIn(Schema):
    year: Number
    grade: Text
    comment: Text = ""


class RatingOut(Schema):
    registration: int
    year: int
    grade: str
    grade_label: str
    comment: str
    rated_at: datetime.datetime


def rating_out(r):
    return {"registration": r.registration_id, "year": r.year, "grade": r.grade, "grade_label": r.get_grade_display(),
            "comment": r.comment, "rated_at": r.rated_at}


@router.get("/registrations/{pk}/ratings", response={200: list[RatingOut], 404: ErrorOut},
            summary="A registration's yearly ratings")
def list_ratings(request, pk: int):
    reg = get_or_404(request.user, REGISTRATION_VIEW, Registration.objects.all(), pk=pk)
    return [rating_out(r) for r in reg.ratings.order_by("-year")]


@router.post("/registrations/{pk}/ratings", response={201: RatingOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Rate a confirmed registration for a year, once (the community)")
def rate_registration(request, pk: int, payload: RatingIn):
    try:
        rating = services.registration_rate(user=request.user, registration=pk, request=request, **payload.dict())
    except services.Conflict as exc:
        return _conflict(exc)
    return Status(201, rating_out(rating))


@router.get("/registrations/{pk}/ratings/{year}.pdf", response={404: ErrorOut},
            openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
            summary="The one-page PDF of a yearly rating, to send to the party organisation")
def rating_sheet(request, pk: int, year: int):
    reg = get_or_404(request.user, REGISTRATION_VIEW, Registration.objects.all(), pk=pk)
    rating = reg.ratings.select_related("registration__organisation", "registration__user",
                                        "registration__compound__community", "rated_by").filter(year=year).first()
    if rating is None:
        raise Http404
    return documents.pdf_response(documents.rating_pdf(user=request.user, rating=rating, request=request),
                                  f"gongzhi-rating-{year}.pdf")


@router.get("/resources", response=Page[ResourceOut], summary="The resources list")
def list_resources(request, limit: int = 50, offset: int = 0):
    page = paginate(selectors.resources(request.user), limit, offset)
    return {"count": page["count"], "items": [resource_out(r) for r in page["items"]]}


@router.post("/resources", response={201: ResourceOut, 400: ErrorOut}, summary="Offer a resource")
def offer_resource(request, payload: ResourceIn):
    data = payload.dict()
    data["available_from"] = data["available_from"] or None
    data["available_to"] = data["available_to"] or None
    res = services.resource_offer(user=request.user, request=request, **data)
    return Status(201, resource_out(res))


# ---- the ledger ----

@router.get("/ledger", response=Page[LedgerOut], summary="Ledger lines you may read (yours, your unit's, your area's)")
def list_ledger(request, limit: int = 50, offset: int = 0):
    page = paginate(selectors.ledger(request.user), limit, offset)
    return {"count": page["count"], "items": [ledger_out(e) for e in page["items"]]}


@router.post("/ledger/corrections", response={201: LedgerOut, 400: ErrorOut},
             summary="Reverse one ledger line (a new line of opposite sign)")
def correct_ledger(request, payload: CorrectIn):
    return Status(201, ledger_out(services.ledger_correct(user=request.user, entry=payload.entry,
                                                          reason=payload.reason, request=request)))


@router.get("/ledger/mine", response=HoursOut, summary="Your service hours and points this year (or `year`)")
def my_hours(request, year: int = 0):
    h = selectors.my_hours(request.user, year or timezone.localdate().year)
    return {**h, "units": [{"organisation": u["organisation"].pk, "name": u["organisation"].name,
                            "hours": u["hours"]} for u in h["units"]]}


@router.get("/ledger/mine/certificate.pdf",
            openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
            summary="Your certificate of volunteer service (PDF): every ledger line of yours, totals per year")
def my_certificate(request):
    return documents.pdf_response(documents.certificate_pdf(user=request.user, request=request),
                                  "gongzhi-certificate.pdf")
