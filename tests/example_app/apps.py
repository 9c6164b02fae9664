from django.apps import AppConfig


class ExampleAppConfig(AppConfig):
    """A capability for the tests only, plugged in as any capability is (docs/architecture.md)."""

    name = "example_app"
    label = "example_app"

    def ready(self):
        from gongzhi.core import timeline

        from .timeline import NoticeTimeline

        timeline.register(NoticeTimeline())
