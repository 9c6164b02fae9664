from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gongzhi.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self):
        from . import reference
        from .models import CalendarDay

        reference.watch(CalendarDay)  # the working-day calendar kept in memory (workdays.py)
