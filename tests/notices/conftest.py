import datetime

import pytest
from django.utils import timezone

from gongzhi.notices import services


@pytest.fixture
def put_up(grid):
    """put_up(reach=[node…], publish=True, by=community_worker, **fields): a notice, published unless told not."""

    def make(reach=None, *, publish=True, by=None, title="停水通知", body="周六上午停水。\n\n请提前储水。", **kw):
        user = by or grid.community_worker
        n = services.notice_create(user=user, title=title, body=body, reach=reach or [grid.C], **kw)
        if publish:
            n = services.notice_publish(user=user, notice_id=n.pk, version=n.version)
        return n

    return make


@pytest.fixture
def later():
    return timezone.now() + datetime.timedelta(days=3)
