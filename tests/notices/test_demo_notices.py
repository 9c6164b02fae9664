"""The demo puts up a few notices: current ones for the residents, a pinned one first, a draft only the desk sees."""
import pytest

from gongzhi.accounts.models import User
from gongzhi.core import demo
from gongzhi.notices import selectors
from gongzhi.notices.models import Notice, Status

pytestmark = pytest.mark.django_db


def test_the_demo_notices_are_scoped_like_any(monkeypatch):
    demo.load_demo(scale=0.02)
    resident1, worker = User.objects.get(username="resident1"), User.objects.get(username="community_worker")
    current = list(selectors.current(worker))
    assert len(current) == 5 and all(n.status == Status.PUBLISHED for n in current)  # 7 put up: 1 draft, 1 expired
    assert current == sorted(current, key=lambda n: (not n.pinned, -n.published_at.timestamp()))
    mine = list(selectors.current(resident1))
    assert 3 <= len(mine) <= 5 and set(mine) <= set(current)
    draft = Notice.objects.get(status=Status.DRAFT)
    assert selectors.get(resident1, draft.pk) is None and selectors.get(worker, draft.pk) == draft
    assert selectors.listing(resident1, "expired").count() == 1
    assert not Notice.objects.filter(events__notify_pending=True).exists()  # history tells nobody
