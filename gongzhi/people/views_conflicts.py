"""The community's queue of registration conflicts (people.conflicts): list, detail, resolve."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gongzhi.accounts.policy import can
from .capability import FIND_BY_ID, RESIDENT_CHANGE
from gongzhi.grid.tree import ancestors

from . import conflicts, selectors
from gongzhi.core.forms import add_service_errors
from .models import ConflictStatus

PAGE_SIZE = 30


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(choices=[("move", gettext_lazy("迁入")), ("dismiss", gettext_lazy("驳回"))],
                                 widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("处理说明"), required=False, max_length=conflicts.NOTE_MAX)


@login_required
def conflict_list(request):
    user = request.user
    if not can(user, FIND_BY_ID):
        raise Http404
    show_all = request.GET.get("status") == "all"
    qs = selectors.registration_conflicts_for(user, status=None if show_all else ConflictStatus.PENDING)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/conflicts.html", {"page": page, "show_all": show_all})


def _detail(request, conflict, *, form=None, status=200):
    user = request.user
    pending = conflict.status == ConflictStatus.PENDING
    return render(request, "people/conflict.html", {
        "conflict": conflict, "form": form or ResolveForm(), "pending": pending,
        "may_move": pending and conflict.subject_id is None and can(user, RESIDENT_CHANGE, conflict.existing)
        and can(user, RESIDENT_CHANGE, conflict.household),
        "household_crumbs": ancestors(conflict.household),
    }, status=status)


@login_required
def conflict_detail(request, pk):
    return _detail(request, selectors.registration_conflict_or_404(request.user, pk))


@login_required
@require_POST
def conflict_resolve(request, pk):
    conflict = selectors.registration_conflict_or_404(request.user, pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            conflicts.registration_conflict_resolve(user=request.user, conflict=conflict, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("已迁入登记的户") if form.cleaned_data["decision"] == "move" else _("已驳回"))
            return redirect("people:conflict", pk=conflict.pk)
    return _detail(request, conflict, form=form, status=400)
