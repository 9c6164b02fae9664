from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "gongzhi.care"
    label = "care"
    verbose_name = _("困难帮扶")

    def ready(self):
        from gongzhi.core import timeline
        from gongzhi.core.audit import register_verbs
        from gongzhi.core.demo import register_demo
        from gongzhi.dashboard.homes import register_panel

        from . import demo
        from .home import PANELS
        from .timeline import CareTimeline

        timeline.register(CareTimeline())
        for panel in PANELS:
            register_panel(panel)
        register_verbs("care.case", {
            "refer": _("转介"), "refer_from_appeal": _("由诉求转介"), "view": _("查看个案"),
            "reveal": _("查看个案敏感信息"), "assign": _("分派个案工作者"),
            "unassign": _("移除个案工作者"), "verify": _("入户核实"),
            "not_eligible": _("核实不符合条件"), "open": _("立案帮扶"), "edit": _("修改个案"),
            "followup": _("回访"), "close": _("结案"), "reopen": _("重新开案"), "export": _("导出个案")})
        register_verbs("care.measure", {"add": _("新增措施"), "update": _("更新措施"), "decide": _("组织决定"),
                                        "view": _("查看措施")})
        register_verbs("care.carevisit", {"record": _("记录走访"), "reveal": _("查看走访记录")})
        register_demo("care", load=demo.load_care, after="stations")
