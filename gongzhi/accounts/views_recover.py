"""Choosing a new password by a code texted to one's mobile ("忘记密码" on the login page).

The number is kept in the session between the two steps, never in a URL. Both steps answer alike whether the
number has an account (gongzhi.accounts.codes)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from gongzhi.core.forms import add_service_errors
from gongzhi.core.identity import mask_mobile, normalise_mobile

from . import services
from .codes import TooMany, code_request
from .forms import MobileForm, RecoverForm
from .models import CodePurpose

SESSION_KEY = "gongzhi_recover_mobile"


def neutral_sent():
    return _("如果该手机号已注册，验证码已发送，10分钟内有效。")


def code_step(request, form, send, *, session_key, sent, then):
    """The first step of a flow by texted code (recovery here, sign-up in gongzhi.signup): `send(mobile)` texts
    it, the number is kept in the session under `session_key` (never in a URL), the `sent` message shown, and
    on to `then`. (response, None) once sent; else (None, status): the form's errors, 429 when asked too often."""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            send(form.cleaned_data["mobile"])
        except ValidationError as e:
            form.add_error("mobile", e)
        except TooMany as e:
            form.add_error(None, e.message)
            status = 429
        else:
            request.session[session_key] = normalise_mobile(form.cleaned_data["mobile"])
            messages.info(request, sent)
            return redirect(then), None
    return None, 400 if form.errors and status == 200 else status


@never_cache
def recover_start(request):
    form = MobileForm(request.POST or None)
    done, status = code_step(
        request, form, lambda mobile: code_request(purpose=CodePurpose.RECOVERY, mobile=mobile, request=request),
        session_key=SESSION_KEY, sent=neutral_sent(), then="password_recover_code")
    return done or render(request, "accounts/recover.html", {"form": form, "step": 1}, status=status)


@sensitive_post_parameters()
@never_cache
def recover_code(request):
    mobile = request.session.get(SESSION_KEY)
    if not mobile:
        return redirect("password_recover")
    form = RecoverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_recover(mobile=mobile, code=form.cleaned_data["code"],
                                      new_password=form.cleaned_data["new_password"], request=request)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, _("密码已重设，请用新密码登录。其他设备上的登录已退出。"))
            return redirect("login")
    return render(request, "accounts/recover.html", {"form": form, "step": 2, "masked": mask_mobile(mobile)},
                  status=400 if form.errors else 200)
