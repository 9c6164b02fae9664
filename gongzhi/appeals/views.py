"""The appeal pages: submit, the queues, and an appeal's page with its workflow actions.

The three rates are in views_rates, the settings pages (categories, routing rules, the calendar) in
views_settings, the photos in views_photos. Views parse input, call a service or selector and render.
Refusals from the services come back as messages on the page (ValidationError on the form, NotAllowed and
Conflict as a message); anything out of scope is a 404.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gongzhi.accounts.policy import can
from gongzhi.accounts.capability import CALENDAR_MANAGE
from .capability import APPEAL_CREATE, APPEAL_DISPATCH, APPEAL_VIEW, CATEGORY_MANAGE
from gongzhi.core.ids import as_id
from gongzhi.grid import maps

from . import page_queries as pq
from . import presenter, selectors, services
from . import workflow as wf
from .errors import AppealError, Conflict, NotAllowed
from .forms import ActionForm, QueueFilterForm, SubmitForm, add_service_errors, category_choices
from .models import CLOCK_STATUSES, Appeal, Category, PhotoKind, Rating, Status, TimeUnit
from .photos import photo_add
from .similar import similar_appeals

PAGE_SIZE = 20


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def _add_photos(user, appeal, files, kind, event=None):
    """Hand each uploaded file to the photo service; its errors roll back the caller's transaction."""
    for f in files:
        photo_add(user=user, appeal=appeal, file=f, kind=kind, event=event)


# ---- submit ----------------------------------------------------------------------------------------


def _submit_form(request, data=None, files=None):
    user = request.user
    compounds = list(pq.compounds_for(user))
    tree = selectors.category_tree()
    private = [c.pk for c in Category.objects.filter(is_active=True, may_be_public=False)]
    initial = {}
    home = pq.home_compound_id(user)
    if home and any(k.pk == home for k in compounds):
        initial["compound"] = str(home)
    elif len(compounds) == 1:
        initial["compound"] = str(compounds[0].pk)
    if request.GET.get("place") == SubmitForm.PLACE_LOCATION:  # a link for those out on the street (随手拍)
        initial["place"] = SubmitForm.PLACE_LOCATION
    return SubmitForm(data, files, initial=initial,
                      categories=category_choices(tree), compounds=compounds,
                      buildings=pq.buildings_for([k.pk for k in compounds]),
                      channels=pq.channels_for(user), private_categories=private,
                      similar_url=reverse("appeals:similar"))


@login_required
def appeal_new(request):
    user = request.user
    if not can(user, APPEAL_CREATE):
        raise Http404
    status = 200
    if request.method == "POST":
        form = _submit_form(request, request.POST, request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():
                    appeal = services.appeal_submit(user=user, **form.service_kwargs())
                    _add_photos(user, appeal, form.cleaned_data.get("photos") or [], PhotoKind.REPORT)
            except ValidationError as e:
                add_service_errors(form, e)
            except AppealError as e:
                form.add_error(e.field if e.field in form.fields else None, e.message)
            else:
                messages.success(request, _("诉求已提交，编号 %(number)s。我们会尽快处理。") % {"number": appeal.number})
                if services.may_view(user, appeal):
                    return redirect("appeals:detail", appeal.pk)
                if selectors.is_confidential(appeal):
                    messages.info(request, _("该分类的诉求保密：提交后只有社区和街道工作人员、所在小区网格员和承办单位可以查看。"))
                return redirect("appeals:list")
        status = 400
    else:
        form = _submit_form(request)
    return render(request, "appeals/new.html", {"form": form}, status=status)


@login_required
def appeal_similar(request):
    """Open appeals like the one being typed (htmx fragment)."""
    user = request.user
    if not can(user, APPEAL_CREATE):
        raise Http404
    text = (request.GET.get("description") or "")[:1000].strip()
    results = []
    if len(text) >= 4:
        def num(name):
            v = request.GET.get(name) or ""
            return as_id(v)
        lat, lng = request.GET.get("lat") or None, request.GET.get("lng") or None
        try:
            results = list(similar_appeals(user=user, text=text, category=num("category"), compound=num("compound"),
                                           lat=lat, lng=lng, limit=5))[:5]
        except ValidationError:
            results = []
    rows = [_similar_row(v, user) for v in presenter.views_of(user, results)]
    # Staff entering a call get a link to the appeal; "me too" is the resident's own voice.
    return render(request, "appeals/similar.html", {"similar": rows, "staff": pq.is_staff(user)})


def _similar_row(view, user):
    """A suggestion as the fragment shows it: what the reader may see of it."""
    a = view.appeal
    return {"pk": a.pk, "title": view.title, "status": a.status, "status_label": a.get_status_display(),
            "me_too_count": a.me_too_count, "compound": a.compound.name, "mine": a.reporter_id == user.pk}


@login_required
@require_POST
def appeal_me_too(request, pk):
    user = request.user
    if not can(user, APPEAL_CREATE):
        raise Http404
    ok, message = True, ""
    try:
        appeal = services.appeal_me_too(user=user, appeal=pk)
        message = _("已附议，共 %(n)d 人遇到同样的问题") % {"n": appeal.me_too_count}
    except AppealError as e:
        ok, message = False, e.message
    if _is_htmx(request):
        return render(request, "appeals/similar.html#metoo_done", {"ok": ok, "message": message},
                      status=200)
    (messages.success if ok else messages.error)(request, message)
    return redirect("appeals:list")


# ---- queues ----------------------------------------------------------------------------------------


@login_required
def appeal_list(request):
    user = request.user
    if not pq.may_use_appeals(user):
        raise Http404
    tabs = pq.queue_tabs(user)
    names = [name for name, _label in tabs]
    tab = request.GET.get("tab") if request.GET.get("tab") in names else names[0]
    staff = pq.is_staff(user)
    compounds = list(pq.compounds_for(user, APPEAL_VIEW)) if staff else []
    form = QueueFilterForm(request.GET or None, statuses=Status.choices, categories=selectors.category_tree(),
                           compounds=compounds, handlers=pq.handlers_for(compounds))
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs, branches = selectors.queue_listing(user, tab, status=filters.get("status") or None,
                                           category=filters.get("category"), compound=filters.get("compound"),
                                           q=filters.get("q") or "", due=filters.get("due") or "",
                                           handler=filters.get("handler"))
    if tab == "dispatch":
        qs = qs.select_related("suggested_handler")
    status = filters.get("status") or None
    try:
        rows, next_cursor = selectors.queue_page(tab, qs, branches, status=status, cursor=request.GET.get("cursor"),
                                                 limit=PAGE_SIZE)
    except ValidationError:
        messages.error(request, _("分页链接无效，已回到第一页"))
        rows, next_cursor = selectors.queue_page(tab, qs, branches, status=status, limit=PAGE_SIZE)
    pq.attach_countdowns(rows)
    return render(request, "appeals/list.html", {
        "tabs": tabs, "tab": tab, "staff": staff, "counts": selectors.work_counts(user, names), "form": form, "rows": presenter.views_of(user, rows),
        "next_cursor": next_cursor,
        "filtered": any(filters.get(k) for k in ("status", "category", "compound", "q", "due", "handler")),
        "paged": bool(request.GET.get("cursor")), "can_create": can(user, APPEAL_CREATE),
        "can_rates": can(user, APPEAL_VIEW), "can_settings": can(user, CATEGORY_MANAGE),
        "can_calendar": can(user, CALENDAR_MANAGE),
    })


@login_required
@require_POST
def appeal_dispatch_suggested(request):
    """The desk sends the appeals it ticked in its queue to their suggested handlers, one write each."""
    user = request.user
    if not can(user, APPEAL_DISPATCH):
        raise Http404
    try:
        done, refused = services.dispatch_suggested(user=user, pks=request.POST.getlist("appeal"))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        if done:
            messages.success(request, ngettext("已派单 %(n)d 件", "已派单 %(n)d 件", len(done)) % {"n": len(done)})
        # Only what the desk may read is named: an id outside its scope stays an id it sent.
        numbers = {a.pk: a.number for a in selectors.visible_appeals(user).filter(pk__in=[pk for pk, _w in refused])}
        for pk, why in refused:
            shown = numbers.get(pk) or _("所选的一件诉求")
            messages.error(request, _("%(number)s 未派单：%(why)s") % {"number": shown, "why": why})
    return redirect(f"{reverse('appeals:list')}?tab=dispatch")


# ---- detail and actions ------------------------------------------------------------------------------

# What an action form asks for, beyond the version.
NOTE_LABELS = {
    "return": gettext_lazy("退单理由"), "hold": gettext_lazy("挂起原因"), "request_extension": gettext_lazy("延期理由"),
    "refuse_extension": gettext_lazy("不同意的理由"), "resolve": gettext_lazy("办理结果（将公开答复居民）"), "reject_result": gettext_lazy("还有什么没解决"),
    "reject": gettext_lazy("不予受理的理由"), "reopen": gettext_lazy("重启理由"), "withdraw": gettext_lazy("撤回原因（可选）"), "supplement": gettext_lazy("补充内容（承办单位和社区可见）"), "reply": gettext_lazy("答复内容（居民可见）"), "note": gettext_lazy("备注内容"),
    "supervise": gettext_lazy("督办意见"), "whistle": gettext_lazy("要求（可选）"), "whistle_report": gettext_lazy("报到反馈"), "rate": gettext_lazy("评价意见（可选）"),
    "dispatch": gettext_lazy("派单说明（可选）"), "reassign": gettext_lazy("改派说明（可选）"), "grant_extension": gettext_lazy("说明（可选）"),
}
ONE_TAP = {"accept", "take", "resume", "close", "verify", "chase"}
# Actions that may carry photos, and of which kind: the handler's evidence, the reporter's more of the problem.
PHOTO_ACTIONS = {"resolve": PhotoKind.EVIDENCE, "supplement": PhotoKind.REPORT}
MAIN = {"dispatch", "resolve", "rate", "grant_extension", "whistle_report"}
CAUTION = {"return", "reject", "reject_result", "refuse_extension", "hold", "withdraw"}


def _panels(user, appeal, parties, failed):
    """The action forms the page shows: exactly the actions the workflow allows these parties now."""
    names = wf.allowed_actions(appeal.status, parties)
    if appeal.rating:
        names = [n for n in names if n != "rate"]
    if appeal.rating != Rating.UNSATISFIED:
        names = [n for n in names if n != "reopen"]
    if "chase" in names and not services.may_chase(appeal)[0]:
        names = [n for n in names if n != "chase"]  # not past its deadline yet, or chased today
    only_reporter = wf.REPORTER in parties and not (parties & {wf.VERIFIER, wf.DISPATCHER})
    if only_reporter and "rate" in names:
        names = [n for n in names if n != "close"]  # rating closes it; a bare "close" would only confuse
    panels = []
    for name in names:
        t = wf.TRANSITIONS[name]
        label = pq.REPORTER_LABELS.get(name, t.label) if only_reporter else t.label
        p = {"name": name, "label": label, "needs_note": t.needs_note, "note_label": NOTE_LABELS.get(name, _("说明（可选）")),
             "one_tap": name in ONE_TAP, "caution": name in CAUTION or name == "accept", "errors": {}, "note": "", "open": False}
        if t.needs_handler:
            p["handlers"] = pq.handler_choices(appeal)
            p["handler_selected"] = (appeal.suggested_handler_id if name == "dispatch" else appeal.handler_id) or ""
        if t.needs_category:
            p["categories"] = category_choices(selectors.category_tree(), blank=False)  # (group, options) each
            p["category_selected"] = str(failed["data"].get("category") or "") if failed and failed["action"] == name \
                else str(appeal.category_id)
        if name == "request_extension":
            p["days"] = "5"
        if name == "whistle":
            p["departments"] = pq.department_choices(appeal)
        if name in PHOTO_ACTIONS:
            p["photos"] = name
        if name == "note":
            p["internal_default"] = True
        if failed and failed["action"] == name:
            p.update(errors=failed["errors"], note=failed["data"].get("note", ""), open=True, one_tap=False)
            if "days" in failed["data"]:
                p["days"] = failed["data"]["days"]
            if as_id(failed["data"].get("handler")):
                p["handler_selected"] = as_id(failed["data"]["handler"])
        if name == "rate" and only_reporter:
            p["open"] = True
        panels.append(p)
    # The move that advances the appeal first; notes and supervision next; turning it back last.
    rank = {n: (0 if n in MAIN else 2 if n in ("reply", "note", "supervise", "whistle", "whistle_report")
                else 3 if n in CAUTION else 1) for n in names}
    return sorted(panels, key=lambda p: rank[p["name"]])


def _deadlines(appeal):
    """Respond and resolve deadlines: a countdown while the clock runs, else when it was met (or missed)."""
    out = []
    running = appeal.status in CLOCK_STATUSES
    for label, due, done_at, unit in ((_("响应时限"), appeal.respond_due, appeal.responded_at, appeal.category.respond_unit),
                                      (_("办结时限"), appeal.resolve_due, appeal.resolved_at, appeal.category.resolve_unit)):
        if due is None:
            continue
        out.append({"label": label, "due": due, "done_at": done_at, "late": bool(done_at and done_at > due),
                    "countdown": pq.countdown(due, unit) if running and done_at is None else None})
    return out


def _render_detail(request, appeal, *, failed=None, status=200, revealed_phone=None):
    user = request.user
    appeal = Appeal.objects.select_related("category", "compound__community", "building", "handler", "suggested_handler",
                                           "routing_rule", "reporter", "entered_by", "duplicate_of").get(pk=appeal.pk)
    view = presenter.view_of(user, appeal)  # everything that depends on who reads it
    steps = [{"step": e, "label": pq.event_label(e),
              "from_label": Status(e.from_status).label if e.from_status in Status.values else "",
              "to_label": Status(e.to_status).label if e.to_status in Status.values else ""}
             for e in view.timeline()]
    panels = _panels(user, appeal, view.reader.parties, failed)
    photos, evidence_photos = pq.photos_of(appeal)
    return render(request, "appeals/detail.html", {
        "appeal": appeal, "v": view, "steps": steps, "panels": panels,
        "one_tap": [p for p in panels if p["one_tap"]],
        "deadlines": _deadlines(appeal), "photos": photos, "evidence_photos": evidence_photos,
        "ratings": Rating.choices,
        "whistle_calls": view.whistle_calls(), "hours_unit": TimeUnit.HOURS, "revealed_phone": revealed_phone,
        "location_map": _location_map(user, view),
    }, status=status)


def _location_map(user, view):
    """The reporter's point on its compound, the community's other compounds the reader may see around it."""
    if view.point is None:
        return None
    lat, lng = view.point
    return maps.map_data(maps.around(user, view.appeal.compound), [(_("反映位置"), lng, lat)])


@login_required
def appeal_detail(request, pk):
    return _render_detail(request, services.get_for_action(request.user, pk))


@login_required
@require_POST
def appeal_reveal_contact(request, pk):
    appeal = services.get_for_action(request.user, pk)
    try:
        phone = services.appeal_contact_reveal(user=request.user, appeal=appeal)
    except (ValidationError, NotAllowed) as e:
        messages.error(request, " ".join(e.messages) if isinstance(e, ValidationError) else e.message)
        return redirect("appeals:detail", pk=appeal.pk)
    return _render_detail(request, appeal, revealed_phone=phone)


@login_required
@require_POST
def appeal_act(request, pk):
    user = request.user
    appeal = services.get_for_action(user, pk)
    form = ActionForm(request.POST, request.FILES,
                      department_ids=[d.pk for d in pq.department_choices(appeal)] if request.POST.get("action") == "whistle" else ())
    action = request.POST.get("action", "")
    data = {k: request.POST.get(k, "") for k in ("note", "days", "handler", "category")}
    if not form.is_valid():
        errors = {("general" if k == "__all__" else k): list(v) for k, v in form.errors.items()}
        for field in ("action", "version"):
            for msg in errors.pop(field, []):
                messages.error(request, msg)
        return _render_detail(request, appeal, failed={"action": action, "errors": errors, "data": data}, status=400)
    kw = form.service_kwargs()
    label = wf.TRANSITIONS[kw["action"]].label
    try:
        with transaction.atomic():
            appeal = services.appeal_act(user=user, appeal=appeal.pk, **kw)
            if kw["action"] in PHOTO_ACTIONS:
                _add_photos(user, appeal, form.cleaned_data.get("photos") or [], PHOTO_ACTIONS[kw["action"]],
                            event=appeal.events.filter(action=kw["action"]).order_by("-id").first())
    except ValidationError as e:
        errors = {}
        for field, msgs in (e.message_dict.items() if hasattr(e, "error_dict") else [("__all__", e.messages)]):
            field = "photos" if field == "photo" else field
            errors.setdefault(field if field in form.fields else "general", []).extend(msgs)
        return _render_detail(request, appeal, failed={"action": action, "errors": errors, "data": data}, status=400)
    except Conflict as e:
        messages.error(request, e.message)
        return _render_detail(request, appeal, failed={"action": action, "errors": {}, "data": data}, status=409)
    except AppealError as e:
        messages.error(request, e.message)
        return _render_detail(request, appeal, failed={"action": action, "errors": {}, "data": data}, status=e.status)
    if kw["action"] == "rate":
        messages.success(request, _("感谢您的评价！"))
    elif kw["action"] == "verify" and wf.VERIFIER not in services.parties_of(user, appeal):
        messages.success(request, _("已确认问题解决，欢迎为办理情况评价"))
    else:
        messages.success(request, _("已完成：%(action)s") % {"action": label})
    if services.may_view(user, appeal):
        return redirect("appeals:detail", appeal.pk)
    return redirect("appeals:list")
