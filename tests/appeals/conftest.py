"""Helpers for appeal tests: submit and act (the `grid` fixture is in tests/conftest.py)."""
import pytest

from gongzhi.appeals.services import appeal_act, appeal_submit


@pytest.fixture
def submit(grid):
    def _submit(user=None, category=None, **kw):
        kw.setdefault("description", "3栋电梯停在8楼不动，里面没人")
        if not any(k in kw for k in ("compound", "building", "household", "lat")):
            kw["compound"] = grid.K1
        return appeal_submit(user=user or grid.resident1, category=category or grid.lift, **kw)
    return _submit


@pytest.fixture
def act():
    def _act(user, appeal, action, **kw):
        return appeal_act(user=user, appeal=appeal, action=action, **kw)
    return _act
