"""The audit log page (read-only, for AUDIT_VIEW), at /audit/. The log itself is core's (core/audit.py);
who may read it is the policy's, hence here."""
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from gongzhi.core.models import AuditAction, AuditEntry

from .policy import can
from .capability import AUDIT_VIEW

AUDIT_PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("用户名"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("操作"), required=False)
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, object_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("全部操作"))] + list(AuditAction.choices)
        self.fields["object_type"].choices = [("", _("全部类型"))] + [(t, t) for t in object_types]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return data


def _change_text(value):
    """[before, after] as "before → after"; anything else as it is."""
    def show(v):
        if v in (None, ""):
            return "∅"
        return "、".join(map(str, v)) if isinstance(v, list) else str(v)

    if isinstance(value, list) and len(value) == 2:
        return f"{show(value[0])} → {show(value[1])}"
    return show(value)


@require_safe
@login_required
def audit_log(request):
    if not can(request.user, AUDIT_VIEW):
        raise Http404
    object_types = (AuditEntry.objects.exclude(object_type="").order_by("object_type")
                    .values_list("object_type", flat=True).distinct())
    form = AuditFilterForm(request.GET or None, object_types=list(object_types))
    entries = AuditEntry.objects.all()
    if form.is_bound and form.is_valid():
        f = form.cleaned_data
        if f["user"].strip():
            entries = entries.filter(username__icontains=f["user"].strip())
        if f["action"]:
            entries = entries.filter(action=f["action"])
        if f["object_type"]:
            entries = entries.filter(object_type=f["object_type"])
        if f["date_from"]:
            entries = entries.filter(at__date__gte=f["date_from"])
        if f["date_to"]:
            entries = entries.filter(at__date__lte=f["date_to"])
    elif form.is_bound:
        entries = entries.none()
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    for e in page.object_list:
        e.change_lines = [(k, _change_text(v)) for k, v in (e.changes or {}).items()]
    return render(request, "accounts/audit.html", {"form": form, "page": page})
