from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignupConfig(AppConfig):
    name = "gongzhi.signup"
    label = "signup"
    verbose_name = _("居民注册")

    def ready(self):
        from gongzhi.core.audit import register_verbs
        from gongzhi.dashboard.homes import register_panel

        from .home import PANELS

        for panel in PANELS:
            register_panel(panel)
        register_verbs("signup.signuprequest", {"submit": _("提交注册申请"), "confirm": _("确认注册"),
                                                "refuse": _("不予确认注册")})
