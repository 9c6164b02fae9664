"""Appeal photos: who may add one of which kind, and how many; the image itself is checked, stripped and
re-encoded by gongzhi.core.images. Photos are served by views_photos.photo, never from a public media URL.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from gongzhi.core.audit import audit
from gongzhi.core.ids import as_id
from gongzhi.core.images import SIZES, store_photo, validate_image
from gongzhi.core.models import AuditAction

from .errors import Conflict, NotAllowed
from .models import Appeal, AppealEvent, AppealPhoto, PhotoKind

MAX_PER_APPEAL = getattr(settings, "APPEAL_PHOTO_MAX_COUNT", 9)
__all__ = ("SIZES", "photo_add", "photo_url", "validate_image")


def _may_add(user, appeal, kind):
    from .presenter import reader

    standing = reader(user, appeal)
    entered = appeal.entered_by_id is not None and appeal.entered_by_id == standing.user_id
    if kind == PhotoKind.REPORT:  # its reporter, who entered it, or who works it
        return standing.wrote_it or standing.works_it
    if kind == PhotoKind.PATROL:
        return standing.works_it or entered
    return standing.works_it  # evidence: the handler (or the desk, a verifier, a called department)


def _check(user, appeal, kind):
    if not _may_add(user, appeal, kind):
        raise NotAllowed(_("您无权为该诉求上传照片"), field="photo")
    if not appeal.is_open:
        raise Conflict(_("诉求已结束，不能再上传照片"), field="photo")
    if AppealPhoto.objects.filter(appeal=appeal).count() >= MAX_PER_APPEAL:
        raise ValidationError({"photo": _("每条诉求最多上传 %d 张照片") % MAX_PER_APPEAL}, code="too_many")


def photo_add(*, user, appeal, file, kind=PhotoKind.REPORT, event=None):
    """Attach one photo to an appeal: checked, stripped, re-encoded, thumbnailed; all or nothing.

    The image is checked and re-encoded before the transaction starts, so no
    lock is held while pixels are decoded; the checks that matter for the
    write are made again under the lock.
    """
    from .services import get_for_action

    if kind not in PhotoKind.values:
        raise ValidationError({"kind": _("照片类型无效")})
    if file is None:
        raise ValidationError({"photo": _("请选择图片")})
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    _check(user, get_for_action(user, pk, authored=True), kind)  # out of scope: 404
    if event is not None:
        event_id = event.pk if isinstance(event, AppealEvent) else event
        event = AppealEvent.objects.filter(pk=as_id(event_id), appeal_id=pk).first() if as_id(event_id) else None
        if event is None:
            raise ValidationError({"event": _("流转记录不属于该诉求")})
    clean = validate_image(file)
    return _store(user=user, pk=pk, clean=clean, kind=kind, event=event)


@transaction.atomic
def _store(*, user, pk, clean, kind, event):
    from .services import get_for_action

    appeal = get_for_action(user, pk, lock=True, authored=True)  # the lock makes the count exact
    _check(user, appeal, kind)
    photo = AppealPhoto(appeal=appeal, event=event, kind=kind, uploaded_by=user)
    store_photo(photo, clean, save=lambda p: p.save())
    audit(AuditAction.CREATE, user=user, obj=photo, changes={"appeal": [None, appeal.pk], "kind": [None, kind]})
    return photo


def photo_url(photo, size="full"):
    return reverse("appeal_photo", args=[photo.pk, size])
