"""The three lists' pages: parse, call the services and selectors, render. Permissions come from the policy."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from gongzhi.accounts.policy import acting_org_ids, can, get_or_404, scoped
from gongzhi.core.forms import refusal_as_message
from gongzhi.core.images import serve_photo
from gongzhi.grid.models import Compound

from . import documents, matching, selectors, services
from .capability import (LEDGER_CORRECT, NEED_POST, NEED_REVIEW, NEED_VIEW, PROJECT_MANAGE, PROJECT_SERVE, PROJECT_TAKE,
                         PROJECT_VIEW, REGISTRATION_RATE, REGISTRATION_REVIEW, REGISTRATION_SUBMIT,
                         REGISTRATION_VIEW, RESOURCE_OFFER, RESOURCE_VIEW, SERVICE_CONFIRM, SERVICE_RATE,
                         SERVICE_VIEW)
from .models import (Category, Grade, Need, ProviderKind, Project, Rating, Registration, Resource, ResourceKind,
                     ServicePhoto, ServiceRecord, YearlyRating)


def _errors(exc):
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _compounds_for(user, action, model):
    """The compounds where the user may file a record of `model` under `action` (their own home first)."""
    out = []
    for k in Compound.objects.order_by("community_id", "code"):
        probe = model(compound=k)
        services._place_for(user, probe, k)
        if can(user, action, probe):
            out.append(k)
    return out


@login_required
def index(request):
    u = request.user
    return render(request, "lists/index.html", {
        "may_post": can(u, NEED_POST), "may_review": can(u, NEED_REVIEW), "may_take": can(u, PROJECT_TAKE),
        "may_register": can(u, REGISTRATION_SUBMIT), "may_review_registrations": can(u, REGISTRATION_REVIEW),
        "may_offer": can(u, RESOURCE_OFFER) or can(u, RESOURCE_VIEW), "may_correct": can(u, LEDGER_CORRECT),
        "my_needs": selectors.my_needs(u)[:20], "to_rate": selectors.services_to_rate(u)[:20],
    })


@login_required
def need_new(request):
    if not can(request.user, NEED_POST):
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            need = services.need_post(user=request.user, request=request, title=data.get("title"),
                                      category=data.get("category"), compound=data.get("compound"),
                                      wanted_from=data.get("wanted_from"), wanted_to=data.get("wanted_to"),
                                      people=data.get("people") or 1, description=data.get("description", ""))
            messages.success(request, _("需求已提交，社区将尽快受理。"))
            return redirect("lists:need", pk=need.pk)
        except ValidationError as exc:
            errors = _errors(exc)
    today = timezone.localdate()
    return render(request, "lists/need_new.html", {
        "errors": errors, "data": data, "categories": Category.choices,
        "compounds": _compounds_for(request.user, NEED_POST, Need), "today": today.isoformat(),
        "later": (today + timezone.timedelta(days=14)).isoformat()}, status=400 if errors else 200)


@login_required
def needs_board(request):
    if not can(request.user, NEED_VIEW):
        raise Http404
    return render(request, "lists/needs.html", {
        "needs": selectors.needs_to_review(request.user)[:100], "may_review": can(request.user, NEED_REVIEW),
        "short": selectors.short_of_takers(request.user)[:50],
        "totals": [(_("按社区"), selectors.totals_by_community(request.user, timezone.localdate().year)),
                   (_("按小区"), selectors.totals_by_compound(request.user, timezone.localdate().year))]})


@login_required
def need_detail(request, pk):
    need = get_or_404(request.user, NEED_VIEW, Need.objects.select_related("compound", "project"), pk=pk)
    review = can(request.user, NEED_REVIEW, need)
    return render(request, "lists/need.html", {
        "need": need, "may_review": review and need.status == "open",
        "suggestions": matching.suggest(request.user, need) if review else [],
        "members": selectors.confirmed_members(request.user).select_related("user") if review else [],
        "units": selectors.confirmed_units(request.user).select_related("organisation") if review else []})


@login_required
@require_POST
def need_decline(request, pk):
    with refusal_as_message(request):
        services.need_decline(user=request.user, need=pk, reason=request.POST.get("reason"),
                              version=request.POST.get("version"), request=request)
        messages.success(request, _("已标记为不予采纳。"))
    return redirect("lists:need", pk=pk)


@login_required
@require_POST
def project_new(request):
    p = request.POST
    with refusal_as_message(request):
        project = services.project_create(
            user=request.user, request=request, needs=p.getlist("needs"), title=p.get("title"), mode=p.get("mode"),
            places=p.get("places") or 1, kind=p.get("kind") or "one_off", description=p.get("description", ""),
            providers=p.getlist("providers"), units=p.getlist("units"))
        messages.success(request, _("项目已创建。"))
        return redirect("lists:project", pk=project.pk)
    first = (p.getlist("needs") or [""])[0]
    return redirect("lists:need", pk=first) if str(first).isdigit() else redirect("lists:needs")


@login_required
def take_board(request):
    if not (can(request.user, PROJECT_TAKE) or can(request.user, PROJECT_SERVE)):
        raise Http404
    return render(request, "lists/board.html", {"board": selectors.take_board(request.user)[:100],
                                                "mine": selectors.my_projects(request.user)[:50]})


@login_required
def project_detail(request, pk):
    project = get_or_404(request.user, PROJECT_VIEW, Project.objects.select_related("compound"), pk=pk)
    u = request.user
    serve = can(u, PROJECT_SERVE, project)
    takes = list(project.takes.all())
    units = [t.organisation for t in project.takes.select_related("organisation")
             if t.organisation_id and t.organisation_id in acting_org_ids(u)] if serve else []
    return render(request, "lists/project.html", {
        "project": project, "may_take": can(u, PROJECT_TAKE, project) and project.status == "open"
        and project.taken < project.places and not any(t.user_id == u.pk for t in takes),
        "may_serve": serve, "units": units, "today": timezone.localdate().isoformat(),
        "services": scoped(u, SERVICE_VIEW, project.services.all()).order_by("-served_on", "-pk"),
        # Only the needs the user may read: a taker sees the project, not every resident's request behind it.
        "needs": scoped(u, NEED_VIEW, project.needs.all()).order_by("created_at", "pk"),
        "may_manage": can(u, PROJECT_MANAGE, project)})


@login_required
@require_POST
def project_take(request, pk):
    with refusal_as_message(request):
        services.project_take(user=request.user, project=pk, request=request)
        messages.success(request, _("接单成功。"))
    return redirect("lists:project", pk=pk)


@login_required
@require_POST
def service_new(request, pk):
    p = request.POST
    with refusal_as_message(request):
        service = services.service_record(user=request.user, project=pk, request=request,
                                          served_on=p.get("served_on"), hours=p.get("hours"),
                                          people_served=p.get("people_served") or 1, note=p.get("note", ""),
                                          organisation=p.get("organisation") or None,
                                          photos=request.FILES.getlist("photos"))
        messages.success(request, _("服务已记录，等待居民评价和社区确认。"))
        return redirect("lists:service", pk=service.pk)
    return redirect("lists:project", pk=pk)


@login_required
def service_detail(request, pk):
    service = get_or_404(request.user, SERVICE_VIEW, ServiceRecord.objects.select_related("project", "compound"),
                         pk=pk)
    row = selectors.served_row(service, request.user) if can(request.user, SERVICE_RATE, service) else None
    return render(request, "lists/service.html", {
        "service": service, "mine": row, "ratings": Rating.choices,
        # A resident who rates a service is not necessarily one who may open its project.
        "may_view_project": can(request.user, PROJECT_VIEW, service.project),
        "may_confirm": can(request.user, SERVICE_CONFIRM, service) and service.status == "recorded",
        "photos": list(service.photos.all()), "may_add_photo": service.provider_id == request.user.pk
        and service.status == "recorded", "max_photos": services.MAX_PHOTOS,
        "served": service.served.all() if can(request.user, SERVICE_CONFIRM, service) else []})


@login_required
@require_POST
def service_photo_add(request, pk):
    with refusal_as_message(request):
        services.service_photo_add(user=request.user, service=pk, file=request.FILES.get("photo"), request=request)
        messages.success(request, _("照片已上传。"))
    return redirect("lists:service", pk=pk)


@login_required
@require_safe
def service_photo(request, pk, photo, size):
    """A service's photo, to whoever may read the service (404 otherwise, like the service itself)."""
    service = get_or_404(request.user, SERVICE_VIEW, ServiceRecord.objects.all(), pk=pk)
    item = ServicePhoto.objects.filter(pk=photo, service=service).first()
    if item is None:
        raise Http404
    return serve_photo(item, size)


@login_required
@require_POST
def service_rate(request, pk):
    with refusal_as_message(request):
        services.service_rate(user=request.user, service=pk, rating=request.POST.get("rating"),
                              comment=request.POST.get("comment", ""), request=request)
        messages.success(request, _("感谢您的评价。"))
    return redirect("lists:service", pk=pk)


@login_required
@require_POST
def service_confirm(request, pk):
    with refusal_as_message(request):
        services.service_confirm(user=request.user, service=pk, version=request.POST.get("version"),
                                 request=request)
        messages.success(request, _("服务已确认，并计入服务台账。"))
    return redirect("lists:service", pk=pk)


@login_required
def my_hours(request):
    year = timezone.localdate().year
    return render(request, "lists/hours.html", {
        "hours": selectors.my_hours(request.user, year),
        "lines": selectors.ledger(request.user).filter(person=request.user)[:100]})


@login_required
def certificate(request):
    return documents.pdf_response(documents.certificate_pdf(user=request.user, request=request),
                                  "gongzhi-certificate.pdf")


@login_required
def registrations(request):
    u = request.user
    if not (can(u, REGISTRATION_SUBMIT) or can(u, REGISTRATION_REVIEW)):
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            services.registration_submit(user=u, request=request, kind=data.get("kind"), compound=data.get("compound"),
                                         organisation=data.get("organisation") or None,
                                         work_unit=data.get("work_unit", ""), party_branch=data.get("party_branch", ""),
                                         skills=data.getlist("skills"), weekly_hours=data.get("weekly_hours") or 0,
                                         resources_note=data.get("resources_note", ""))
            messages.success(request, _("报到登记已提交，等待社区确认。"))
            return redirect("lists:registrations")
        except ValidationError as exc:
            errors = _errors(exc)
    year = timezone.localdate().year
    review = can(u, REGISTRATION_REVIEW)
    return render(request, "lists/registrations.html", {
        "errors": errors, "data": data, "categories": Category.choices,
        "may_register": can(u, REGISTRATION_SUBMIT),
        "compounds": _compounds_for(u, REGISTRATION_SUBMIT, Registration) if can(u, REGISTRATION_SUBMIT) else [],
        "orgs": _acting_units(u), "mine": selectors.registrations(u).filter(user=u).prefetch_related("ratings"),
        "pending": selectors.registrations_to_review(u) if review else [],
        "commitments": selectors.commitments(u, year) if review else [], "year": year,
        "ratings": selectors.ratings_of(u, year) if can(u, REGISTRATION_RATE) else [], "grades": Grade.choices},
        status=400 if errors else 200)


def _acting_units(user):
    from gongzhi.orgs.models import Organisation, OrgKind

    return Organisation.objects.filter(pk__in=acting_org_ids(user), kind__in=[OrgKind.RESIDENT_UNIT,
                                                                              OrgKind.SOCIAL_ORG, OrgKind.UNIT_BRANCH])


@login_required
@require_POST
def registration_decide(request, pk):
    with refusal_as_message(request):
        services.registration_decide(user=request.user, registration=pk, confirm=request.POST.get("confirm") == "1",
                                     reason=request.POST.get("reason", ""),
                                     commitment_hours=request.POST.get("commitment_hours") or None, request=request)
        messages.success(request, _("已处理报到登记。"))
    return redirect("lists:registrations")


@login_required
@require_POST
def registration_rate(request, pk):
    with refusal_as_message(request):
        services.registration_rate(user=request.user, registration=pk, year=request.POST.get("year"),
                                   grade=request.POST.get("grade"), comment=request.POST.get("comment", ""),
                                   request=request)
        messages.success(request, _("年度评价已保存。"))
    return redirect("lists:registrations")


@login_required
def rating_sheet(request, pk, year):
    reg = get_or_404(request.user, REGISTRATION_VIEW, Registration.objects.all(), pk=pk)
    rating = YearlyRating.objects.select_related("registration__organisation", "registration__user",
                                                 "registration__compound__community", "rated_by") \
        .filter(registration=reg, year=year).first()
    if rating is None:
        raise Http404
    return documents.pdf_response(documents.rating_pdf(user=request.user, rating=rating, request=request),
                                  f"gongzhi-rating-{year}.pdf")


@login_required
def resources(request):
    """The resources list: what the user offered or may read, and the form to offer one more."""
    u = request.user
    may_offer = can(u, RESOURCE_OFFER)
    if not (may_offer or can(u, RESOURCE_VIEW)):
        raise Http404
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            services.resource_offer(user=u, request=request, title=data.get("title"), kind=data.get("kind"),
                                    category=data.get("category"), provider_kind=data.get("provider_kind"),
                                    compound=data.get("compound"), capacity=data.get("capacity") or 1,
                                    organisation=data.get("organisation") or None,
                                    available_from=data.get("available_from") or None,
                                    available_to=data.get("available_to") or None)
            messages.success(request, _("资源已登记。"))
            return redirect("lists:resources")
        except ValidationError as exc:
            errors = _errors(exc)
    return render(request, "lists/resources.html", {
        "errors": errors, "data": data, "may_offer": may_offer, "resources": selectors.resources(u)[:100],
        "categories": Category.choices, "kinds": ResourceKind.choices, "provider_kinds": ProviderKind.choices,
        "compounds": _compounds_for(u, RESOURCE_OFFER, Resource) if may_offer else [],
        "orgs": _acting_units(u)}, status=400 if errors else 200)


@login_required
def ledger(request):
    """The ledger lines of the user's area, each with its correction (a reversing line) for the community."""
    u = request.user
    if not can(u, LEDGER_CORRECT):
        raise Http404
    if request.method == "POST":
        with refusal_as_message(request):
            services.ledger_correct(user=u, entry=request.POST.get("entry"), reason=request.POST.get("reason"),
                                    request=request)
            messages.success(request, _("已冲正该台账记录。"))
        return redirect("lists:ledger")
    lines = list(selectors.ledger(u).select_related("compound")[:100])
    reversed_ids = set(selectors.ledger(u).filter(reverses__in=[e.pk for e in lines])
                       .values_list("reverses_id", flat=True))
    return render(request, "lists/ledger.html", {"lines": lines, "reversed": reversed_ids})
