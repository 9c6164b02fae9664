from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "gongzhi.people"
    label = "people"
    verbose_name = _("居民")

    def ready(self):
        from gongzhi.accounts.policy import household_relative, register_model_paths
        from gongzhi.core.demo import register_demo

        from . import demo
        from .models import RegistrationConflict, Resident

        register_model_paths(Resident, household_relative("household"))
        register_model_paths(RegistrationConflict, household_relative("household"))
        register_demo("people", plan=demo.plan_people, load=demo.load_people, after="grid",
                      provides={"occupants": demo.occupants})
