"""Serving appeal photos: only to who may see the appeal, or to anyone when the appeal is shown publicly.

Photos are not under a public media URL; every request comes through here.
Anything out of scope answers 404, like every other record.
"""
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from gongzhi.accounts.models import ApiToken

from .models import AppealPhoto, PhotoKind
from .photos import SIZES
from .selectors import shown_publicly
from .services import may_view

PUBLIC_MAX_AGE = 300


def _user(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return ApiToken.user_for(header[7:].strip())
    return None


@require_safe
def photo(request, pk, size):
    if size not in SIZES:
        raise Http404
    item = AppealPhoto.objects.select_related("appeal__category").filter(pk=pk).first()
    if item is None:
        raise Http404
    appeal = item.appeal
    # The reporter's own photos of a public appeal are public (Open311 links them); evidence and patrol
    # photos, often taken inside a home, stay with those who may see the appeal.
    public = shown_publicly(appeal) and item.kind == PhotoKind.REPORT
    if not public:
        user = _user(request)
        if user is None or not may_view(user, appeal):
            raise Http404
    field = item.image if size == "full" else item.thumbnail
    if not field.name:
        raise Http404
    try:
        handle = field.storage.open(field.name, "rb")
    except OSError:
        raise Http404
    content_type = "image/png" if field.name.lower().endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    # An appeal stops being public the moment its category is made private or confidential, or it is moved into
    # such a category: shared caches may keep serving a public photo for five minutes at most.
    response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}" if public else "private, max-age=3600"
    response["Vary"] = "Cookie, Authorization"
    return response
