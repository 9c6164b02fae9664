from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "gongzhi.grid"
    label = "grid"
    verbose_name = _("网格")

    def ready(self):
        from gongzhi.core.demo import register_demo

        from . import demo

        register_demo("grid", plan=demo.plan_grid, load=demo.load_grid, present=demo.demo_present)
