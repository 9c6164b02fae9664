"""Household, resident, search and tag pages. They parse input, call a service or selector, and render."""
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gongzhi.accounts.policy import can, get_or_404, require, scoped
from gongzhi.grid.capability import HOUSEHOLD_CHANGE, HOUSEHOLD_VIEW
from gongzhi.orgs.capability import ORG_VIEW
from .capability import FIND_BY_ID, FIND_BY_PHONE, RESIDENT_CHANGE, RESIDENT_SEARCH, RESIDENT_VIEW, TAG_MANAGE
from gongzhi.core.identity import normalise_mobile
from gongzhi.grid.models import Household
from gongzhi.grid.tree import ancestors
from gongzhi.orgs.models import Organisation

from gongzhi.core.forms import add_service_errors

from . import presenter, services
from .forms import HouseholdForm, ResidentEditForm, ResidentForm, SearchForm, TagEditForm, TagForm
from .lookup import ID_NUMBER, LookupRefused, identifier_of
from .models import Resident, Tag
from .selectors import residents_for

SEARCH_PAGE_SIZE = 20
ID_LIKE = re.compile(r"\d{17}[\dXx]")
MOBILE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
HOUSEHOLDS = Household.objects.select_related("building__compound__community__subdistrict")
RESIDENTS = Resident.objects.select_related("household__building__compound__community__subdistrict")


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


# ---- household ----------------------------------------------------------------------------------


def _household_page(request, household, *, household_form=None, resident_form=None, status=200):
    user = request.user
    can_change = can(user, HOUSEHOLD_CHANGE, household)
    can_add = can(user, RESIDENT_CHANGE, household)
    if can_change and household_form is None:
        household_form = HouseholdForm(initial={
            "code": household.code, "address": household.address, "tenure": household.tenure,
            "floor_area": household.floor_area if household.floor_area is not None else "",
        })
    if can_add and resident_form is None:
        resident_form = ResidentForm()
    members = presenter.views_of(user, residents_for(user, household=household.pk))
    return render(request, "people/household.html", {
        "node": household, "household": household, "members": members, "crumbs": ancestors(household),
        "can_view_members": can(user, RESIDENT_VIEW, household),
        "household_form": household_form if can_change else None,
        "resident_form": resident_form if can_add else None,
    }, status=status)


@login_required
def household_page(request, pk):
    return _household_page(request, get_or_404(request.user, HOUSEHOLD_VIEW, HOUSEHOLDS, pk=pk))


@login_required
@require_POST
def household_edit(request, pk):
    household = get_or_404(request.user, HOUSEHOLD_VIEW, HOUSEHOLDS, pk=pk)
    require(request.user, HOUSEHOLD_CHANGE, household)
    form = HouseholdForm(request.POST)
    if form.is_valid():
        try:
            services.household_update(user=request.user, household=household, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("已保存户信息"))
            return redirect("people:household", pk=household.pk)
    return _household_page(request, household, household_form=form)


@login_required
@require_POST
def resident_add(request, pk):
    household = get_or_404(request.user, HOUSEHOLD_VIEW, HOUSEHOLDS, pk=pk)
    require(request.user, RESIDENT_CHANGE, household)
    form = ResidentForm(request.POST)
    if form.is_valid():
        try:
            resident = services.resident_create(user=request.user, household=household, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("已添加居民 %(name)s") % {"name": resident.name})
            return redirect("people:household", pk=household.pk)
    return _household_page(request, household, resident_form=form)


# ---- resident -----------------------------------------------------------------------------------


def _edit_form(user, view, data=None):
    initial = {"name": view.name, "relation": view.relation, "note": view.note, "tags": [t.code for t in view.tags]}
    return ResidentEditForm(data, initial=initial, tags=presenter.tag_choices(user, view.resident))


def _resident_page(request, view, *, form=None, revealed=None, one_time=None, status=200):
    user = request.user
    resident = view.resident
    can_change = can(user, RESIDENT_CHANGE, resident)
    if can_change and form is None:
        form = _edit_form(user, view)
    org_ids = scoped(user, ORG_VIEW, Organisation.objects.all()).values("pk")
    posts = resident.org_memberships.filter(organisation__in=org_ids).select_related("organisation")
    return render(request, "people/resident.html", {
        "resident": view, "form": form if can_change else None,
        "crumbs": ancestors(resident.household) + [resident.household],
        "revealed": revealed or {}, "posts": posts, "one_time": one_time,
        "may_reset": can_change and services.resident_account(resident) is not None,
    }, status=status)


def _get_resident(request, pk):
    """The resident as the user may see them (people.presenter)."""
    resident = get_or_404(request.user, RESIDENT_VIEW, RESIDENTS.prefetch_related("tags"), pk=pk)
    return presenter.view_of(request.user, resident)


@login_required
def resident_page(request, pk):
    view = _get_resident(request, pk)
    if request.method != "POST":
        return _resident_page(request, view)
    require(request.user, RESIDENT_CHANGE, view.resident)
    form = _edit_form(request.user, view, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        fields = {"name": data["name"], "relation": data["relation"], "note": data["note"]}
        for key in ("id_number", "phone"):  # empty: keep the stored value
            if data[key].strip():
                fields[key] = data[key]
        # Only the tags the user can see are offered; the service keeps the sensitive ones they cannot.
        fields["tags"] = list(data["tags"])
        try:
            services.resident_update(user=request.user, resident=view.resident, **fields)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("已保存居民信息"))
            return redirect("people:resident", pk=pk)
    return _resident_page(request, view, form=form)


@never_cache
@login_required
@require_POST
def resident_reveal(request, pk):
    """The clear phone or ID number, for roles allowed to see it; audited by the service."""
    view = _get_resident(request, pk)
    field = request.POST.get("field", "")
    try:
        value = services.resident_reveal(user=request.user, resident=view.resident, field=field)
    except ValidationError:
        return HttpResponseBadRequest(_("只能查看手机号或身份证号"))
    if _is_htmx(request):
        return render(request, "components.html#revealed", {"value": value, "tel": field == "phone"})
    return _resident_page(request, view, revealed={field: value})


@never_cache
@login_required
@require_POST
def resident_password_reset(request, pk):
    """A one-time password for the resident's account, shown once on the page; audited by the service."""
    view = _get_resident(request, pk)
    require(request.user, RESIDENT_CHANGE, view.resident)
    try:
        one_time = services.resident_password_reset(user=request.user, resident=view.resident, request=request)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return _resident_page(request, view, status=400)
    return _resident_page(request, view, one_time=one_time)


# ---- search -------------------------------------------------------------------------------------


@login_required
def search(request):
    user = request.user
    if not can(user, RESIDENT_SEARCH):
        raise Http404
    tags = list(presenter.tag_choices(user))
    form = SearchForm(request.GET or None, tags=tags)
    page, refused = None, None
    if form.is_valid() and (form.cleaned_data["q"].strip() or form.cleaned_data["tag"]):
        q, tag = form.cleaned_data["q"], form.cleaned_data["tag"]
        # A sensitive tag only finds residents whose ID number the user may reveal (the selector sees to it).
        try:
            page = Paginator(residents_for(user, q=q, tag=tag), SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        except LookupRefused as exc:
            refused = exc.text
        else:
            page.object_list = presenter.views_of(user, page.object_list)
    # A full ID number or mobile typed into the box (alone or among other words) is not echoed back into the page.
    q_value = (form.data.get("q") or "") if form.is_bound else ""
    identifier = identifier_of(q_value)
    hidden_id = bool(ID_LIKE.search(q_value)) or (identifier is not None and identifier[0] == ID_NUMBER)
    hidden_phone = not hidden_id and (bool(MOBILE_LIKE.search(normalise_mobile(q_value))) or identifier is not None)
    template = "people/search.html#results" if _is_htmx(request) else "people/search.html"
    return render(request, template, {
        "form": form, "page": page, "refused": refused,
        "q_value": "" if hidden_id or hidden_phone else q_value, "hidden_id": hidden_id, "hidden_phone": hidden_phone,
        "may_find_by_id": can(user, FIND_BY_ID), "may_find_by_phone": can(user, FIND_BY_PHONE),
    })


# ---- tags ---------------------------------------------------------------------------------------


def _tags_page(request, *, form=None, edit_forms=None, status=200):
    tags = Tag.objects.annotate(n=Count("residents"))
    edit_forms = edit_forms or {}
    for t in tags:
        t.form = edit_forms.get(t.pk) or TagEditForm(
            initial={"name": t.name, "name_en": t.name_en, "sensitive": t.sensitive}, prefix=f"t{t.pk}")
    return render(request, "people/tags.html", {"tags": tags, "form": form or TagForm()}, status=status)


@login_required
def tags_page(request):
    require(request.user, TAG_MANAGE)
    if request.method != "POST":
        return _tags_page(request)
    form = TagForm(request.POST)
    if form.is_valid():
        try:
            tag = services.tag_create(user=request.user, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("已新建标签 %(name)s") % {"name": tag.name})
            return redirect("people:tags")
    return _tags_page(request, form=form)


@login_required
@require_POST
def tag_edit(request, pk):
    require(request.user, TAG_MANAGE)
    try:
        tag = Tag.objects.get(pk=pk)
    except Tag.DoesNotExist:
        raise Http404
    form = TagEditForm(request.POST, prefix=f"t{tag.pk}")
    if form.is_valid():
        try:
            tag = services.tag_update(user=request.user, tag=tag, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("已保存标签 %(name)s") % {"name": tag.name})
            return redirect("people:tags")
    return _tags_page(request, edit_forms={tag.pk: form})
