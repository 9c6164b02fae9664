"""Who reads which notice: residents and staff of the places it is put up for, once published; editors also
their drafts; nobody else, not even by id."""
import datetime

import pytest
from django.utils import timezone

from gongzhi.accounts import policy
from gongzhi.core.models import AuditEntry
from gongzhi.notices import selectors, services
from gongzhi.notices.capability import NOTICE_EDIT, NOTICE_VIEW
from gongzhi.notices.models import Notice, Status

pytestmark = pytest.mark.django_db


def titles(qs):
    return set(qs.values_list("title", flat=True))


def test_a_community_notice_reaches_its_residents_and_staff_not_the_next_community(grid, put_up):
    g = grid
    put_up([g.C], title="新城停水")
    put_up([g.C2], by=g.street_admin, title="东风停电")
    for user in (g.resident1, g.resident2, g.grid_worker, g.property1, g.owners1, g.member1, g.community_worker,
                 g.street_admin):
        assert "新城停水" in titles(selectors.current(user)), user.username
    assert titles(selectors.current(g.resident1)) == {"新城停水"}  # 东风's notice is not theirs
    assert titles(selectors.current(g.street_admin)) == {"新城停水", "东风停电"}
    for user in (g.rider1, g.nobody):
        assert titles(selectors.current(user)) == set()
        assert not policy.can(user, NOTICE_VIEW)


def test_a_compound_notice_stays_in_its_compound(grid, put_up):
    g = grid
    put_up([g.K1], title="一期电梯检修")
    assert titles(selectors.current(g.resident1)) == {"一期电梯检修"}
    assert titles(selectors.current(g.resident2)) == set()  # lives in K2
    assert titles(selectors.current(g.grid_worker)) == {"一期电梯检修"}


def test_a_subdistrict_notice_reaches_every_community_below_it(grid, put_up):
    g = grid
    n = put_up([g.S], by=g.street_admin, title="街道爱国卫生运动")
    for user in (g.resident1, g.resident2, g.community_worker, g.grid_worker):
        assert titles(selectors.current(user)) == {"街道爱国卫生运动"}
    # Seen from below, but not the community's to change.
    assert not policy.can(g.community_worker, NOTICE_EDIT, n)
    assert policy.can(g.street_admin, NOTICE_EDIT, n)


def test_a_community_worker_may_not_put_a_notice_up_outside_their_community(grid):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as e:
        services.notice_create(user=grid.community_worker, title="越界", body="正文", reach=[f"community:{grid.C2.pk}"])
    assert "reach" in e.value.message_dict
    with pytest.raises(Exception):  # handed nodes directly, the policy still refuses (404)
        services.notice_create(user=grid.community_worker, title="越界", body="正文", reach=[grid.K3])
    assert not Notice.objects.filter(title="越界").exists()


def test_drafts_and_withdrawn_notices_are_the_editors_alone(grid, put_up):
    g = grid
    draft = put_up(publish=False, title="草稿")
    gone = put_up(title="撤回的")
    services.notice_withdraw(user=g.community_worker, notice_id=gone.pk, version=gone.version)
    for user in (g.resident1, g.grid_worker, g.property1):
        assert titles(selectors.readable(user)) == set()
        assert selectors.get(user, draft.pk) is None
    assert titles(selectors.readable(g.community_worker)) == {"草稿", "撤回的"}
    assert titles(selectors.listing(g.community_worker, "drafts")) == {"草稿"}
    assert titles(selectors.listing(g.community_worker, "withdrawn")) == {"撤回的"}
    # The sub-district's draft is not shown to the community below it (context reads published notices only).
    put_up([g.S], by=g.street_admin, publish=False, title="街道草稿")
    assert "街道草稿" not in titles(selectors.readable(g.community_worker))


def test_expired_notices_leave_the_current_list_but_stay_readable(grid, put_up):
    g = grid
    soon = timezone.now() + datetime.timedelta(hours=1)
    put_up(title="将过期", expires_at=soon)
    put_up(title="长期有效")
    later = timezone.now() + datetime.timedelta(hours=2)
    assert titles(selectors.current(g.resident1, now=later)) == {"长期有效"}
    assert titles(selectors.listing(g.resident1, "expired", now=later)) == {"将过期"}
    assert titles(selectors.current(g.resident1)) == {"将过期", "长期有效"}


def test_current_notices_come_pinned_first_then_newest(grid, put_up):
    g = grid
    old = put_up(title="旧的")
    put_up(title="新的")
    services.notice_pin(user=g.community_worker, notice_id=old.pk, version=Notice.objects.get(pk=old.pk).version,
                        pinned=True)
    put_up(title="最新的")
    assert [n.title for n in selectors.current(g.resident1)] == ["旧的", "最新的", "新的"]


def test_two_editors_one_winner(grid, put_up):
    g = grid
    n = put_up(publish=False)
    seen = n.version
    services.notice_update(user=g.community_worker, notice_id=n.pk, version=seen, title="第一位编辑",
                           body="正文", kind="notice", reach=[f"community:{g.C.pk}"])
    with pytest.raises(services.Conflict):
        services.notice_update(user=g.street_admin, notice_id=n.pk, version=seen, title="第二位编辑",
                               body="正文", kind="notice", reach=[f"community:{g.C.pk}"])
    with pytest.raises(services.Conflict):
        services.notice_publish(user=g.street_admin, notice_id=n.pk, version=seen)
    n.refresh_from_db()
    assert n.title == "第一位编辑" and n.status == Status.DRAFT and n.version == seen + 1


def test_every_write_is_audited_with_its_step(grid, put_up):
    n = put_up()
    entries = list(AuditEntry.objects.filter(object_type="notices.notice", object_id=str(n.pk)).order_by("id"))
    assert [(e.action, e.detail) for e in entries] == [("create", ""), ("update", "publish")]
    assert entries[0].changes["title"] == [None, "停水通知"]
    from gongzhi.core.audit import verb_of

    assert verb_of(entries[1]) == "发布公告"


def test_publishing_an_expired_notice_is_refused(grid, put_up):
    from django.core.exceptions import ValidationError

    n = put_up(publish=False, expires_at=timezone.now() + datetime.timedelta(minutes=5))
    Notice.objects.filter(pk=n.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(ValidationError) as e:
        services.notice_publish(user=grid.community_worker, notice_id=n.pk, version=n.version)
    assert "expires_at" in e.value.message_dict
