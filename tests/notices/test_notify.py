"""Publishing tells every reader once, in bulk: the drain's queries do not grow with the number of readers."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.grid.models import Household
from gongzhi.notices.timeline import LABEL
from gongzhi.notifications import tasks
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _residents(grid, n, start=0):
    for i in range(start, start + n):
        hh = Household.objects.create(building=grid.B1, code=f"9{i:03d}", address=f"宁江新城一期1栋9{i:03d}")
        u = User.objects.create_user(username=f"reader{i}")
        RoleAssignment.objects.create(user=u, role=Role.RESIDENT, household=hh)


def _publish_and_drain(put_up, capture, title):
    with capture(execute=True):
        notice = put_up(title=title)
    with CaptureQueriesContext(connection) as q:
        tasks.drain_notifications.call()
    return notice, len(q)


def test_readers_are_told_once_each_and_the_publisher_not(grid, put_up, django_capture_on_commit_callbacks):
    g = grid
    with django_capture_on_commit_callbacks(execute=True):
        notice = put_up([g.K1], title="一期停水")
    tasks.drain_notifications.call()
    told = set(Notification.objects.filter(source=LABEL, subject_id=notice.pk).values_list("recipient_id", flat=True))
    assert g.resident1.pk in told and g.grid_worker.pk in told and g.property1.pk in told
    assert g.resident2.pk not in told  # K2
    assert g.community_worker.pk not in told  # published it
    n = Notification.objects.get(source=LABEL, recipient=g.resident1)
    assert n.title == "新公告：一期停水" and n.url == f"/notices/{notice.pk}/"


def test_drafts_tell_nobody(grid, put_up, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        put_up(publish=False)
    tasks.drain_notifications.call()
    assert not Notification.objects.filter(source=LABEL).exists()


def test_the_fan_out_costs_the_same_queries_for_ten_readers_or_sixty(grid, put_up,
                                                                    django_capture_on_commit_callbacks):
    _residents(grid, 10)
    few, few_queries = _publish_and_drain(put_up, django_capture_on_commit_callbacks, "第一则")
    _residents(grid, 50, start=10)
    many, many_queries = _publish_and_drain(put_up, django_capture_on_commit_callbacks, "第二则")
    count = Notification.objects.filter(source=LABEL).values("event_id").distinct().count
    assert count() == 2
    assert Notification.objects.filter(source=LABEL, subject_id=many.pk).count() \
        == Notification.objects.filter(source=LABEL, subject_id=few.pk).count() + 50
    assert many_queries == few_queries, (few_queries, many_queries)


def test_a_reader_may_take_notices_in_the_digest_and_a_withdrawn_one_drops_out(grid, put_up,
                                                                              django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    from gongzhi.notices import services
    from gongzhi.notifications import digest, preferences
    from gongzhi.notifications.models import DIGEST_SOURCE, DigestEntry

    g = grid
    preferences.preferences_set(user=g.resident1, items=[{"source": LABEL, "action": "notice_publish",
                                                          "delivery": "digest"}])
    with django_capture_on_commit_callbacks(execute=True):
        kept = put_up([g.K1], title="一期停水")
        gone = put_up([g.K1], title="一期停电")
    tasks.drain_notifications.call()
    assert not Notification.objects.filter(source=LABEL, recipient=g.resident1).exists()
    assert DigestEntry.objects.filter(source=LABEL, recipient=g.resident1).count() == 2
    assert Notification.objects.filter(source=LABEL, recipient=g.resident2).count() == 0  # K2: not a reader
    services.notice_withdraw(user=g.community_worker, notice_id=gone.pk, version=gone.version)
    digest.build_digests(now=timezone.now() + datetime.timedelta(days=1))
    [d] = Notification.objects.filter(recipient=g.resident1, source=DIGEST_SOURCE)
    assert d.title == "每日汇总：1 条新公告"
    assert list(d.entries.values_list("url", flat=True)) == [f"/notices/{kept.pk}/"]
