"""The notice pages: the list (by tab), one notice, and the editor's form and actions.

Views parse, call a service or selector, and render. A refusal of the services comes back on the page: a
ValidationError on the form's fields, a Conflict as a message above the newest version. Anything the user may
not open is a 404.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gongzhi.accounts.policy import can, deny

from . import reach as reach_mod
from . import selectors, services
from .capability import NOTICE_EDIT, NOTICE_VIEW
from .forms import NoticeForm
from .models import Notice

PAGE_SIZE = 20
TAB_LABELS = {"current": gettext_lazy("当前公告"), "expired": gettext_lazy("已过期"), "drafts": gettext_lazy("草稿"),
              "withdrawn": gettext_lazy("已撤回")}


def _readable_or_404(user, pk):
    notice = selectors.get(user, pk)
    if notice is None:
        other = Notice.objects.filter(pk=pk).first() if isinstance(pk, int) else None
        if other is not None:
            deny(user, NOTICE_VIEW, other)
        raise Http404
    return notice


@login_required
def notice_list(request):
    user = request.user
    if not (can(user, NOTICE_VIEW) or can(user, NOTICE_EDIT)):
        raise Http404
    tabs = selectors.tabs_for(user)
    tab = request.GET.get("tab", "current")
    if tab not in tabs:
        tab = "current"
    page = Paginator(selectors.with_reach(selectors.listing(user, tab)), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/list.html", {
        "tab": tab, "tabs": [(t, str(TAB_LABELS[t])) for t in tabs], "page": page, "now": timezone.now(),
        "can_edit": can(user, NOTICE_EDIT),
    })


@login_required
def notice_detail(request, pk):
    user = request.user
    notice = _readable_or_404(user, pk)
    return _render_detail(request, notice)


def _render_detail(request, notice, status=200):
    user = request.user
    return render(request, "notices/detail.html", {
        "notice": notice, "reach": reach_mod.describe(notice), "expired": notice.is_expired(),
        "may_edit": selectors.may_edit(user, notice), "may_publish": selectors.may_publish(user, notice),
    }, status=status)


def _apply_errors(form, exc):
    for field, msgs in (exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]):
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


@login_required
def notice_new(request):
    user = request.user
    if not can(user, NOTICE_EDIT):
        raise Http404
    choices = reach_mod.choices(user)
    if request.method == "POST":
        form = NoticeForm(request.POST, reach_choices=choices)
        if form.is_valid():
            d = form.cleaned_data
            try:
                notice = services.notice_create(user=user, title=d["title"], body=d["body"], kind=d["kind"],
                                                reach=d["reach"], expires_at=d["expires_at"])
            except ValidationError as e:
                _apply_errors(form, e)
            else:
                messages.success(request, _("公告草稿已保存；发布后居民才能看到"))
                return redirect("notices:detail", notice.pk)
        return render(request, "notices/edit.html", {"form": form, "notice": None}, status=400)
    initial = {"reach": [choices[0][0]]} if len(choices) == 1 else {}
    return render(request, "notices/edit.html", {"form": NoticeForm(initial=initial, reach_choices=choices),
                                                 "notice": None})


@login_required
def notice_edit(request, pk):
    user = request.user
    notice = _readable_or_404(user, pk)
    if not selectors.may_edit(user, notice):
        deny(user, NOTICE_EDIT, notice)
        raise Http404
    choices = reach_mod.choices(user)
    if request.method == "POST":
        form = NoticeForm(request.POST, reach_choices=choices)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.notice_update(user=user, notice_id=notice.pk, version=d["version"], title=d["title"],
                                       body=d["body"], kind=d["kind"], reach=d["reach"],
                                       expires_at=d["expires_at"])
            except ValidationError as e:
                _apply_errors(form, e)
            except services.Conflict as e:
                messages.error(request, e.message)
                notice = _readable_or_404(user, pk)
                return render(request, "notices/edit.html", {"form": _form_of(notice, choices), "notice": notice},
                              status=409)
            else:
                messages.success(request, _("公告已保存"))
                return redirect("notices:detail", notice.pk)
        return render(request, "notices/edit.html", {"form": form, "notice": notice}, status=400)
    return render(request, "notices/edit.html", {"form": _form_of(notice, choices), "notice": notice})


def _form_of(notice, choices):
    expires = timezone.localtime(notice.expires_at).strftime("%Y-%m-%dT%H:%M") if notice.expires_at else ""
    return NoticeForm(initial={"title": notice.title, "body": notice.body, "kind": notice.kind,
                               "reach": [reach_mod.key_of(r.node) for r in notice.reach.all() if r.node],
                               "expires_at": expires, "version": notice.version}, reach_choices=choices)


ACTIONS = {"publish": gettext_lazy("公告已发布，范围内的居民会收到消息"), "withdraw": gettext_lazy("公告已撤回"),
           "pin": gettext_lazy("公告已置顶"), "unpin": gettext_lazy("已取消置顶")}


@login_required
@require_POST
def notice_act(request, pk):
    user = request.user
    notice = _readable_or_404(user, pk)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, _("未知的操作"))
        return _render_detail(request, notice, status=400)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        if action == "publish":
            services.notice_publish(user=user, notice_id=notice.pk, version=version)
        elif action == "withdraw":
            services.notice_withdraw(user=user, notice_id=notice.pk, version=version, note=request.POST.get("note", ""))
        else:
            services.notice_pin(user=user, notice_id=notice.pk, version=version, pinned=action == "pin")
    except ValidationError as e:
        for msg in e.messages:
            messages.error(request, msg)
        return _render_detail(request, _readable_or_404(user, pk), status=400)
    except services.Conflict as e:
        messages.error(request, e.message)
        return _render_detail(request, _readable_or_404(user, pk), status=409)
    messages.success(request, ACTIONS[action])
    return redirect("notices:detail", notice.pk)

