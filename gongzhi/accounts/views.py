"""The signed-in user's own account pages."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.i18n import set_language as switch_language

from gongzhi.core.forms import add_service_errors

from . import services
from .display import ELDER_CHOSEN_KEY, remember_on_device
from .forms import PasswordChangeForm
from .models import User


@sensitive_post_parameters()
@never_cache
@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(user=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password"], request=request)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            update_session_auth_hash(request, request.user)  # this session goes on; the others end
            messages.success(request, _("密码已修改。其他设备上的登录已退出。"))
            return redirect("home")
    return render(request, "accounts/password.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@login_required
def keepalive(request):
    """The page's "继续使用": a request, so the idle clock starts again (SESSION_SAVE_EVERY_REQUEST). A session
    that has already ended answers with the login page instead, which the page takes as the end."""
    return HttpResponse(status=204)


def set_language(request):
    """The site's language switch (Django's), remembered on the account too: the messages and e-mails the
    worker writes for this person are then in their language."""
    response = switch_language(request)
    chosen = request.POST.get("language") if request.method == "POST" else None
    user = request.user
    if user.is_authenticated and chosen in dict(settings.LANGUAGES) and user.language != chosen:
        User.objects.filter(pk=user.pk).update(language=chosen)
    return response


ELDER_CHOICES = {"on": True, "off": False}


@never_cache
def elder_mode(request):
    """The 长辈版 switch in the header: on the account when signed in, else on this device (and taken into the
    account at the next login). Back to the page it was pressed on."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    nxt = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        nxt = "/"
    choice = ELDER_CHOICES.get(request.POST.get("elder", ""))
    if choice is None:
        messages.error(request, _("请选择开启或关闭长辈版。"))
        return redirect(nxt)
    if request.user.is_authenticated:
        services.elder_mode_set(user=request.user, on=choice, request=request)
    else:
        request.session[ELDER_CHOSEN_KEY] = choice
    messages.success(request, _("已开启长辈版：字更大，颜色更清楚。") if choice else _("已切换到标准版。"))
    return remember_on_device(redirect(nxt), choice)


class LogoutView(auth_views.LogoutView):
    """Django's logout; the device keeps the 长辈版 its user had, so the login page stays as they read it."""

    def post(self, request, *args, **kwargs):
        on = getattr(request.user, "elder_mode", None)
        response = super().post(request, *args, **kwargs)
        return response if on is None else remember_on_device(response, on)
