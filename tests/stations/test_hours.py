"""Opening hours: weekly patterns, nights across midnight, holidays from the calendar, temporary closures."""
import datetime

import pytest

from gongzhi.core.models import CalendarDay, DayKind
from gongzhi.core.reference import bump
from gongzhi.stations import selectors, services
from gongzhi.stations.hours import Pattern, is_open_at, open_spans

from .conftest import local

T = datetime.time
MON = datetime.date(2026, 3, 2)  # a Monday
NIGHT = [Pattern(0, T(22), T(6))]  # Monday 22:00 to Tuesday 06:00


def test_a_night_shift_runs_into_the_next_morning():
    assert is_open_at(local(MON, 23, 30), NIGHT)
    assert is_open_at(local(MON + datetime.timedelta(days=1), 5, 59), NIGHT)
    assert not is_open_at(local(MON + datetime.timedelta(days=1), 6, 0), NIGHT)  # closes at 06:00 sharp
    assert not is_open_at(local(MON, 21, 59), NIGHT)
    assert not is_open_at(local(MON, 5, 0), NIGHT)  # Sunday night has no pattern


def test_open_now_is_computed_in_china_time_whatever_the_zone_of_the_moment():
    utc_moment = local(MON, 23, 0).astimezone(datetime.timezone.utc)  # 15:00 UTC on Monday
    assert is_open_at(utc_moment, NIGHT)
    assert not is_open_at(local(MON, 15, 0), NIGHT)


def test_whole_day_and_day_spans():
    all_day = [Pattern(d, T(0), T(0)) for d in range(7)]
    assert open_spans(all_day, MON, MON) == [(local(MON, 0), local(MON + datetime.timedelta(days=1), 0))]
    office = [Pattern(0, T(8, 30), T(17, 30))]
    assert open_spans(office, MON, MON) == [(local(MON, 8, 30), local(MON, 17, 30))]


def test_a_holiday_closes_the_whole_day_including_the_end_of_the_night_before():
    tue = MON + datetime.timedelta(days=1)
    assert is_open_at(local(tue, 3), NIGHT)
    assert not is_open_at(local(tue, 3), NIGHT, holidays={tue})
    assert is_open_at(local(MON, 23), NIGHT, holidays={tue})  # Monday itself is no holiday


def test_a_closure_cuts_a_span_and_leaves_the_rest():
    closure = (local(MON, 23), local(MON + datetime.timedelta(days=1), 1))
    spans = open_spans(NIGHT, MON, MON + datetime.timedelta(days=1), closures=[closure])
    assert spans == [(local(MON, 22), local(MON, 23)), (local(MON + datetime.timedelta(days=1), 1),
                                                         local(MON + datetime.timedelta(days=1), 6))]


@pytest.mark.django_db
def test_open_now_reads_the_calendar_closures_and_status(cast, make_station):
    night = [(d, T(22), T(6)) for d in range(7)]
    s = make_station(hours=night, closed_on_holidays=True)
    other = make_station(name="不闭站", hours=night)
    soon = make_station(name="即将开放", hours=night, status="soon")
    at = local(MON, 23)
    stations = list(selectors.public_stations().prefetch_related("hours"))
    assert selectors.open_now(stations, at) == {s.pk: True, other.pk: True, soon.pk: False}
    CalendarDay.objects.create(date=MON, kind=DayKind.HOLIDAY, name="测试假日")
    bump()
    assert selectors.open_now(stations, at) == {s.pk: False, other.pk: True, soon.pk: False}
    services.closure_add(user=cast.community_worker, station_id=other.pk, starts_at=local(MON, 22, 30),
                         ends_at=local(MON, 23, 30), reason="设备检修", now=local(MON, 8))
    assert selectors.open_now(stations, at) == {s.pk: False, other.pk: False, soon.pk: False}
    assert selectors.open_now(stations, local(MON, 23, 45))[other.pk] is True
