from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gongzhi.accounts"
    label = "accounts"
    verbose_name = _("账号与权限")

    def ready(self):
        from gongzhi.core.demo import register_demo

        from . import checks, demo, signals  # noqa: F401  (the declarations' system checks; login audit)
        from .capabilities import discover
        from .rules import register_permissions

        discover()
        register_permissions()
        # The demo residents' homes are set aside before the organisations take post holders.
        register_demo("accounts.homes", plan=demo.plan_homes, after="people", before="orgs")
        register_demo("accounts", plan=demo.plan_accounts, load=demo.load_accounts, after="orgs")

        from gongzhi.core.audit import register_verbs

        register_verbs("accounts.user", {"password recovered by code": _("凭短信验证码重设密码")})

        from gongzhi.dashboard.homes import register_panel

        from .home import PANELS
        for panel in PANELS:
            register_panel(panel)
