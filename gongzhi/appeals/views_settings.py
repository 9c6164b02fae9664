"""The appeal settings pages: categories, routing rules and the holiday calendar.

Views parse input, call admin_services and render; a user without the right anywhere gets a 404.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from gongzhi.accounts.policy import can, scoped
from gongzhi.accounts.capability import CALENDAR_MANAGE
from .capability import CATEGORY_MANAGE
from gongzhi.orgs.capability import ORG_VIEW
from gongzhi.core.models import CalendarDay
from gongzhi.core.workdays import local_date
from gongzhi.orgs.models import Organisation

from . import admin_services, selectors
from . import page_queries as pq
from .forms import CalendarDayForm, CategoryForm, RoutingRuleForm, add_service_errors
from .models import Category


def _require_anywhere(user, action):
    if not can(user, action):
        raise Http404


def _tree_all():
    """Every category, inactive ones too: what the settings pages list and offer as parents."""
    return selectors.category_tree(include_inactive=True)


def _category_form(data=None, initial=None, tree=None):
    return CategoryForm(data, initial=initial, parents=_tree_all() if tree is None else tree)


@login_required
def categories_page(request):
    _require_anywhere(request.user, CATEGORY_MANAGE)
    status = 200
    tree = _tree_all()
    if request.method == "POST":
        form = _category_form(request.POST, tree=tree)
        if form.is_valid():
            try:
                category = admin_services.category_create(user=request.user, **form.service_kwargs())
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("已新建分类“%(name)s”") % {"name": category.name})
                return redirect("appeals:categories")
        status = 400
    else:
        form = _category_form(initial={"kind": "help", "respond_amount": 1, "resolve_amount": 10, "is_active": True,
                                       "may_be_public": True, "order": 0}, tree=tree)
    return render(request, "appeals/categories.html", {"categories": selectors.tree_categories(tree), "form": form,
                                                       "open_form": request.method == "POST"}, status=status)


@login_required
def category_edit(request, pk):
    _require_anywhere(request.user, CATEGORY_MANAGE)
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise Http404
    status = 200
    if request.method == "POST":
        form = _category_form(request.POST)
        if form.is_valid():
            try:
                admin_services.category_update(user=request.user, category=category, **form.service_kwargs())
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("已保存分类“%(name)s”") % {"name": form.cleaned_data["name"]})
                return redirect("appeals:categories")
        status = 400
    else:
        form = _category_form(initial={f: getattr(category, f) for f in admin_services.CATEGORY_FIELDS if f != "parent"}
                              | {"parent": category.parent_id or ""})
    return render(request, "appeals/category_edit.html", {"category": category, "form": form,
                                                          "in_use": category.appeals.exists()}, status=status)


@login_required
@require_POST
def category_delete(request, pk):
    _require_anywhere(request.user, CATEGORY_MANAGE)
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise Http404
    try:
        admin_services.category_delete(user=request.user, category=category)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("appeals:category_edit", pk)
    messages.success(request, _("已删除分类“%(name)s”") % {"name": category.name})
    return redirect("appeals:categories")


def _rule_form(user, data=None, initial=None):
    return RoutingRuleForm(
        data, initial=initial, categories=_tree_all(),
        communities=pq.communities_for(user, CATEGORY_MANAGE), compounds=pq.compounds_for(user, CATEGORY_MANAGE),
        organisations=scoped(user, ORG_VIEW, Organisation.objects.filter(is_active=True)).order_by("kind", "code"))


@login_required
def routing_page(request):
    user = request.user
    _require_anywhere(user, CATEGORY_MANAGE)
    status = 200
    form = _rule_form(user, initial={"is_active": True, "priority": 0})
    if request.method == "POST":
        form = _rule_form(user, request.POST)
        if form.is_valid():
            try:
                rule = admin_services.routing_rule_create(user=user, **form.service_kwargs())
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("已新建派单规则“%(name)s”") % {"name": rule.name})
                return redirect("appeals:routing")
        status = 400
    return render(request, "appeals/routing.html", {"rules": selectors.routing_rules(user), "form": form,
                                                    "open_form": request.method == "POST"}, status=status)


@login_required
def routing_edit(request, pk):
    user = request.user
    _require_anywhere(user, CATEGORY_MANAGE)
    rule = selectors.routing_rule(user, pk)
    if rule is None:
        raise Http404
    status = 200
    if request.method == "POST":
        form = _rule_form(user, request.POST)
        if form.is_valid():
            try:
                admin_services.routing_rule_update(user=user, rule=rule, **form.service_kwargs())
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("已保存派单规则“%(name)s”") % {"name": form.cleaned_data["name"]})
                return redirect("appeals:routing")
        status = 400
    else:
        form = _rule_form(user, initial={
            "name": rule.name, "category": rule.category_id or "", "community": rule.community_id,
            "compound": rule.compound_id, "handler_kind": rule.handler_kind, "handler_level": rule.handler_level,
            "organisation": rule.organisation_id, "priority": rule.priority, "is_active": rule.is_active})
    return render(request, "appeals/routing_edit.html", {"rule": rule, "form": form}, status=status)


@login_required
@require_POST
def routing_delete(request, pk):
    user = request.user
    _require_anywhere(user, CATEGORY_MANAGE)
    rule = selectors.routing_rule(user, pk)
    if rule is None:
        raise Http404
    admin_services.routing_rule_delete(user=user, rule=rule)
    messages.success(request, _("已删除派单规则“%(name)s”") % {"name": rule.name})
    return redirect("appeals:routing")


@login_required
def calendar_page(request):
    user = request.user
    _require_anywhere(user, CALENDAR_MANAGE)
    today = local_date(timezone.now())
    try:
        year = int(request.GET.get("year") or today.year)
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        year = today.year
    status = 200
    form = CalendarDayForm(initial={"kind": "holiday"})
    if request.method == "POST":
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            try:
                rows = admin_services.calendar_day_add(user=user, **form.cleaned_data)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, ngettext("已登记 %(n)d 天", "已登记 %(n)d 天", len(rows)) % {"n": len(rows)})
                return redirect(f"{reverse('appeals:calendar')}?year={form.cleaned_data['date'].year}")
        status = 400
    days = list(CalendarDay.objects.filter(date__year=year).order_by("date"))
    years = sorted({d.year for d in CalendarDay.objects.dates("date", "year")} | {today.year, today.year + 1, year})
    return render(request, "appeals/calendar.html", {"days": days, "year": year, "years": years, "form": form},
                  status=status)


@login_required
@require_POST
def calendar_delete(request, pk):
    user = request.user
    _require_anywhere(user, CALENDAR_MANAGE)
    row = CalendarDay.objects.filter(pk=pk).first()
    if row is None:
        raise Http404
    admin_services.calendar_day_delete(user=user, day=row)
    messages.success(request, _("已删除 %(date)s") % {"date": f"{row.date:%Y-%m-%d}"})
    return redirect(f"{reverse('appeals:calendar')}?year={row.date.year}")
