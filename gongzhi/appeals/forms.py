"""Forms of the appeal pages. They parse and render only.

The rules (text length, place, category, deadlines, cycles, …) live in the
services, whose ValidationErrors are put back on the form with
`add_service_errors`. Fields the services check are deliberately lenient
here, so one submission shows every problem at once.
"""
import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gongzhi.core.forms import add_service_errors as core_add_service_errors
from gongzhi.core.ids import as_id
from gongzhi.core.models import DayKind
from gongzhi.orgs.models import OrgKind

from .models import AppealKind, Channel, HandlerLevel, Rating, TimeUnit
from .workflow import TRANSITIONS

MAX_PHOTOS = 6


# Channels through which someone calls or walks in, whose name and number the desk records.
CALLER_CHANNELS = {Channel.HOTLINE.value, Channel.WALK_IN.value}

# The submit form shows the place in one field and the photos in another.
SERVICE_FIELDS = {"photo": "photos", "location": "place", "lat": "place", "lng": "place"}


def add_service_errors(form, exc: ValidationError):
    core_add_service_errors(form, exc, SERVICE_FIELDS)


def category_choices(tree, blank=True):
    """Grouped choices from selectors.category_tree(): one group per top-level category."""
    def flatten(nodes, depth):
        out = []
        for n in nodes:
            c = n["category"]
            out.append((str(c.pk), ("— " * depth) + c.label))
            out += flatten(n["children"], depth + 1)
        return out

    choices = [("", _("请选择分类"))] if blank else []
    loose = []
    for node in tree:
        c = node["category"]
        if node["children"]:
            choices.append((c.label, [(str(c.pk), _("%(name)s（其他）") % {"name": c.label})] + flatten(node["children"], 0)))
        else:
            loose.append((str(c.pk), c.label))
    if loose:
        choices.append((_("其他"), loose))
    return choices


class PageForm(forms.Form):
    """Stacked labels on a phone: no trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files from one input; each is checked by the photo service, not by its name."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("最多上传 %(n)d 张照片") % {"n": MAX_PHOTOS})
        return [super(PhotosField, self).clean(f, initial) for f in files]


class SubmitForm(PageForm):
    PLACE_COMPOUND = "compound"
    PLACE_LOCATION = "location"

    category = forms.CharField(label=_("分类"), required=False)
    title = forms.CharField(label=_("标题"), required=False, help_text=_("可不填，默认取内容的开头"),
                            widget=forms.TextInput(attrs={"autocomplete": "off"}))
    description = forms.CharField(label=_("诉求内容"), required=False, strip=True,
                                  widget=forms.Textarea(attrs={"rows": 5, "placeholder": _("请描述问题、位置和您的期望，例如：3栋1单元电梯停在8楼不动")}))
    place = forms.ChoiceField(label=_("地点"), choices=[(PLACE_COMPOUND, _("选择小区/楼栋")), (PLACE_LOCATION, _("使用我的位置"))],
                              initial=PLACE_COMPOUND, widget=forms.RadioSelect)
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    lng = forms.CharField(required=False, widget=forms.HiddenInput)
    compound = forms.CharField(label=_("小区"), required=False)
    building = forms.CharField(label=_("楼栋"), required=False)
    address = forms.CharField(label=_("具体位置"), required=False, help_text=_("例如：3栋1单元门口"))
    is_public = forms.BooleanField(label=_("公开此诉求（不显示您的姓名和电话）"), required=False)
    channel = forms.ChoiceField(label=_("渠道"), required=False)
    contact_name = forms.CharField(label=_("来电/来访人姓名"), required=False)
    contact_phone = forms.CharField(label=_("联系电话"), required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    photos = PhotosField(label=_("照片"), help_text=_("最多 6 张"))

    def __init__(self, *args, categories=(), compounds=(), buildings=(), channels=(), private_categories=(),
                 photos_enabled=True, similar_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].widget = forms.Select(choices=categories, attrs={
            "data-private-categories": ",".join(str(pk) for pk in private_categories)})
        compounds = list(compounds)
        self.compound_ids = {str(k.pk) for k in compounds}
        self.fields["compound"].widget = forms.Select(choices=[("", _("请选择小区"))] + [
            (str(k.pk), f"{k.community.name} · {k.name}") for k in compounds])
        # The building select is rendered by the template, each option marked with its compound.
        self.building_list = [{"pk": str(b.pk), "name": b.name, "compound": str(b.compound_id)} for b in buildings]
        self.building_compound = {b["pk"]: b["compound"] for b in self.building_list}
        if similar_url:
            self.fields["description"].widget.attrs.update({
                "hx-get": similar_url, "hx-trigger": "input changed delay:700ms", "hx-target": "#similar",
                "hx-include": "[name=category],[name=compound],[name=lat],[name=lng]", "hx-sync": "this:replace"})
        self.fields["photos"].widget.attrs.update({"accept": "image/*", "multiple": True})
        self.photos_enabled = photos_enabled
        if not photos_enabled:
            del self.fields["photos"]
        if channels:
            self.fields["channel"].choices = list(channels)
            self.fields["channel"].required = True
            self.fields["channel"].initial = channels[0][0]
            if not {c for c, _label in channels} & CALLER_CHANNELS:
                # A patrol or a property report has no caller: the person it concerns, if any.
                self.fields["contact_name"].label = _("当事人姓名（如有）")
                self.fields["contact_phone"].label = _("当事人电话（如有）")
        else:
            for name in ("channel", "contact_name", "contact_phone"):
                del self.fields[name]
        self.private_categories = {str(pk) for pk in private_categories}

    @property
    def staff_fields(self):
        return [self[n] for n in ("channel", "contact_name", "contact_phone") if n in self.fields]

    def clean(self):
        data = super().clean()
        if data.get("place") == self.PLACE_COMPOUND:
            compound, building = data.get("compound"), data.get("building")
            if compound and compound not in self.compound_ids:
                self.add_error("compound", _("请从列表中选择小区"))
            if building:
                owner = self.building_compound.get(building)
                if owner is None:
                    self.add_error("building", _("请从列表中选择楼栋"))
                elif compound and owner != compound:
                    self.add_error("building", _("该楼栋不在所选小区内"))
        if data.get("is_public") and data.get("category") in self.private_categories:
            self.add_error("is_public", _("该分类的诉求不公开"))
        return data

    def service_kwargs(self):
        d = self.cleaned_data
        kw = {"category": d.get("category") or None, "description": d.get("description", ""),
              "title": d.get("title", ""), "address": d.get("address", ""), "is_public": bool(d.get("is_public"))}
        if d.get("place") == self.PLACE_LOCATION:
            kw["lat"] = d.get("lat") or None
            kw["lng"] = d.get("lng") or None
        else:
            kw["compound"] = int(d["compound"]) if d.get("compound") else None
            kw["building"] = int(d["building"]) if d.get("building") else None
        if "channel" in self.fields:
            kw.update(channel=d.get("channel"), contact_name=d.get("contact_name", ""),
                      contact_phone=d.get("contact_phone", ""))
        return kw


class ActionForm(PageForm):
    """One workflow action from the detail page; the service decides whether it is allowed."""

    action = forms.ChoiceField(choices=[(k, t.label) for k, t in TRANSITIONS.items()],
                               error_messages={"invalid_choice": _("未知操作"), "required": _("未知操作")})
    version = forms.IntegerField(min_value=1, error_messages={"required": _("页面已过期，请刷新后重试"),
                                                              "invalid": _("页面已过期，请刷新后重试")})
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label=_("内部备注（居民不可见）"), required=False)
    handler = forms.CharField(label=_("承办单位"), required=False)
    days = forms.CharField(label=_("延期工作日数"), required=False)
    rating = forms.ChoiceField(label=_("评价"), choices=[("", "")] + list(Rating.choices), required=False,
                               error_messages={"invalid_choice": _("请选择满意、基本满意或不满意")})
    duplicate_of = forms.CharField(label=_("重复于（原诉求编号）"), required=False, max_length=30)
    category = forms.CharField(label=_("分类"), required=False, max_length=40)
    departments = forms.MultipleChoiceField(label=_("召集部门"), required=False)
    photos = PhotosField(label=_("办结照片"))

    def __init__(self, *args, department_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].choices = [(str(pk), str(pk)) for pk in department_ids]
        self.fields["departments"].error_messages["invalid_choice"] = _("部门不存在或不可召集")

    def service_kwargs(self):
        d = self.cleaned_data
        kw = {"action": d["action"], "version": d["version"], "note": d.get("note", ""),
              "internal": bool(d.get("internal"))}
        if d.get("handler"):
            kw["handler"] = as_id(d["handler"]) or -1
        if d.get("days"):
            kw["days"] = d["days"]
        if d.get("rating"):
            kw["rating"] = d["rating"]
        if d.get("departments"):
            kw["departments"] = [int(x) for x in d["departments"]]
        if d.get("duplicate_of"):
            kw["duplicate_of"] = d["duplicate_of"]
        if d.get("category"):
            kw["category"] = d["category"]
        return kw


class QueueFilterForm(PageForm):
    status = forms.ChoiceField(label=_("状态"), required=False)
    category = forms.TypedChoiceField(label=_("分类"), required=False, coerce=int, empty_value=None)
    compound = forms.TypedChoiceField(label=_("小区"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("编号/标题"), required=False, max_length=50,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("编号或标题关键词")}))
    due = forms.ChoiceField(label=_("时限"), required=False, choices=[
        ("", _("不限")), ("overdue", _("已超期")), ("today", _("今日到期"))])
    handler = forms.TypedChoiceField(label=_("承办单位"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, statuses=(), categories=(), compounds=(), handlers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].choices = [("", _("全部承办单位"))] + [(o.pk, o.name) for o in handlers]
        self.fields["status"].choices = [("", _("全部状态"))] + list(statuses)
        self.fields["category"].choices = category_choices(categories, blank=False)
        self.fields["category"].choices = [("", _("全部分类"))] + self.fields["category"].choices
        self.fields["compound"].choices = [("", _("全部小区"))] + [(k.pk, k.name) for k in compounds]


RATES_FIRST_DAY, RATES_LAST_DAY = datetime.date(1, 1, 2), datetime.date(9999, 12, 30)


class RatesForm(PageForm):
    start = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                          help_text=_("含当天"))
    group = forms.ChoiceField(label=_("分组"), required=False, choices=[
        ("handler", _("按承办单位")), ("compound", _("按小区")), ("community", _("按社区")), ("category", _("按分类"))])

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        for name, day in (("start", start), ("end", end)):
            if day and not RATES_FIRST_DAY <= day <= RATES_LAST_DAY:  # the period in UTC must not overflow
                self.add_error(name, _("日期超出范围"))
                data[name] = None
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("结束日期不能早于开始日期"))
        if start and end and (end - start) > datetime.timedelta(days=3660):
            self.add_error("end", _("统计期间不能超过十年"))
        return data


# ---- admin: categories, routing rules, calendar ------------------------------------------------


class CategoryForm(PageForm):
    code = forms.CharField(label=_("编码"), max_length=40, help_text=_("英文字母、数字、下划线或连字符，唯一"))
    name = forms.CharField(label=_("名称"), max_length=50)
    name_en = forms.CharField(label=_("英文名称"), max_length=80, required=False)
    parent = forms.CharField(label=_("上级分类"), required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=AppealKind.choices)
    handler_level = forms.ChoiceField(label=_("默认承办层级"), choices=HandlerLevel.choices)
    handler_kind = forms.ChoiceField(label=_("默认承办组织类型"), choices=OrgKind.choices)
    respond_amount = forms.IntegerField(label=_("响应时限"), error_messages={"invalid": _("请输入整数")})
    respond_unit = forms.ChoiceField(label=_("响应时限单位"), choices=TimeUnit.choices)
    resolve_amount = forms.IntegerField(label=_("办结时限"), error_messages={"invalid": _("请输入整数")})
    resolve_unit = forms.ChoiceField(label=_("办结时限单位"), choices=TimeUnit.choices)
    may_be_public = forms.BooleanField(label=_("可公开"), required=False)
    confidential = forms.BooleanField(label=_("保密"), required=False,
                                      help_text=_("涉及个人情况（困难求助、纠纷、举报他人、投诉物业）：仅提交人、社区和街道工作人员、"
                                                  "所在小区网格员、承办单位及被吹哨部门可以查看，且不能公开"))
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    order = forms.IntegerField(label=_("排序"), required=False, initial=0, error_messages={"invalid": _("请输入整数")})
    description = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].widget = forms.Select(choices=[("", _("（顶级分类）"))] + category_choices(parents, blank=False))

    def service_kwargs(self):
        d = dict(self.cleaned_data)
        d["parent"] = int(d["parent"]) if d.get("parent") else None
        d["order"] = d.get("order") or 0
        return d


class RoutingRuleForm(PageForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    category = forms.CharField(label=_("分类"), required=False)
    community = forms.TypedChoiceField(label=_("社区"), required=False, coerce=int, empty_value=None)
    compound = forms.TypedChoiceField(label=_("小区"), required=False, coerce=int, empty_value=None)
    handler_kind = forms.ChoiceField(label=_("承办组织类型"), required=False)
    handler_level = forms.ChoiceField(label=_("承办层级"), required=False)
    organisation = forms.TypedChoiceField(label=_("指定承办组织"), required=False, coerce=int, empty_value=None,
                                          help_text=_("指定后优先于承办组织类型"))
    priority = forms.IntegerField(label=_("优先级"), required=False, initial=0, error_messages={"invalid": _("请输入整数")})
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, categories=(), communities=(), compounds=(), organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].widget = forms.Select(choices=[("", _("所有分类"))] + category_choices(categories, blank=False))
        self.fields["community"].choices = [("", _("所有社区"))] + [(c.pk, c.name) for c in communities]
        self.fields["compound"].choices = [("", _("所有小区"))] + [(k.pk, f"{k.community.name} · {k.name}") for k in compounds]
        self.fields["handler_kind"].choices = [("", _("（不按类型）"))] + list(OrgKind.choices)
        self.fields["handler_level"].choices = [("", _("按分类默认"))] + list(HandlerLevel.choices)
        self.fields["organisation"].choices = [("", _("（不指定）"))] + [(o.pk, o.name) for o in organisations]

    def service_kwargs(self):
        d = dict(self.cleaned_data)
        d["category"] = int(d["category"]) if d.get("category") else None
        d["priority"] = d.get("priority") or 0
        return d


class CalendarDayForm(PageForm):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           error_messages={"required": _("请选择日期"), "invalid": _("日期格式应为 2026-10-01")})
    until = forms.DateField(label=_("至（可选）"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                            help_text=_("节假日可一次登记连续多天"), error_messages={"invalid": _("日期格式应为 2026-10-07")})
    kind = forms.ChoiceField(label=_("类型"), choices=DayKind.choices)
    name = forms.CharField(label=_("名称"), max_length=50, required=False, help_text=_("例如：国庆节、国庆节调休"))
