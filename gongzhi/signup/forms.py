from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from gongzhi.people.models import Relation

from . import selectors


class SignupForm(forms.Form):
    """The second step: the code, who they are, where they live, their password. The place is chosen compound →
    building → room (the choices follow the one above, through htmx), checked here as one chain."""

    code = forms.CharField(label=_("验证码"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
    name = forms.CharField(label=_("姓名"), max_length=50, help_text=_("请填写真实姓名，网格员将据此核对户籍登记。"),
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    compound = forms.TypedChoiceField(label=_("小区"), coerce=int)
    building = forms.TypedChoiceField(label=_("楼栋"), coerce=int)
    household = forms.TypedChoiceField(label=_("房号"), coerce=int)
    password = forms.CharField(label=_("密码"), strip=False, help_text=_("至少 8 位，不能全是数字，不能是常见密码。"),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("再次输入密码"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        data = self.data
        compound, building = data.get("compound"), data.get("building")
        self.fields["compound"].choices = [("", _("请选择小区"))] + [
            (k.pk, f"{k.community.name} · {k.name}") for k in selectors.compounds()]
        self.fields["building"].choices = [("", _("请选择楼栋"))] + [
            (b.pk, b.name) for b in selectors.buildings(int(compound) if str(compound or "").isdigit() else None)]
        self.fields["household"].choices = [("", _("请选择房号"))] + [
            (h.pk, h.code) for h in selectors.households(int(building) if str(building or "").isdigit() else None)]
        self.fields["compound"].widget.attrs.update({"hx-get": reverse_lazy("signup:options"), "hx-target": "#id_building",
                                                     "hx-include": "this"})
        self.fields["building"].widget.attrs.update({"hx-get": reverse_lazy("signup:options"), "hx-target": "#id_household",
                                                     "hx-include": "this"})
        self.fields["compound"].error_messages["invalid_choice"] = _("请从列表中选择小区")
        self.fields["building"].error_messages["invalid_choice"] = _("请选择该小区的楼栋")
        self.fields["household"].error_messages["invalid_choice"] = _("请选择该楼栋的房号")

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class ConfirmForm(forms.Form):
    """Link to a registered resident of the household (`resident`), or register them anew (`relation`)."""

    resident = forms.TypedChoiceField(label=_("对应的登记居民"), coerce=int, required=False, empty_value=None,
                                      widget=forms.RadioSelect)
    relation = forms.ChoiceField(label=_("与户主关系（新登记时）"), choices=Relation.choices, initial=Relation.OTHER,
                                 required=False)

    def __init__(self, *args, residents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].choices = [("", _("都不是，登记为该户新居民"))] + [(r.pk, r.name) for r in residents]


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("未通过原因"), max_length=200,
                             help_text=_("申请人会看到这段话，请写明原因和下一步怎么办。"),
                             widget=forms.Textarea(attrs={"rows": 3}))
