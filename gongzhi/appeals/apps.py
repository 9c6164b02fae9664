from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "gongzhi.appeals"
    label = "appeals"
    verbose_name = _("诉求")

    def ready(self):
        from gongzhi.accounts.policy import register_model_paths

        from .models import Appeal

        register_model_paths(Appeal, {
            "subdistrict": "compound__community__subdistrict_id",
            "community": "compound__community_id",
            "compound": "compound_id",
            "building": "building_id",
            "household": "household_id",
        })
