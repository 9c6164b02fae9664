from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "gongzhi.grid"
    label = "grid"
    verbose_name = _("网格")

    def ready(self):
        from gongzhi.core import reference

        from .models import Community, Compound

        # places.compounds_within keeps the compounds of each area in memory: a write reloads it everywhere.
        reference.watch(Compound, Community)
