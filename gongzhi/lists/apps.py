from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListsConfig(AppConfig):
    name = "gongzhi.lists"
    label = "lists"
    verbose_name = _("三单服务")

    def ready(self):
        from gongzhi.core import timeline
        from gongzhi.core.audit import register_verbs
        from gongzhi.core.demo import register_demo
        from gongzhi.dashboard.homes import register_panel

        from . import demo
        from .home import PANELS
        from .timeline import ListsTimeline

        timeline.register(ListsTimeline())
        for panel in PANELS:
            register_panel(panel)
        register_verbs("lists.need", {"post": _("点单"), "decline": _("不予采纳"), "bundle": _("纳入项目")})
        register_verbs("lists.registration", {"submit": _("报到"), "confirm": _("确认报到"), "refuse": _("不予确认报到"),
                                             "rate": _("年度评价"), "rating_sheet": _("下载年度评价")})
        register_verbs("lists.resource", {"offer": _("登记资源")})
        register_verbs("lists.project", {"create": _("立项"), "take": _("接单"), "dispatch": _("派单")})
        register_verbs("lists.servicerecord", {"record": _("记录服务"), "rate": _("评单"), "confirm": _("确认服务")})
        register_verbs("lists.ledgerentry", {"credit": _("计入台账"), "correct": _("冲正"), "certificate": _("下载服务证明")})
        register_demo("lists", load=demo.load_lists, after="appeals")
