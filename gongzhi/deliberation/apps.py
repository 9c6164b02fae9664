from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "gongzhi.deliberation"
    label = "deliberation"
    verbose_name = _("党群议事")

    def ready(self):
        from gongzhi.core import timeline
        from gongzhi.core.audit import register_verbs
        from gongzhi.core.demo import register_demo
        from gongzhi.dashboard.homes import register_panel

        from . import demo
        from .home import PANELS
        from .timeline import DeliberationTimeline

        timeline.register(DeliberationTimeline())
        for panel in PANELS:
            register_panel(panel)
        register_verbs("deliberation.ownership", {"register": _("登记产权")})
        register_verbs("deliberation.vote", {"create": _("发起表决"), "open": _("开始投票"), "close": _("结束投票")})
        register_verbs("deliberation.ballot", {"cast": _("投票"), "change": _("改票")})
        register_verbs("deliberation.topic", {"raise": _("提出议题"), "support": _("支持议题"), "decide": _("处理议题")})
        register_verbs("deliberation.resolution", {"create": _("登记决议"), "progress": _("报告进展")})
        register_verbs("deliberation.meeting", {"schedule": _("安排议事会"), "minutes": _("记录会议")})
        register_verbs("deliberation.mediation", {
            "open": _("受理纠纷"), "session": _("记录调解"), "agree": _("登记调解协议"), "hand_over": _("移交纠纷"),
            "follow_up": _("回访"), "close": _("调解结案"), "reveal": _("查看当事人信息")})
        register_demo("deliberation", load=demo.load_deliberation, after="care")
