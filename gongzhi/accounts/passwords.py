"""The password rules' own wording where Django's Chinese catalogue has none (its length rule is a plural form
the zh-hans catalogue does not carry, so it read in English on a Chinese page)."""
from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return ngettext("密码太短，至少需要 %(min_length)d 个字符。", "密码太短，至少需要 %(min_length)d 个字符。",
                        self.min_length) % {"min_length": self.min_length}

    def get_help_text(self):
        return ngettext("密码至少需要 %(min_length)d 个字符。", "密码至少需要 %(min_length)d 个字符。",
                        self.min_length) % {"min_length": self.min_length}
