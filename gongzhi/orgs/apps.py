from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "gongzhi.orgs"
    label = "orgs"
    verbose_name = _("组织")

    def ready(self):
        from gongzhi.core.demo import register_demo

        from . import demo

        register_demo("orgs", plan=demo.plan_orgs, load=demo.load_orgs, after="people")
