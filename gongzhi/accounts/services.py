"""Writes of the accounts app: API tokens issued and revoked, each audited."""
from django.conf import settings
from django.db import transaction

from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from .models import ApiToken


def token_issue(*, user, request=None):
    """(token, raw value) for a user who has just proved who they are."""
    token, raw = ApiToken.issue(user, settings.API_TOKEN_HOURS)
    audit(AuditAction.LOGIN, user=user, request=request, obj=user, detail="api token",
          changes={"token": token.pk, "expires_at": token.expires_at.isoformat()})
    return token, raw


@transaction.atomic
def token_revoke(*, user, token, request=None):
    """End one of the user's own tokens at once. Returns False when it is not theirs or already gone."""
    pk = token.pk if isinstance(token, ApiToken) else token
    deleted, _ = ApiToken.objects.filter(pk=pk, user=user).delete()
    if not deleted:
        return False
    audit(AuditAction.LOGOUT, user=user, request=request, obj=user, detail="api token revoked",
          changes={"token": pk})
    return True
