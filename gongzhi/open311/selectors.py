"""Public reads for Open311: the services offered and the public requests.

Everything here is public by definition, so nothing is scoped by a user; instead only what may be
shown publicly is ever selected: active, public categories, and appeals that are public in a
category that may be public. Reporter identity, contact details and internal notes are never read.
"""
import datetime

from django.db.models import Exists, OuterRef

from gongzhi.appeals.models import ENDED_STATUSES, Appeal, AppealEvent, AppealPhoto, Category, PhotoKind, Status
from gongzhi.appeals.selectors import PUBLIC
from gongzhi.appeals.services import TEXT_MAX
from gongzhi.core.reference import cached

from .models import ServiceRequest

DESCRIPTION_MAX = TEXT_MAX  # 4000, Open311's limit
CLOSED_STATUSES = tuple(sorted(ENDED_STATUSES))  # GeoReport v2 knows open and closed only
DEFAULT_WINDOW = datetime.timedelta(days=90)
PAGE_SIZE_MAX = 1000
PAGE_MAX = 1_000_000  # a later page is answered as this one (empty): offsets stay within the database's integers


def services():
    """Categories offered as services: active, may be public, and without active sub-categories."""
    has_children = Category.objects.filter(parent=OuterRef("pk"), is_active=True)
    return (Category.objects.filter(is_active=True, may_be_public=True).exclude(Exists(has_children))
            .select_related("parent").order_by("order", "code"))


@cached
def _offered():
    return {c.code: c for c in services()}


def service(code):
    """The service offered under this code, or None."""
    code = (code or "").strip()
    return _offered().get(code) if code else None


def public_requests():
    return (Appeal.objects.filter(PUBLIC)
            .select_related("category", "handler", "compound", "building")
            .only("id", "created_at", "updated_at", "status", "description", "public_reply", "resolve_due", "address",
                  "lat", "lng", "category__code", "category__name", "category__name_en", "category__resolve_amount",
                  "category__resolve_unit", "handler__name", "compound__code", "compound__name",
                  "compound__center_lat", "compound__center_lng", "building__name"))


def search(*, ids=None, codes=None, statuses=None, start=None, end=None, updated_after=None, updated_before=None,
           page=1, page_size=PAGE_SIZE_MAX, now):
    """One page of public requests, newest first. Without any date or id, the last 90 days."""
    qs = public_requests()
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if codes:
        qs = qs.filter(category__code__in=codes)
    if statuses and set(statuses) != {"open", "closed"}:
        qs = qs.filter(status__in=CLOSED_STATUSES) if "closed" in statuses else qs.exclude(status__in=CLOSED_STATUSES)
    if ids is None and not any((start, end, updated_after, updated_before)):
        start = now - DEFAULT_WINDOW
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lte=end)
    if updated_after:
        qs = qs.filter(updated_at__gte=updated_after)
    if updated_before:
        qs = qs.filter(updated_at__lte=updated_before)
    offset = (page - 1) * page_size
    return list(qs.order_by("-created_at", "-id")[offset:offset + page_size])


def extras(appeals):
    """What the list needs beyond the appeal row, fetched for the whole page at once:
    {appeal id: {"photo": its first report photo or None, "media_url": the client's link, "reject_note": str}}."""
    ids = [a.pk for a in appeals]
    out = {pk: {"photo": None, "media_url": "", "reject_note": ""} for pk in ids}
    if not ids:
        return out
    photos = AppealPhoto.objects.filter(appeal_id__in=ids, kind=PhotoKind.REPORT).only("id", "appeal_id")
    for photo in photos.order_by("-uploaded_at", "-id"):
        out[photo.appeal_id]["photo"] = photo  # the loop ends on the first photo of each appeal
    for pk, url in ServiceRequest.objects.filter(appeal_id__in=ids).exclude(media_url="").values_list("appeal_id", "media_url"):
        out[pk]["media_url"] = url
    rejected = [a.pk for a in appeals if a.status == Status.REJECTED]
    if rejected:
        for pk, note in (AppealEvent.objects.filter(appeal_id__in=rejected, action="reject", internal=False)
                         .order_by("id").values_list("appeal_id", "note")):
            out[pk]["reject_note"] = note  # the last rejection wins
    return out


def by_request_id(value):
    """A public appeal by its number (20261128-1234); None when unknown or not public."""
    from gongzhi.appeals.models import pk_from_number

    pk = pk_from_number(value)
    if pk is None:
        return None
    appeal = public_requests().filter(pk=pk).first()
    if appeal is None or ("-" in str(value) and appeal.number != str(value).strip()):
        return None
    return appeal


def by_token(token):
    token = (token or "").strip()
    if not token:
        return None
    return ServiceRequest.objects.select_related("appeal").only("token", "appeal__id", "appeal__created_at").filter(token=token).first()
