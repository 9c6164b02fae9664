"""Photos people upload (an appeal's, a service record's): images only, judged by their content, size-limited,
re-encoded without metadata, with a thumbnail.

An upload is never stored as sent. validate_image() checks the byte size before decoding anything, lets Pillow
identify the content (the file name and the client's content type are ignored), refuses dimensions that would
decode to a decompression bomb, then redraws the pixels into a fresh image (EXIF orientation applied first) and
encodes that: no EXIF, no GPS, no XMP, no ICC profile, no comments survive. store_photo() writes only the
re-encoded image and its thumbnail, under random names, and removes them again if the transaction rolls back.
Capabilities serve their photos through their own views, never from a public media URL.
"""
import io
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

# What Pillow may try when identifying an upload (MPO, the multi-picture JPEG some phones write, opens as JPEG).
OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF"}
MAX_SIDE = 2560
THUMB_SIDE = 320
JPEG_QUALITY = 85
THUMB_QUALITY = 80
MAX_PIXELS = getattr(settings, "PHOTO_MAX_PIXELS", 40_000_000)
SIZES = ("full", "thumb")


def max_bytes():
    return getattr(settings, "PHOTO_MAX_BYTES", 10 * 1024 * 1024)


def _not_an_image():
    return ValidationError({"photo": _("只能上传图片（JPEG/PNG/WebP）")}, code="not_image")


@dataclass
class CleanImage:
    """An upload made safe: encoded bytes and their extension, dimensions, and a thumbnail."""

    data: bytes
    ext: str
    width: int
    height: int
    thumbnail: bytes


def _read_limited(file):
    limit = max_bytes()
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise ValidationError({"photo": _("图片不能超过 %(mb)s MB") % {"mb": _mb(limit)}}, code="too_large")
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"photo": _("图片不能超过 %(mb)s MB") % {"mb": _mb(limit)}}, code="too_large")
    if not data:
        raise ValidationError({"photo": _("图片文件为空")}, code="empty")
    return data


def _mb(n):
    return f"{n / (1024 * 1024):g}"


def _too_many_pixels():
    return ValidationError({"photo": _("图片像素过大（最多 %(mp)s 百万像素）") % {"mp": f"{MAX_PIXELS / 1e6:g}"}},
                           code="too_many_pixels")


def _has_alpha(img):
    return img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)


def validate_image(file) -> CleanImage:
    """Check an uploaded file and return it re-encoded; ValidationError {"photo": ...} when it is not acceptable."""
    data = _read_limited(file)
    try:
        # Image.open reads the header only. Pillow itself refuses (DecompressionBombError) beyond twice its
        # MAX_IMAGE_PIXELS; our own, lower limit is checked here, before any pixel is decoded.
        with Image.open(io.BytesIO(data), formats=OPEN_FORMATS) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise _not_an_image()
            width, height = probe.size
            if width < 1 or height < 1:
                raise _not_an_image()
            if width * height > MAX_PIXELS:
                raise _too_many_pixels()
            probe.verify()
        with Image.open(io.BytesIO(data), formats=OPEN_FORMATS) as img:
            source_format = img.format
            if source_format in ("JPEG", "MPO"):
                img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode large JPEGs at a reduced scale
            img.load()  # the first frame of an animation
            return _reencode(img, source_format)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError,
            EOFError, MemoryError, ArithmeticError):
        raise _not_an_image()


def _reencode(img, source_format):
    img = ImageOps.exif_transpose(img)
    alpha = _has_alpha(img)
    if alpha:
        img = img.convert("RGBA")
    elif img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    # A fresh image holds pixels only: none of the source's info, EXIF, ICC profile or comments.
    clean = Image.new(img.mode, img.size)
    clean.paste(img)
    clean.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)

    out = io.BytesIO()
    if alpha or source_format in ("PNG", "GIF"):  # lossless sources (screenshots, drawings) stay lossless
        clean.save(out, "PNG")
        ext = "png"
    else:
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        ext = "jpg"

    thumb = clean.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    if thumb.mode == "RGBA":
        flat = Image.new("RGB", thumb.size, (255, 255, 255))
        flat.paste(thumb, mask=thumb.getchannel("A"))
        thumb = flat
    tout = io.BytesIO()
    thumb.save(tout, "JPEG", quality=THUMB_QUALITY, optimize=True)
    return CleanImage(data=out.getvalue(), ext=ext, width=clean.width, height=clean.height,
                      thumbnail=tout.getvalue())


class FilesUntilCommit:
    """Files written inside a transaction, removed unless it commits.

    It is registered as an on_commit callback: Django calls it on commit (the
    files stay) and drops it when the transaction or savepoint rolls back, at
    which point, never having been called, it deletes the files. discard() does
    the same at once when the failure happens inside the store itself.
    """

    def __init__(self, storage):
        self.storage = storage
        self.names = []

    def __call__(self):
        self.names = []

    def discard(self):
        names, self.names = self.names, []
        for name in names:
            try:
                self.storage.delete(name)
            except Exception:  # noqa: BLE001 - cleanup must never mask the original error
                log.exception("could not delete photo file %s", name)

    def __del__(self):
        if self.names:
            self.discard()


def store_photo(photo, clean, *, save):
    """Write `clean` (and its thumbnail) into the model instance `photo`'s `image` and `thumbnail` fields, then
    `save(photo)`; inside the caller's transaction, the files go again unless it commits."""
    from django.db import transaction

    files = FilesUntilCommit(photo.image.storage)
    transaction.on_commit(files)
    stem = uuid.uuid4().hex
    try:
        photo.image.save(f"{stem}.{clean.ext}", ContentFile(clean.data), save=False)
        files.names.append(photo.image.name)
        photo.thumbnail.save(f"{stem}_t.jpg", ContentFile(clean.thumbnail), save=False)
        files.names.append(photo.thumbnail.name)
        photo.width, photo.height = clean.width, clean.height
        save(photo)
    except BaseException:
        files.names += [f.name for f in (photo.image, photo.thumbnail) if f.name and f.name not in files.names]
        files.discard()
        raise
    return photo


def serve_photo(photo, size, *, public=False):
    """The FileResponse of a stored photo's full image or thumbnail (Http404 when the file is gone)."""
    from django.http import FileResponse, Http404

    field = photo.image if size == "full" else photo.thumbnail
    if size not in SIZES or not field.name:
        raise Http404
    try:
        handle = field.storage.open(field.name, "rb")
    except OSError:
        raise Http404 from None
    content_type = "image/png" if field.name.lower().endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}" if public else "private, max-age=3600"
    response["Vary"] = "Cookie, Authorization"
    return response


# Shared caches may keep serving a public photo this long after it stops being public.
PUBLIC_MAX_AGE = 300
