from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from gongzhi.core import crypto
from gongzhi.core.identity import normalise_mobile


class UsernameOrMobileBackend(ModelBackend):
    """Log in with the username, or with the mobile number registered on the account."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.filter(phone_hash=crypto.lookup_hash(normalise_mobile(username))).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle for usernames
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
