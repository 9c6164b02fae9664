from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(label=_("用户名或手机号"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    error_messages = {
        "invalid_login": _("用户名或密码错误。连续失败5次后账号将被锁定30分钟。"),
        "inactive": _("该账号已停用。"),
    }


class NewPasswordForm(forms.Form):
    """A new password typed twice (the rules are the services': gongzhi.accounts.passwords)."""
    new_password = forms.CharField(label=_("新密码"), strip=False,
                                   help_text=_("至少 8 位，不能全是数字，不能是常见密码。"),
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("再次输入新密码"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class PasswordChangeForm(NewPasswordForm):
    old_password = forms.CharField(label=_("当前密码"), strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    field_order = ["old_password"]


class MobileForm(forms.Form):
    mobile = forms.CharField(label=_("手机号"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "autofocus": True}))


class RecoverForm(NewPasswordForm):
    code = forms.CharField(label=_("验证码"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                         "autofocus": True}))
    field_order = ["code"]
