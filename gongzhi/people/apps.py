from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "gongzhi.people"
    label = "people"
    verbose_name = _("居民")

    def ready(self):
        from gongzhi.core.demo import register_demo

        from . import demo

        register_demo("people", plan=demo.plan_people, load=demo.load_people, after="grid",
                      provides={"occupants": demo.occupants})
