"""When a station is open: weekly patterns, minus public holidays (when it closes on them) and closures.

Pure functions over plain values, so "open now" is computed the same way for one station and for a page of
them. Times are local to China (Asia/Shanghai, no daylight saving): a pattern's 22:00–06:00 is a night shift
that starts on its weekday and ends the next morning.
"""
import datetime
from dataclasses import dataclass

from gongzhi.core.workdays import LOCAL, calendar_between

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Pattern:
    weekday: int  # 0 Monday … 6 Sunday
    opens: datetime.time
    closes: datetime.time

    @property
    def overnight(self):
        return self.closes <= self.opens


def _at(day, t):
    return datetime.datetime.combine(day, t, tzinfo=LOCAL)


def _subtract(spans, start, end):
    out = []
    for a, b in spans:
        if b <= start or a >= end:
            out.append((a, b))
            continue
        if a < start:
            out.append((a, start))
        if b > end:
            out.append((end, b))
    return out


def _merge(spans):
    out = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def open_spans(patterns, first, last, *, holidays=frozenset(), closures=()):
    """[(start, end)] when the station is open from the start of local date `first` to the end of `last`.

    The day before `first` is read too: its night shift reaches into `first`. A holiday closes the whole
    local day, including the morning end of the night before; closures are (start, end) datetimes.
    """
    spans = []
    day = first - ONE_DAY
    while day <= last:
        for p in patterns:
            if p.weekday == day.weekday():
                spans.append((_at(day, p.opens), _at(day + ONE_DAY if p.overnight else day, p.closes)))
        day += ONE_DAY
    spans = _merge(spans)
    for h in holidays:
        spans = _subtract(spans, _at(h, datetime.time()), _at(h + ONE_DAY, datetime.time()))
    for a, b in closures:
        spans = _subtract(spans, a, b)
    window_start, window_end = _at(first, datetime.time()), _at(last + ONE_DAY, datetime.time())
    return [(max(a, window_start), min(b, window_end)) for a, b in spans if b > window_start and a < window_end]


def is_open_at(moment, patterns, *, holidays=frozenset(), closures=()):
    day = moment.astimezone(LOCAL).date()
    return any(a <= moment < b for a, b in open_spans(patterns, day, day, holidays=holidays, closures=closures))


def holidays_between(first, last):
    """The days off on the calendar that are not weekends' ordinary rest: public holidays (and their bridges)."""
    return frozenset(d for d, working in calendar_between(first, last).items() if not working)


def covers(spans, start, end):
    """Does one open span hold the whole of [start, end)?"""
    return any(a <= start and end <= b for a, b in spans)
