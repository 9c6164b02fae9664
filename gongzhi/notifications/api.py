"""Notifications over JSON: the user's own inbox, and an organisation's webhook endpoints.

Inbox: GET /notifications (newest first, keyset-paged; ?unread=true for
unread only), POST /notifications/{id}/read, POST /notifications/read-all.
Another user's message is 404.

Preferences: GET /me/notification-preferences lists every kind of event
(declared by the timelines' sources) with its label, default, whether it is
mandatory, the ways it may arrive and the user's choice; PUT the same path
with {"preferences": [{"source", "action", "delivery"}]} sets those listed
(all or none; 400 with a message per bad item). delivery is one of instant
(inbox and e-mail at once), inbox (inbox only), digest (the daily digest),
off. GET /notifications/{id}/digest lists the items of one of the user's
daily digests.

Webhooks, for users who may change the organisation (ORG_CHANGE) and
superusers; everyone else gets 404: GET/POST /organisations/{id}/webhooks,
DELETE /organisations/{id}/webhooks/{wid}, GET …/webhooks/{wid}/deliveries.
The signing secret is in the POST answer only; it is stored encrypted and
never shown again.
"""
from datetime import datetime

from ninja import Router, Schema
from ninja.responses import Status

from gongzhi.accounts.policy import get_or_404
from gongzhi.orgs.capability import ORG_VIEW
from gongzhi.api.base import ErrorOut, Id, Text
from gongzhi.core.pagination import keyset_page
from gongzhi.orgs.models import Organisation

from . import digest, preferences, selectors, services
from .models import ORIGINAL_SOURCE

router = Router()


class NotificationOut(Schema):
    id: int
    action: str
    title: str
    body: str
    url: str
    appeal_id: int | None = None
    created_at: datetime
    read_at: datetime | None = None

    @staticmethod
    def resolve_appeal_id(n):
        # The inbox answered with the appeal's id while appeals were the only timeline: it still does, for theirs.
        return n.subject_id if n.source == ORIGINAL_SOURCE else None


class InboxOut(Schema):
    count: int
    unread: int
    items: list[NotificationOut]
    next_cursor: str | None = None


class ReadAllOut(Schema):
    updated: int


class WebhookIn(Schema):
    url: Text
    events: list[Text] = []
    description: Text = ""


class WebhookOut(Schema):
    id: int
    organisation_id: int
    url: str
    events: list[str]
    description: str
    is_active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str


class DeliveryOut(Schema):
    id: int
    event_id: int | None = None
    action: str
    status: str
    attempts: int
    payload: dict
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None = None


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None = None


@router.get("/notifications", response={200: InboxOut, 400: ErrorOut}, summary="My notifications, newest first")
def inbox(request, unread: bool = False, cursor: Text = "", limit: int = 30):
    qs = selectors.notifications_for(request.user, unread=unread)
    items, next_cursor = keyset_page(qs, cursor=cursor or None, limit=limit)
    return {"count": qs.count(), "unread": selectors.unread_count(request.user), "items": items,
            "next_cursor": next_cursor}


@router.post("/notifications/read-all", response=ReadAllOut, summary="Mark all my notifications read")
def read_all(request):
    return {"updated": services.notification_mark_all_read(user=request.user)}


@router.post("/notifications/{pk}/read", response={200: NotificationOut, 404: ErrorOut},
             summary="Mark one of my notifications read")
def read_one(request, pk: Id):
    return services.notification_mark_read(user=request.user, notification_id=pk)


class PreferenceOut(Schema):
    source: str
    action: str
    label: str
    delivery: str
    default: str
    mandatory: bool
    allowed: list[str]


class PreferencesOut(Schema):
    digest_time: str
    items: list[PreferenceOut]


class PreferenceIn(Schema):
    source: Text
    action: Text
    delivery: Text


class PreferencesIn(Schema):
    preferences: list[PreferenceIn]


class DigestItemOut(Schema):
    source: str
    action: str
    title: str
    url: str
    subject_id: int | None = None
    created_at: datetime


class DigestOut(Schema):
    notification: NotificationOut
    items: list[DigestItemOut]


def _preferences(choices):
    return {"digest_time": digest.digest_time().strftime("%H:%M"),
            "items": [{"source": c.source, "action": c.action, "label": str(c.kind.label), "delivery": c.delivery,
                       "default": c.kind.default, "mandatory": c.kind.mandatory, "allowed": c.allowed}
                      for c in choices]}


@router.get("/me/notification-preferences", response=PreferencesOut, tags=["accounts"],
            summary="How each kind of event reaches me")
def preferences_get(request):
    return _preferences(preferences.choices_of(request.user))


@router.put("/me/notification-preferences", response={200: PreferencesOut, 400: ErrorOut}, tags=["accounts"],
            summary="Choose how the kinds listed reach me (instant, inbox, digest or off)")
def preferences_put(request, payload: PreferencesIn):
    return _preferences(preferences.preferences_set(user=request.user,
                                                    items=[p.model_dump() for p in payload.preferences]))


@router.get("/notifications/{pk}/digest", response={200: DigestOut, 404: ErrorOut},
            summary="The items one of my daily digests gathered")
def digest_items(request, pk: Id):
    summary, entries = digest.entries_of(request.user, pk)
    return {"notification": summary, "items": entries}


def _webhook(e):
    return {"id": e.pk, "organisation_id": e.organisation_id, "url": e.url, "events": e.events,
            "description": e.description, "is_active": e.is_active, "created_at": e.created_at}


def _org(request, pk):
    return get_or_404(request.user, ORG_VIEW, Organisation.objects.all(), pk=pk)


@router.get("/organisations/{pk}/webhooks", response={200: list[WebhookOut], 404: ErrorOut},
            summary="An organisation's webhook endpoints")
def webhook_list(request, pk: Id):
    return [_webhook(e) for e in selectors.webhooks_of(request.user, _org(request, pk))]


@router.post("/organisations/{pk}/webhooks", response={201: WebhookCreatedOut, 400: ErrorOut, 404: ErrorOut},
             summary="Register a webhook endpoint; the answer holds its signing secret, shown this once")
def webhook_create(request, pk: Id, payload: WebhookIn):
    org = _org(request, pk)
    selectors.webhooks_of(request.user, org)  # 404 before validating anything for those who may not
    endpoint, secret = services.webhook_create(user=request.user, organisation=org, url=payload.url,
                                               events=payload.events, description=payload.description)
    return Status(201, {**_webhook(endpoint), "secret": secret})


@router.delete("/organisations/{pk}/webhooks/{wid}", response={204: None, 404: ErrorOut},
               summary="Remove a webhook endpoint and its delivery log")
def webhook_delete(request, pk: Id, wid: Id):
    endpoint = selectors.webhook_of(request.user, _org(request, pk), wid)
    services.webhook_delete(user=request.user, endpoint=endpoint)
    return Status(204, None)


@router.get("/organisations/{pk}/webhooks/{wid}/deliveries", response={200: DeliveryPage, 400: ErrorOut, 404: ErrorOut},
            summary="Deliveries to one endpoint, newest first, with each attempt's outcome")
def webhook_deliveries(request, pk: Id, wid: Id, status: Text = "", cursor: Text = "", limit: int = 50):
    endpoint = selectors.webhook_of(request.user, _org(request, pk), wid)
    items, next_cursor = keyset_page(selectors.deliveries_of(endpoint, status=status), cursor=cursor or None,
                                     limit=limit)
    return {"items": items, "next_cursor": next_cursor}
