import datetime

import pytest
from django.utils import timezone

from gongzhi.deliberation import services


@pytest.fixture
def owned(cast):
    """The cast with K1's two units owned: 101 by 张伟 (resident1's person record), 102 by 王强 (no account)."""
    c = cast
    services.ownership_record(user=c.community_worker, household=c.H1, owner_name="张伟", owner_resident=c.R1)
    services.ownership_record(user=c.community_worker, household=c.H1b, owner_name="王强", owner_resident=c.R1c)
    return c


@pytest.fixture
def make_vote(owned):
    def make(*, open_it=True, user=None, items=(("动用专项维修资金更换电梯", "special"),), **kw):
        now = timezone.now()
        data = dict(compound=owned.K1.pk, title="更换1栋电梯", opens_at=now - datetime.timedelta(hours=1),
                    closes_at=now + datetime.timedelta(days=7), items=[{"text": t, "item_kind": k} for t, k in items])
        data.update(kw)
        vote = services.vote_create(user=user or owned.owners1, **data)
        if open_it:
            vote = services.vote_open(user=user or owned.owners1, vote=vote)
        return vote
    return make


def yes_to_all(vote, choice="yes"):
    return {str(pk): choice for pk in vote.items.values_list("pk", flat=True)}


def end_period(vote):
    """Move the vote's close into the past, as the clock would."""
    from gongzhi.deliberation.models import Vote

    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1),
                                           opens_at=timezone.now() - datetime.timedelta(days=1))
