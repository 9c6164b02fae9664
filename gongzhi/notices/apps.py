from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "gongzhi.notices"
    label = "notices"
    verbose_name = _("社区公告")

    def ready(self):
        from gongzhi.core import timeline
        from gongzhi.core.audit import register_verbs
        from gongzhi.core.demo import register_demo
        from gongzhi.dashboard.homes import register_panel

        from . import demo
        from .home import PANEL
        from .timeline import NoticeTimeline

        timeline.register(NoticeTimeline())  # publishing tells the readers (gongzhi.notifications)
        register_panel(PANEL)
        register_verbs("notices.notice", {"publish": _("发布公告"), "withdraw": _("撤回公告"), "pin": _("置顶公告"),
                                          "unpin": _("取消置顶")})
        register_demo("notices", plan=demo.plan_notices, load=demo.load_notices, after="accounts", before="open311")
