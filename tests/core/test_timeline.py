"""The timeline mechanism itself (core.timeline): one after-commit callback per transaction through the public
on_commit only, the registry of sources, and the layering (core and notifications name no capability)."""
import ast
import logging
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from gongzhi.appeals.models import AppealEvent
from gongzhi.core import timeline
from gongzhi.notifications.models import Notification

from appeals.conftest import submit  # noqa: F401  (the appeals fixtures, reused)

ROOT = Path(__file__).resolve().parents[2]


def python_files(*dirs):
    for d in dirs:
        yield from (ROOT / d).rglob("*.py")


def test_django_private_list_of_callbacks_is_read_nowhere():
    """The outbox asks for its callback with transaction.on_commit and keeps its own per-transaction flag; nothing
    reads the list Django keeps of a transaction's callbacks."""
    here = Path(__file__).resolve()
    hits = [str(p.relative_to(ROOT)) for p in python_files("gongzhi", "tests", "bench", "bin")
            if p != here and "run_on_commit" in p.read_text(encoding="utf-8")]
    assert hits == []


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_the_mechanism_and_its_consumer_name_no_capability():
    """core.timeline imports no app above core; the notifications app imports no capability (appeals or any other):
    what it knows of one, a registered source tells it."""
    assert {m for m in _imports(ROOT / "gongzhi/core/timeline.py") if m.startswith("gongzhi.")} == set()
    capabilities = ("gongzhi.appeals", "gongzhi.people", "gongzhi.grid", "gongzhi.open311")
    found = {(str(p.relative_to(ROOT)), m) for p in python_files("gongzhi/notifications") for m in _imports(p)
             if m.startswith(capabilities)}
    assert found == set()
    from django.apps import apps

    for model in apps.get_app_config("notifications").get_models():
        related = {f.related_model._meta.app_label for f in model._meta.get_fields() if f.is_relation}
        assert related <= {"accounts", "orgs", "notifications"}, model  # who is told, whose endpoint: no event


@pytest.mark.django_db
class TestOneCallbackPerTransaction:
    def test_a_savepoint_rolled_back_takes_its_callback_and_the_next_row_asks_again(
            self, grid, submit, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                with pytest.raises(RuntimeError), transaction.atomic():
                    submit()  # asks for the callback, in a savepoint
                    raise RuntimeError
                a = submit()  # the savepoint's callback is gone: this row asks again
        assert len(callbacks) == 1
        assert [n.subject_id for n in Notification.objects.filter(recipient=grid.community_worker)] == [a.pk]

    def test_rows_after_a_released_savepoint_share_its_callback(self, grid, submit,
                                                                 django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                with transaction.atomic():
                    submit()
                submit()
        assert len(callbacks) == 1 and Notification.objects.count() == 2

    def test_a_failing_consumer_is_logged_and_does_not_fail_the_commit(self, caplog):
        def boom(sender, **kwargs):
            raise ConnectionError("task queue unreachable")

        timeline.outbox_filled.connect(boom, dispatch_uid="test-boom")
        try:
            kick = timeline._Kick()
            with caplog.at_level(logging.ERROR, logger="gongzhi.core.timeline"):
                kick()
        finally:
            timeline.outbox_filled.disconnect(dispatch_uid="test-boom")
        assert kick.ran
        assert any("boom" in r.getMessage() and r.exc_info for r in caplog.records)

    def test_a_row_not_pending_asks_nothing(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            timeline.written(AppealEvent(notify_pending=False))
        assert callbacks == []


class TestRegistry:
    def test_the_appeals_timeline_is_registered_from_its_app(self):
        source = timeline.source("appeals")
        assert source.model is AppealEvent and source in timeline.sources()
        assert set(source.actions) <= set(timeline.actions()) and "submit" in timeline.actions()

    def test_a_source_needs_a_label_and_a_timeline_model(self):
        class NoLabel(timeline.Source):
            model = AppealEvent

        class NotATimeline(timeline.Source):
            label = "audit"
            model = Notification

        class Twice(timeline.Source):
            label = "appeals_again"
            model = AppealEvent

        for bad in (NoLabel(), NotATimeline(), Twice()):
            with pytest.raises(ImproperlyConfigured):
                timeline.register(bad)
        assert "appeals_again" not in {s.label for s in timeline.sources()}

    def test_actions_are_each_named_once_in_the_order_given(self, monkeypatch):
        class Other(timeline.Source):
            label = "other"
            model = Notification  # never registered: only its actions are read
            actions = ("note", "chore_done")

        monkeypatch.setitem(timeline._sources, "other", Other())
        names = timeline.actions()
        assert names[-1] == "chore_done" and names.count("note") == 1
        assert names[:len(timeline.source("appeals").actions)] == timeline.source("appeals").actions

    def test_the_base_keeps_the_outbox_index(self):
        [index] = AppealEvent._meta.indexes
        assert index.name == "appeal_event_pending_idx" and index.fields == ["id"]
        assert str(index.condition) == "(AND: ('notify_pending', True))"
