"""The audit log page (read-only, for AUDIT_VIEW), at /audit/. The log itself is core's (core/audit.py);
who may read it is the policy's, hence here."""
from django import forms
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from gongzhi.core.audit import SENSITIVE, names_its_step, verb_of
from gongzhi.core.models import AuditAction, AuditEntry

from .policy import can
from .capability import AUDIT_VIEW

AUDIT_PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("人员"), required=False, max_length=150, help_text=_("用户名或姓名"))
    action = forms.ChoiceField(label=_("操作"), required=False)
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    obj = forms.CharField(label=_("对象"), required=False, max_length=100,
                          help_text=_("编号或名称中的文字，例如诉求编号"))
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, object_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("全部操作"))] + list(AuditAction.choices)
        self.fields["object_type"].choices = [("", _("全部类型"))] + sorted(
            ((t, str(m._meta.verbose_name) if (m := _model(t)) is not None else t) for t in object_types),
            key=lambda choice: choice[1])

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return data


# Keys of `changes` that name no field of the record.
CHANGE_WORDS = {
    "action": _("操作"), "field": _("查看的字段"), "token": _("令牌"), "api_tokens_ended": _("结束的 API 令牌"),
    "password": _("密码"), "expires_at": _("到期时间"), "tags": _("关注标签"),
}


def _model(object_type):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


# Values of `changes` that name a field rather than hold one (what a reveal showed).
VALUE_WORDS = {"phone": _("手机号"), "id_number": _("身份证号")}


def _value(field, value):
    """One side of a change as a reader reads it: choices by their label, a masked value as such."""
    if value in (None, "", []):
        return gettext("（空）")
    if value == SENSITIVE:
        return gettext("（已修改，不显示）")
    if isinstance(value, list):
        return "、".join(_value(field, v) for v in value)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def describe(entry, models):
    """An entry as a sentence (who, did what, to what) and its changes field by field."""
    model = models.setdefault(entry.object_type, _model(entry.object_type))
    user = entry.user
    who = (user.display_name or user.username) if user is not None else (entry.username or gettext("系统"))
    changes = []
    for key, change in (entry.changes or {}).items():
        if key == "action" and names_its_step(entry):
            continue  # the verb says it
        field = _field(model, key)
        label = str(field.verbose_name) if field is not None else str(CHANGE_WORDS.get(key, key))
        if key == "field" and change in VALUE_WORDS:
            changes.append({"label": label, "value": str(VALUE_WORDS[change])})
        elif isinstance(change, list) and len(change) == 2:
            changes.append({"label": label, "before": _value(field, change[0]), "after": _value(field, change[1])})
        else:
            changes.append({"label": label, "value": _value(field, change)})
    return {
        "who": who, "verb": verb_of(entry),
        "noun": str(model._meta.verbose_name) if model is not None else entry.object_type,
        "what": entry.object_repr or (f"#{entry.object_id}" if entry.object_id else ""),
        "detail": "" if names_its_step(entry) else entry.detail, "changes": changes,
    }


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
            who = f["user"].strip()
            entries = entries.filter(Q(username__icontains=who) | Q(user__display_name__icontains=who))
        if f["action"]:
            entries = entries.filter(action=f["action"])
        if f["object_type"]:
            entries = entries.filter(object_type=f["object_type"])
        if f["obj"].strip():
            entries = entries.filter(object_repr__icontains=f["obj"].strip())
        if f["date_from"]:
            entries = entries.filter(at__date__gte=f["date_from"])
        if f["date_to"]:
            entries = entries.filter(at__date__lte=f["date_to"])
    elif form.is_bound:
        entries = entries.none()
    page = Paginator(entries.select_related("user"), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    models = {}
    page.object_list = [(e, describe(e, models)) for e in page.object_list]
    return render(request, "accounts/audit.html", {"form": form, "page": page})
