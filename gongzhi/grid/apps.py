from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "gongzhi.grid"
    label = "grid"
    verbose_name = _("网格")

    def ready(self):
        from gongzhi.core import reference
        from gongzhi.core.demo import register_demo

        from . import demo
        from .models import Community, Compound

        # places.compounds_within keeps the compounds of each area in memory: a write reloads it everywhere.
        reference.watch(Compound, Community)
        register_demo("grid", plan=demo.plan_grid, load=demo.load_grid, present=demo.demo_present)
