"""Forms of the household, resident and tag pages.

They parse and render only: the rules (ID check digit, mobile format, floor
area range, uniqueness) live in the services, whose ValidationErrors are put
back on the form with `add_service_errors`.
"""
from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.grid.models import Tenure

from .models import Relation


class NoEchoInput(forms.TextInput):
    """A text box that never sends its value back: a full ID or phone number is not echoed into a page."""

    def format_value(self, value):
        return None


class HouseholdForm(forms.Form):
    code = forms.CharField(label=_("房号"), max_length=32)
    address = forms.CharField(label=_("地址"), max_length=200)
    # Text, not a DecimalField: the service gives the one message for every bad value.
    floor_area = forms.CharField(label=_("专有面积（m²）"), required=False, max_length=20,
                                 widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    tenure = forms.ChoiceField(label=_("产权状态"), choices=Tenure.choices)


class ResidentForm(forms.Form):
    """A new resident of a household."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices, initial=Relation.OTHER)
    id_number = forms.CharField(label=_("身份证号"), required=False, max_length=30,
                                widget=NoEchoInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label=_("手机号"), required=False, max_length=20,
                            widget=NoEchoInput(attrs={"autocomplete": "off", "inputmode": "tel"}))
    note = forms.CharField(label=_("备注"), required=False, max_length=500)


class ResidentEditForm(forms.Form):
    """Changes to a resident. ID number and phone are never filled in: left empty, they stay as they are."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices)
    id_number = forms.CharField(label=_("新身份证号"), required=False, max_length=30,
                                help_text=_("留空则不修改"), widget=NoEchoInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label=_("新手机号"), required=False, max_length=20, help_text=_("留空则不修改"),
                            widget=NoEchoInput(attrs={"autocomplete": "off", "inputmode": "tel"}))
    note = forms.CharField(label=_("备注"), required=False, max_length=500)
    tags = forms.MultipleChoiceField(label=_("关注标签"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].choices = [(t.code, t.name) for t in tags]


class TagForm(forms.Form):
    code = forms.SlugField(label=_("编码"), max_length=40, help_text=_("英文字母、数字、下划线，如 elderly_alone"))
    name = forms.CharField(label=_("名称"), max_length=50)
    name_en = forms.CharField(label=_("英文名称"), max_length=80, required=False)
    sensitive = forms.BooleanField(label=_("敏感标签"), required=False,
                                   help_text=_("敏感标签（如低保）仅对可查看身份证明文的角色显示"))


class TagEditForm(TagForm):
    """Rename or re-mark an existing tag; its code stays."""

    code = None


class SearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    tag = forms.ChoiceField(label=_("关注标签"), required=False)

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("全部标签"))] + [(t.code, t.name) for t in tags]
