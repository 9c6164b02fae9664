"""Reads: a user's own inbox, and an organisation's webhook endpoints for those who manage them."""
from django.http import Http404

from gongzhi.accounts.policy import require
from gongzhi.orgs.capability import ORG_CHANGE

from .models import Notification, WebhookDelivery, WebhookEndpoint


def notifications_for(user, *, unread=False):
    """The user's own messages, newest first. Nobody sees another's inbox, whatever their role."""
    qs = Notification.objects.filter(recipient_id=user.pk)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-id")


def unread_count(user):
    """One COUNT over the inbox index."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def webhooks_of(user, organisation):
    """An organisation's endpoints; 404 unless the user may change the organisation (ORG_CHANGE)."""
    require(user, ORG_CHANGE, organisation)
    return WebhookEndpoint.objects.filter(organisation=organisation).order_by("id")


def webhook_of(user, organisation, pk):
    endpoint = webhooks_of(user, organisation).filter(pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


def deliveries_of(endpoint, *, status=""):
    qs = WebhookDelivery.objects.filter(endpoint=endpoint)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")
