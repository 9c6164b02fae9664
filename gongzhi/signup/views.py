"""Sign-up pages: the public two steps, the reviewers' list and decision, the applicant's own state."""
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from gongzhi.accounts.forms import MobileForm
from gongzhi.accounts.policy import can, get_or_404
from gongzhi.accounts.views_recover import code_step
from gongzhi.core.forms import add_service_errors
from gongzhi.core.identity import mask_mobile

from . import selectors, services
from .capability import SIGNUP_REVIEW
from .forms import ConfirmForm, RefuseForm, SignupForm
from .models import SignupRequest

SESSION_KEY = "gongzhi_signup_mobile"
BACKEND = "gongzhi.accounts.backends.UsernameOrMobileBackend"


def neutral_sent():
    return _("验证码已发送，10分钟内有效。如该手机号已注册，您会收到提示短信，请直接登录或找回密码。")


@never_cache
def start(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = MobileForm(request.POST or None)
    done, status = code_step(request, form, lambda mobile: services.signup_code(mobile=mobile, request=request),
                             session_key=SESSION_KEY, sent=neutral_sent(), then="signup:details")
    return done or render(request, "signup/start.html", {"form": form}, status=status)


@sensitive_post_parameters()
@never_cache
def details(request):
    if request.user.is_authenticated:
        return redirect("home")
    mobile = request.session.get(SESSION_KEY)
    if not mobile:
        return redirect("signup:start")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if d["household"] not in {h.pk for h in selectors.households(d["building"])} or \
                d["building"] not in {b.pk for b in selectors.buildings(d["compound"])}:
            form.add_error("household", _("请选择该楼栋的房号"))
        else:
            try:
                signup = services.signup_submit(mobile=mobile, code=d["code"], name=d["name"], password=d["password"],
                                                household=d["household"], request=request)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                request.session.pop(SESSION_KEY, None)
                login(request, signup.user, backend=BACKEND)
                messages.success(request, _("注册成功！网格员确认您的住址后，即可查看本户信息。现在已可提交诉求。"))
                return redirect("home")
    return render(request, "signup/details.html", {"form": form, "masked": mask_mobile(mobile)},
                  status=400 if form.errors else 200)


def options(request):
    """The <option>s under a chosen compound (its buildings) or building (its rooms), for the chooser."""
    compound, building = request.GET.get("compound"), request.GET.get("building")
    if compound is not None:
        items = selectors.buildings(int(compound) if compound.isdigit() else None)
        return render(request, "signup/options.html", {"items": [(b.pk, b.name) for b in items],
                                                        "blank": _("请选择楼栋"), "reset_households": True})
    items = selectors.households(int(building) if (building or "").isdigit() else None)
    return render(request, "signup/options.html", {"items": [(h.pk, h.code) for h in items], "blank": _("请选择房号")})


@never_cache
@login_required
def review_list(request):
    if not can(request.user, SIGNUP_REVIEW):
        raise Http404
    pending = list(selectors.to_review(request.user)[:200])
    return render(request, "signup/list.html", {"signups": pending})


def _detail_context(request, signup, confirm_form=None, refuse_form=None):
    residents = list(selectors.household_residents(request.user, signup))
    return {"signup": signup, "applicant_phone": signup.user.phone_masked,
            "residents": [{"r": r, "same_phone": services.phone_matches(signup, r),
                           "has_account": getattr(r, "account", None) is not None} for r in residents],
            "confirm_form": confirm_form or ConfirmForm(residents=residents),
            "refuse_form": refuse_form or RefuseForm()}


@never_cache
@login_required
def review_detail(request, pk):
    signup = get_or_404(request.user, SIGNUP_REVIEW, SignupRequest.objects.select_related(*selectors.RELATED), pk=pk)
    return render(request, "signup/detail.html", _detail_context(request, signup))


def _decide(request, pk, decision):
    signup = get_or_404(request.user, SIGNUP_REVIEW, SignupRequest.objects.select_related(*selectors.RELATED), pk=pk)
    residents = list(selectors.household_residents(request.user, signup))
    confirm_form, refuse_form = None, None
    if decision == "confirm":
        form = confirm_form = ConfirmForm(request.POST, residents=residents)
    else:
        form = refuse_form = RefuseForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            if decision == "confirm":
                services.signup_confirm(user=request.user, signup=signup, resident=form.cleaned_data["resident"],
                                        relation=form.cleaned_data["relation"] or "other", request=request)
                messages.success(request, _("已确认，申请人现在可以查看本户信息。"))
            else:
                services.signup_refuse(user=request.user, signup=signup, reason=form.cleaned_data["reason"],
                                       request=request)
                messages.success(request, _("已标记为未通过，申请人会在首页看到原因。"))
            return redirect("signup:review_list")
        except ValidationError as e:
            add_service_errors(form, e)
        except services.Conflict as e:
            form.add_error(None, e.message)
            status = 409
    return render(request, "signup/detail.html", _detail_context(request, signup, confirm_form, refuse_form),
                  status=status)


@require_POST
@login_required
def confirm(request, pk):
    return _decide(request, pk, "confirm")


@require_POST
@login_required
def refuse(request, pk):
    return _decide(request, pk, "refuse")
