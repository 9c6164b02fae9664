from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _drain_soon(sender, **kwargs):
    from .tasks import request_drain

    request_drain()


class NotificationsConfig(AppConfig):
    name = "gongzhi.notifications"
    label = "notifications"
    verbose_name = _("消息通知")

    def ready(self):
        from gongzhi.core import timeline

        from .services import forget_event, forget_subject_for

        # Every capability's timeline (core.timeline.register) is heard here: nothing names one of them.
        timeline.outbox_filled.connect(_drain_soon, dispatch_uid="gongzhi.notifications.drain")
        timeline.event_deleted.connect(forget_event, dispatch_uid="gongzhi.notifications.forget")
        timeline.subject_withdrawn.connect(forget_subject_for, dispatch_uid="gongzhi.notifications.withdrawn")
