"""A capability plugged in as docs/architecture.md says gets scoping, the checks and notifications with no code
of its own in accounts, notifications or core (tests/example_app: a model, a declaration, a timeline source).
The equivalence of the policy's three answers covers it too (tests/accounts/test_policy_equivalence.py)."""
import pytest
from django.db import transaction

from gongzhi.accounts import checks, policy
from gongzhi.accounts.capabilities import discover
from gongzhi.core import timeline
from gongzhi.notifications import tasks
from gongzhi.notifications.models import Notification

from example_app.capability import NOTICE_EDIT, NOTICE_VIEW
from example_app.models import Notice, NoticeEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(grid):
    g = grid
    return {
        "k1_public": Notice.objects.create(compound=g.K1, title="停水通知", is_public=True),
        "h1_public": Notice.objects.create(compound=g.K1, building=g.B1, household=g.H1, title="燃气入户检查",
                                          is_public=True),
        "k1_staff": Notice.objects.create(compound=g.K1, title="网格例会", author=g.grid_worker),
        "k3_public": Notice.objects.create(compound=g.K3, title="K3停电", is_public=True),
        "b1_by_property": Notice.objects.create(compound=g.K1, building=g.B1, title="电梯检修",
                                               publisher=g.property_co),
    }


def test_it_is_registered_by_its_declaration_alone():
    assert {NOTICE_VIEW, NOTICE_EDIT} <= set(discover().actions)
    assert discover().record("example_app.Notice") is not None
    assert checks.check_capabilities() == []


def test_scoping_follows_places_conditions_and_relationships(grid, notices):
    g, n = grid, notices

    def listed(user, action=NOTICE_VIEW):
        return {k for k, v in n.items() if v in policy.scoped(user, action, Notice.objects.all())}

    assert listed(g.community_worker) == {"k1_public", "h1_public", "k1_staff", "b1_by_property"}  # C is theirs
    assert listed(g.resident1) == {"h1_public"}  # public, and inside their scope (their home): not the compound's
    assert listed(g.property1) == {"b1_by_property"}  # no role over notices: their company published it
    assert listed(g.grid_worker, NOTICE_EDIT) == {"k1_staff"}  # as its author, though grid workers may not edit
    for user in (g.community_worker, g.resident1, g.property1, g.grid_worker):
        for key, notice in n.items():
            assert policy.can(user, NOTICE_VIEW, notice) == (key in listed(user)), (user, key)


def test_its_events_reach_everyone_who_may_read_the_notice(grid, notices, django_capture_on_commit_callbacks):
    g, notice = grid, notices["h1_public"]
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            event = NoticeEvent.objects.create(notice=notice, actor=g.community_worker, action="notice_publish",
                                               note="周三9点至12点停水", notify_pending=timeline.wanted())
            timeline.written(event)
    tasks.drain_notifications.call()
    told = set(Notification.objects.filter(source="notices", event_id=event.pk).values_list("recipient_id", flat=True))
    expected = set(policy.users_with(NOTICE_VIEW, notice).values_list("pk", flat=True)) - {g.community_worker.pk}
    assert told == expected and g.resident1.pk in told and g.property1.pk not in told
