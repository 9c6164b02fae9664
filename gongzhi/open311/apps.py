from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "gongzhi.open311"
    label = "open311"
    verbose_name = _("开放接口（Open311）")

    def ready(self):
        from gongzhi.core import reference
        from gongzhi.core.demo import register_demo

        from . import demo
        from .models import ApiClient, ApiKey

        reference.watch(ApiClient, ApiKey)  # the usable keys kept in memory (services.py)
        register_demo("open311", load=demo.load_open311, after="accounts")
