import pytest


@pytest.fixture(autouse=True)
def _texts_at_once(monkeypatch):
    """Each test runs in one transaction that never commits: send the texts when asked, not after a commit."""
    from gongzhi.accounts import codes

    monkeypatch.setattr(codes, "after_commit", lambda fn: fn())
