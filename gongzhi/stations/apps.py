from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "gongzhi.stations"
    label = "stations"
    verbose_name = _("驿站")

    def ready(self):
        from gongzhi.core import timeline
        from gongzhi.core.audit import register_verbs
        from gongzhi.core.demo import register_demo
        from gongzhi.dashboard.homes import register_panel

        from . import demo, reports
        from .activity_home import PANELS as ACTIVITY_PANELS
        from .activity_timeline import ActivityTimeline
        from .home import PANELS
        from .timeline import StationTimeline

        timeline.register(StationTimeline())
        timeline.register(ActivityTimeline())
        for panel in PANELS + ACTIVITY_PANELS:
            register_panel(panel)
        register_verbs("stations.station", {"hours": _("设置开放时间"), "close": _("临时闭站"),
                                            "codes": _("印制签到二维码")})
        register_verbs("stations.booking", {"book": _("预约活动室"), "approve": _("通过预约"), "refuse": _("不予通过"),
                                            "cancel": _("取消预约"), "checkin": _("扫码签到"),
                                            "no_show": _("未签到，释放活动室"), "book_series": _("每周重复预约"),
                                            "cancel_series": _("取消重复预约")})
        register_verbs("stations.stationvisit", {"visit": _("扫码签到")})
        register_verbs("stations.feedback", {"feedback": _("反馈驿站问题"), "handle": _("处理驿站反馈")})
        register_verbs("stations.activity", {"publish": _("发布活动"), "edit": _("修改活动"), "cancel": _("取消活动")})
        register_verbs("stations.activitysignup", {"signup": _("报名活动"), "waitlist": _("候补报名"),
                                                   "leave": _("取消报名"), "promote": _("候补递补"),
                                                   "attend": _("活动签到")})
        register_demo("stations", load=demo.load_stations, after="lists")
        # 随手拍: an outdoor worker's report earns points once verified (reports.py).
        post_save.connect(reports.on_appeal_event, sender="appeals.AppealEvent", dispatch_uid="stations.reports")
