"""The three rates page (三率): response, resolution and satisfaction rates over a period, grouped."""
import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import can
from .capability import APPEAL_VIEW
from gongzhi.core.workdays import LOCAL, local_date

from . import rates, selectors
from .forms import RatesForm


def _month_start(day):
    return day.replace(day=1)


@login_required
def rates_page(request):
    user = request.user
    if not can(user, APPEAL_VIEW):
        raise Http404
    today = local_date(timezone.now())
    form = RatesForm(request.GET or None)
    start, end, group = _month_start(today), today, "handler"
    if form.is_bound and form.is_valid():
        start = form.cleaned_data.get("start") or start
        end = form.cleaned_data.get("end") or (end if not form.cleaned_data.get("start") else today)
        group = form.cleaned_data.get("group") or group
        if end < start:
            end = start
    elif not form.is_bound:
        form = RatesForm(initial={"start": start, "end": end, "group": group})
    begin = datetime.datetime.combine(start, datetime.time.min, tzinfo=LOCAL)
    finish = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=LOCAL)
    rows, total = selectors.appeal_rates(user, group, begin, finish)
    for r in rows:
        if r["key"] is None and group == "handler":
            r["name"] = _("（未派单）")
    for r in rows + [total]:
        for key in ("response_rate", "resolution_rate", "satisfaction_rate"):
            rate = r[key]["rate"]
            r[key]["pct"] = "—" if rate is None else f"{rate * 100:.1f}%"
    last_month_end = _month_start(today) - datetime.timedelta(days=1)
    presets = [
        (_("本月"), _month_start(today), today),
        (_("上月"), _month_start(last_month_end), last_month_end),
        (_("近90天"), today - datetime.timedelta(days=89), today),
        (_("今年"), today.replace(month=1, day=1), today),
    ]
    return render(request, "appeals/rates.html", {
        "form": form, "rows": rows, "total": total, "group": group, "start": start, "end": end,
        "definitions": rates.DEFINITIONS, "presets": presets,
        "group_label": dict(form.fields["group"].choices).get(group),
    })
