"""Serving appeal photos: only to who may see the appeal, or to anyone when the appeal is shown publicly.

Photos are not under a public media URL; every request comes through here.
Anything out of scope answers 404, like every other record.
"""
from django.http import Http404
from django.views.decorators.http import require_safe

from gongzhi.accounts.models import ApiToken
from gongzhi.core.images import SIZES, serve_photo

from .models import AppealPhoto, PhotoKind
from .selectors import shown_publicly
from .services import may_view


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
    # An appeal stops being public the moment its category is made private or confidential, or it is moved into
    # such a category: shared caches may keep serving a public photo for five minutes at most.
    return serve_photo(item, size, public=public)
