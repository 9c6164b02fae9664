"""China's 2026 public holidays and adjusted working weekends (State Council notice of 2025-11-04)."""
import datetime

from django.db import migrations

HOLIDAYS = [
    ("元旦", "2026-01-01", "2026-01-03"),
    ("春节", "2026-02-15", "2026-02-23"),
    ("清明节", "2026-04-04", "2026-04-06"),
    ("劳动节", "2026-05-01", "2026-05-05"),
    ("端午节", "2026-06-19", "2026-06-21"),
    ("中秋节", "2026-09-25", "2026-09-27"),
    ("国庆节", "2026-10-01", "2026-10-07"),
]
WORKDAYS = [
    ("元旦调休", "2026-01-04"),
    ("春节调休", "2026-02-14"),
    ("春节调休", "2026-02-28"),
    ("劳动节调休", "2026-05-09"),
    ("国庆节调休", "2026-09-20"),
    ("国庆节调休", "2026-10-10"),
]


def load(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    rows = []
    for name, start, end in HOLIDAYS:
        day, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
        while day <= last:
            rows.append(CalendarDay(date=day, kind="holiday", name=name))
            day += datetime.timedelta(days=1)
    rows += [CalendarDay(date=datetime.date.fromisoformat(d), kind="workday", name=n) for n, d in WORKDAYS]
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarDay.objects.bulk_create([r for r in rows if r.date not in existing])


def unload(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.filter(date__year=2026).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_calendarday")]
    operations = [migrations.RunPython(load, unload)]
