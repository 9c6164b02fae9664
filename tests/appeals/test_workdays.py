import datetime

import pytest

from gongzhi.core.models import CalendarDay
from gongzhi.core.workdays import LOCAL, add_working_days, is_working_day, local_date, working_days_between


def at(y, m, d, h=10):
    return datetime.datetime(y, m, d, h, tzinfo=LOCAL)


@pytest.mark.django_db
class TestWorkingDays:
    def test_plain_week(self):
        # Monday 2026-11-23 + 2 working days ends Wednesday night
        due = add_working_days(at(2026, 11, 23), 2)
        assert due.date() == datetime.date(2026, 11, 25)
        assert (due.hour, due.minute) == (23, 59)

    def test_weekend_skipped(self):
        # Friday 2026-11-27 + 1 working day is Monday 30th
        assert add_working_days(at(2026, 11, 27), 1).date() == datetime.date(2026, 11, 30)

    def test_national_day_holiday_and_adjusted_weekend(self):
        # Received Friday 2026-09-18. Sunday 20 Sept is an adjusted working day, 1-7 Oct are off,
        # Saturday 10 Oct is worked.
        start = at(2026, 9, 18)
        assert add_working_days(start, 1).date() == datetime.date(2026, 9, 20)
        # 21,22,23,24 Sept working (Mon-Thu); 25-27 Mid-Autumn off; 28,29,30 working
        assert add_working_days(start, 8).date() == datetime.date(2026, 9, 30)
        assert add_working_days(start, 9).date() == datetime.date(2026, 10, 8)
        assert add_working_days(start, 11).date() == datetime.date(2026, 10, 10)

    def test_spring_festival(self):
        # Friday 13 Feb 2026: Saturday 14th is worked, 15-23 off.
        start = at(2026, 2, 13)
        assert add_working_days(start, 1).date() == datetime.date(2026, 2, 14)
        assert add_working_days(start, 2).date() == datetime.date(2026, 2, 24)

    def test_admin_edits_take_effect(self):
        day = datetime.date(2026, 12, 1)  # a Tuesday
        assert is_working_day(day)
        CalendarDay.objects.create(date=day, kind="holiday", name="test")
        assert not is_working_day(day)
        assert add_working_days(at(2026, 11, 30), 1).date() == datetime.date(2026, 12, 2)

    def test_between(self):
        assert working_days_between(at(2026, 9, 30), at(2026, 10, 8)) == 1
        assert working_days_between(at(2026, 10, 8), at(2026, 9, 30)) == -1

    def test_time_zone_of_receipt(self):
        # 16:30 UTC on Sunday is already Monday in Shanghai: counting starts from Monday, so the first
        # working day after it is Tuesday (counted from Sunday it would be Monday).
        start = datetime.datetime(2026, 11, 29, 16, 30, tzinfo=datetime.timezone.utc)
        assert local_date(start) == datetime.date(2026, 11, 30)
        assert add_working_days(start, 1).date() == datetime.date(2026, 12, 1)

    def test_a_deadline_ends_at_the_last_second_of_the_day_in_shanghai(self):
        due = add_working_days(at(2026, 11, 23), 2)
        assert due == datetime.datetime(2026, 11, 25, 23, 59, 59, tzinfo=LOCAL)
        assert due.utcoffset() == datetime.timedelta(hours=8)
        assert add_working_days(at(2026, 11, 23), 0) == datetime.datetime(2026, 11, 23, 23, 59, 59, tzinfo=LOCAL)

    def test_between_counts_every_working_day_of_the_span(self):
        monday, friday = at(2026, 11, 23), at(2026, 11, 27)
        assert [working_days_between(monday, friday), working_days_between(friday, monday)] == [4, -4]
        assert working_days_between(monday, at(2026, 11, 23, 22)) == 0
        # Friday 18 Sept to Saturday 10 Oct: the adjusted Sunday and Saturday count, the holidays do not.
        assert working_days_between(at(2026, 9, 18), at(2026, 10, 10)) == 11

    def test_a_long_count_meets_every_holiday_on_its_way(self):
        """However far a count reaches (here some 420 days), the calendar it reads reaches as far."""
        start = at(2026, 11, 23)
        before = add_working_days(start, 300)
        holiday = local_date(before) - datetime.timedelta(days=7)  # more than 400 days ahead, a weekday
        assert holiday - local_date(start) > datetime.timedelta(days=400) and holiday.weekday() < 5
        CalendarDay.objects.create(date=holiday, kind="holiday", name="test")
        due = add_working_days(start, 300)
        assert due > before and is_working_day(local_date(due))
        assert working_days_between(start, due) == 300

    def test_a_count_reads_the_calendar_once_whatever_its_span(self):
        """Outside a request each read of the calendar asks whether it changed (core.reference): a count reads it
        once, not once a day, and a count of none reads nothing."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        start, end = at(2026, 9, 18), at(2026, 10, 20)
        for count in (lambda: add_working_days(start, 20), lambda: working_days_between(start, end),
                      lambda: working_days_between(end, start)):
            count()  # the calendar loaded, whatever ran before
            with CaptureQueriesContext(connection) as ctx:
                count()
            assert len(ctx.captured_queries) == 1, [q["sql"] for q in ctx.captured_queries]
        with CaptureQueriesContext(connection) as ctx:
            assert add_working_days(start, 0) == datetime.datetime(2026, 9, 18, 23, 59, 59, tzinfo=LOCAL)
        assert not ctx.captured_queries


@pytest.mark.django_db
def test_both_deadlines_from_one_calendar_read(grid):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gongzhi.appeals.services import deadlines

    friday = at(2026, 9, 18)
    with CaptureQueriesContext(connection) as ctx:
        respond, resolve = deadlines(friday, grid.policy_q)  # 1 wd and 2 wd
    assert sum("core_calendarday" in q["sql"] for q in ctx.captured_queries) == 1
    assert respond.date() == datetime.date(2026, 9, 20)  # the adjusted working Sunday
    assert resolve.date() == datetime.date(2026, 9, 21)
    gas = grid.lift.__class__.objects.get(code="gas_leak")  # both in hours: no calendar at all
    with CaptureQueriesContext(connection) as ctx:
        respond, resolve = deadlines(friday, gas)
    assert not ctx.captured_queries and resolve == friday + datetime.timedelta(hours=2)
