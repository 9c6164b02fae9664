"""Photos: judged by content, size- and pixel-limited, stripped of metadata, thumbnailed, served only in scope."""
import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import Http404
from PIL import ExifTags, Image

from gongzhi.appeals import photos
from gongzhi.core import images
from gongzhi.appeals.errors import Conflict, NotAllowed
from gongzhi.appeals.models import AppealPhoto, PhotoKind
from gongzhi.appeals.photos import photo_add, photo_url, validate_image

pytestmark = pytest.mark.django_db

NOT_IMAGE = "只能上传图片（JPEG/PNG/WebP）"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    return tmp_path


def jpeg_with_gps(size=(800, 600), orientation=6):
    img = Image.new("RGB", size, (200, 30, 30))
    img.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 4))  # a blue block at the top left
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (24.0, 8.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (115.0, 43.0, 48.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()


def png_bytes(size=(400, 300), mode="RGBA", **save):
    buf = io.BytesIO()
    color = {"RGBA": (10, 120, 10, 128), "RGB": (10, 120, 10)}.get(mode, 90)
    Image.new(mode, size, color).save(buf, "PNG", **save)
    return buf.getvalue()


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_claiming(width, height):
    """A small, valid PNG whose header claims width×height pixels (a decompression bomb's shape)."""
    data = bytearray(png_bytes((10, 10), mode="L"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def stored(field):
    with default_storage.open(field.name, "rb") as fh:
        return fh.read()


def appeal_files(media, appeal):
    d = media / "appeals" / str(appeal.pk)
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


class TestValidate:
    def test_source_really_carries_gps(self):
        exif = Image.open(io.BytesIO(jpeg_with_gps())).getexif()
        assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"

    def test_jpeg_reencoded_without_any_metadata_and_turned_upright(self):
        clean = validate_image(upload(jpeg_with_gps()))
        assert clean.ext == "jpg"
        out = Image.open(io.BytesIO(clean.data))
        assert out.format == "JPEG"
        assert len(out.getexif()) == 0
        assert "exif" not in out.info and "icc_profile" not in out.info and "xmp" not in out.info
        assert b"Exif" not in clean.data and b"TestPhone" not in clean.data
        # Orientation 6 (rotate 90° clockwise) applied to the pixels: 800×600 becomes 600×800, blue block top right.
        assert out.size == (600, 800) == (clean.width, clean.height)
        r, g, b = out.convert("RGB").getpixel((590, 10))
        assert b > 150 and r < 100

    def test_png_with_text_chunk_stays_png_without_it(self):
        from PIL import PngImagePlugin

        meta = PngImagePlugin.PngInfo()
        meta.add_text("Comment", "拍摄于宁江新城 24.14,115.73")
        clean = validate_image(upload(png_bytes(pnginfo=meta), "a.png", "image/png"))
        out = Image.open(io.BytesIO(clean.data))
        assert clean.ext == "png" and out.format == "PNG" and out.mode == "RGBA"
        assert "Comment" not in out.info and "宁江".encode() not in clean.data
        thumb = Image.open(io.BytesIO(clean.thumbnail))
        assert thumb.format == "JPEG" and thumb.mode == "RGB"

    def test_webp_and_gif_accepted(self):
        buf = io.BytesIO()
        Image.new("RGB", (300, 200), "white").save(buf, "WEBP")
        assert validate_image(upload(buf.getvalue(), "x.webp")).ext == "jpg"
        buf = io.BytesIO()
        frames = [Image.new("P", (60, 40), i) for i in (1, 2)]
        frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
        clean = validate_image(upload(buf.getvalue(), "x.gif", "image/gif"))
        assert clean.ext == "png" and Image.open(io.BytesIO(clean.data)).size == (60, 40)

    def test_large_image_downscaled_and_thumbnail_small(self):
        buf = io.BytesIO()
        Image.new("RGB", (4000, 1000), "gray").save(buf, "JPEG")
        clean = validate_image(upload(buf.getvalue()))
        assert max(clean.width, clean.height) == 2560
        assert max(Image.open(io.BytesIO(clean.thumbnail)).size) == 320

    @pytest.mark.parametrize("data,name,ctype", [
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n", "scan.jpg", "image/jpeg"),
        ("这不是图片，只是一段文字。".encode() * 20, "note.png", "image/png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.png", "image/png"),
    ])
    def test_not_an_image_by_content_whatever_the_name(self, data, name, ctype):
        with pytest.raises(ValidationError) as e:
            validate_image(upload(data, name, ctype))
        assert e.value.message_dict == {"photo": [NOT_IMAGE]}

    def test_truncated_jpeg_rejected(self):
        with pytest.raises(ValidationError) as e:
            validate_image(upload(jpeg_with_gps()[:400]))
        assert e.value.message_dict == {"photo": [NOT_IMAGE]}

    def test_empty_file(self):
        with pytest.raises(ValidationError) as e:
            validate_image(upload(b""))
        assert "photo" in e.value.message_dict

    def test_30mb_rejected_before_decoding(self, monkeypatch):
        def never(*a, **kw):
            raise AssertionError("decoded an oversized upload")

        monkeypatch.setattr(images.Image, "open", never)
        big = upload(b"\xff\xd8\xff\xe0" + bytes(30 * 1024 * 1024))
        with pytest.raises(ValidationError) as e:
            validate_image(big)
        assert e.value.message_dict == {"photo": ["图片不能超过 10 MB"]}

    def test_size_limit_from_settings(self, settings):
        settings.PHOTO_MAX_BYTES = 1000
        with pytest.raises(ValidationError) as e:
            validate_image(upload(jpeg_with_gps()))
        assert "MB" in e.value.message_dict["photo"][0]

    @pytest.mark.parametrize("w,h", [(8000, 8000), (40000, 40000)])
    def test_decompression_bomb_dimensions_rejected(self, w, h):
        with pytest.raises(ValidationError) as e:
            validate_image(upload(png_claiming(w, h), "bomb.png", "image/png"))
        assert e.value.message_dict == {"photo": ["图片像素过大（最多 40 百万像素）"]}


class TestAdd:
    def test_reporter_adds_photo_stored_stripped_with_thumbnail(self, grid, submit, media):
        a = submit()
        p = photo_add(user=grid.resident1, appeal=a, file=upload(jpeg_with_gps(), "IMG_0001 我家.jpg"))
        p.refresh_from_db()
        assert p.kind == PhotoKind.REPORT and p.uploaded_by == grid.resident1
        assert (p.width, p.height) == (600, 800)
        assert p.image.name.startswith(f"appeals/{a.pk}/") and "IMG_0001" not in p.image.name
        img = Image.open(io.BytesIO(stored(p.image)))
        assert len(img.getexif()) == 0 and "exif" not in img.info
        assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        thumb = Image.open(io.BytesIO(stored(p.thumbnail)))
        assert max(thumb.size) <= 320 and len(thumb.getexif()) == 0
        assert len(appeal_files(media, a)) == 2

    def test_png_upload(self, grid, submit):
        a = submit()
        p = photo_add(user=grid.resident1, appeal=a, file=upload(png_bytes(), "s.png", "image/png"))
        assert p.image.name.endswith(".png") and p.thumbnail.name.endswith(".jpg")

    def test_pdf_named_jpg_leaves_nothing(self, grid, submit, media):
        a = submit()
        with pytest.raises(ValidationError) as e:
            photo_add(user=grid.resident1, appeal=a, file=upload(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "x.jpg"))
        assert e.value.message_dict == {"photo": [NOT_IMAGE]}
        assert not AppealPhoto.objects.exists() and appeal_files(media, a) == []

    def test_failure_after_writing_removes_files(self, grid, submit, media, monkeypatch):
        a = submit()

        def broken_save(self, *args, **kw):
            raise RuntimeError("database went away")

        monkeypatch.setattr(AppealPhoto, "save", broken_save)
        with pytest.raises(RuntimeError):
            photo_add(user=grid.resident1, appeal=a, file=upload(jpeg_with_gps()))
        monkeypatch.undo()
        assert not AppealPhoto.objects.exists() and appeal_files(media, a) == []

    def test_callers_rollback_removes_files(self, grid, submit, media):
        a = submit()
        with pytest.raises(ValidationError):
            with transaction.atomic():  # e.g. the submit page: the second photo is bad, so nothing is kept
                photo_add(user=grid.resident1, appeal=a, file=upload(jpeg_with_gps()))
                assert len(appeal_files(media, a)) == 2
                photo_add(user=grid.resident1, appeal=a, file=upload(b"%PDF-1.4", "b.jpg"))
        assert not AppealPhoto.objects.exists() and appeal_files(media, a) == []

    def test_limit_per_appeal(self, grid, submit, monkeypatch):
        monkeypatch.setattr(photos, "MAX_PER_APPEAL", 2)
        a = submit()
        for _ in range(2):
            photo_add(user=grid.resident1, appeal=a, file=upload(png_bytes(), "s.png"))
        with pytest.raises(ValidationError) as e:
            photo_add(user=grid.resident1, appeal=a, file=upload(png_bytes(), "s.png"))
        assert e.value.message_dict == {"photo": ["每条诉求最多上传 2 张照片"]}
        assert AppealPhoto.objects.filter(appeal=a).count() == 2

    def test_out_of_scope_is_404(self, grid, submit):
        a = submit()
        with pytest.raises(Http404):
            photo_add(user=grid.resident2, appeal=a, file=upload(png_bytes()))
        assert not AppealPhoto.objects.exists()

    def test_who_adds_what(self, grid, submit, act):
        a = submit()
        with pytest.raises(NotAllowed):  # the reporter reports; evidence is the handler's
            photo_add(user=grid.resident1, appeal=a, file=upload(png_bytes()), kind=PhotoKind.EVIDENCE)
        photo_add(user=grid.grid_worker, appeal=a, file=upload(png_bytes()), kind=PhotoKind.PATROL)
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        a = act(grid.property1, a, "take")
        a = act(grid.property1, a, "resolve", note="已更换电梯控制板")
        ev = a.events.get(action="resolve")
        p = photo_add(user=grid.property1, appeal=a, file=upload(jpeg_with_gps()), kind=PhotoKind.EVIDENCE, event=ev)
        assert p.event == ev and ev.photos.get() == p
        with pytest.raises(ValidationError) as e:
            photo_add(user=grid.resident1, appeal=a, file=upload(png_bytes()), kind="selfie")
        assert "kind" in e.value.message_dict

    def test_closed_appeal_takes_no_photos(self, grid, submit, act):
        a = act(grid.community_worker, submit(), "reject", note="重复诉求")
        with pytest.raises(Conflict):
            photo_add(user=grid.community_worker, appeal=a, file=upload(png_bytes()))


class TestServe:
    @pytest.fixture
    def photo(self, grid, submit, act):
        a = submit()
        a = act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
        return photo_add(user=grid.resident1, appeal=a, file=upload(jpeg_with_gps()))

    def test_reporter_and_handler_fetch_outsider_gets_404(self, client, grid, photo):
        url = photo_url(photo)
        for user in (grid.resident1, grid.property1, grid.community_worker):
            client.force_login(user)
            r = client.get(url)
            assert r.status_code == 200, user
            assert r["Content-Type"] == "image/jpeg" and b"".join(r.streaming_content) == stored(photo.image)
            assert "private" in r["Cache-Control"]
        for user in (grid.resident2, grid.rider1):
            client.force_login(user)
            assert client.get(url).status_code == 404
        client.logout()
        assert client.get(url).status_code == 404
        assert client.get(photo_url(photo, "thumb")).status_code == 404

    def test_thumbnail_and_bad_size(self, client, grid, photo):
        client.force_login(grid.resident1)
        r = client.get(photo_url(photo, "thumb"))
        assert r.status_code == 200 and max(Image.open(io.BytesIO(b"".join(r.streaming_content))).size) <= 320
        assert client.get(f"/appeals/photos/{photo.pk}/original/").status_code == 404
        assert client.get(f"/appeals/photos/{photo.pk + 999}/full/").status_code == 404

    def test_public_appeal_photo_for_anyone(self, client, grid, submit):
        a = submit(is_public=True)
        p = photo_add(user=grid.resident1, appeal=a, file=upload(png_bytes(), "p.png"))
        r = client.get(photo_url(p))
        assert r.status_code == 200 and r["Content-Type"] == "image/png" and "public" in r["Cache-Control"]

    def test_bearer_token(self, api, grid, photo):
        assert api.get(grid.property1, photo_url(photo)).status_code == 200
        assert api.get(grid.resident2, photo_url(photo)).status_code == 404


class TestApi:
    def _post(self, client, user, path, data):
        from gongzhi.accounts.models import ApiToken

        _, raw = ApiToken.issue(user, 1)
        return client.post(path, data, HTTP_AUTHORIZATION=f"Bearer {raw}")

    def test_upload_and_list(self, client, api, grid, submit):
        a = submit()
        r = self._post(client, grid.resident1, f"/api/v1/appeals/{a.number}/photos",
                       {"photo": upload(jpeg_with_gps(), "g.jpg")})
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["url"] == f"/appeals/photos/{body['id']}/full/" and (body["width"], body["height"]) == (600, 800)
        listed = api.get(grid.resident1, f"/api/v1/appeals/{a.pk}/photos").json()
        assert [p["id"] for p in listed] == [body["id"]]
        assert api.get(grid.resident2, f"/api/v1/appeals/{a.pk}/photos").status_code == 404

    def test_upload_errors(self, client, grid, submit):
        a = submit()
        r = self._post(client, grid.resident1, f"/api/v1/appeals/{a.pk}/photos",
                       {"photo": upload(b"%PDF-1.4 fake", "x.jpg")})
        assert r.status_code == 400 and r.json()["field"] == "photo" and NOT_IMAGE in r.json()["detail"]
        r = self._post(client, grid.resident2, f"/api/v1/appeals/{a.pk}/photos", {"photo": upload(png_bytes())})
        assert r.status_code == 404
        assert not AppealPhoto.objects.exists()
