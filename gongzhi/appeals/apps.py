from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_search_index(using="default", **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds it: put the duplicate index back."""
    from django.db import connections

    from .similar import ensure

    ensure(connections[using])


class AppealsConfig(AppConfig):
    name = "gongzhi.appeals"
    label = "appeals"
    verbose_name = _("诉求")

    def ready(self):
        from gongzhi.core import reference, timeline
        from gongzhi.core.audit import register_verbs
        from gongzhi.core.demo import register_demo
        from gongzhi.grid.models import Community, Compound
        from gongzhi.orgs.models import Coverage, Organisation

        from . import demo
        from .models import Category, RoutingRule
        from .timeline import AppealTimeline

        # What routing keeps in memory (routing.py): a write to any of these reloads it everywhere.
        reference.watch(Category, RoutingRule, Compound, Community, Organisation, Coverage)

        post_migrate.connect(_ensure_search_index, sender=self)
        timeline.register(AppealTimeline())  # its events notify people (gongzhi.notifications)
        from .workflow import TRANSITIONS

        from gongzhi.dashboard.homes import register_panel

        from .home import PANELS
        for panel in PANELS:
            register_panel(panel)  # their parts of each person's home
        register_verbs("appeals.appeal", {**{name: t.label for name, t in TRANSITIONS.items()},
                                          "escalate": _("升级督办")})
        register_demo("appeals", load=demo.load_appeals, after="open311")  # the history, once all else is in
