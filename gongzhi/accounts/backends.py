from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .lockout import account_for


class UsernameOrMobileBackend(ModelBackend):
    """Log in with the username, or with the mobile number registered on the account."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        user = account_for(username)
        if user is None:
            get_user_model()().set_password(password)  # same work as a real check: no timing oracle for usernames
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
