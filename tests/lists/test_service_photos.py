"""Photos of a service given: recorded with it or added by its provider until confirmed, stored re-encoded
without location metadata, shown to whoever may read the service and to nobody else; and a project's detail
in the API lists only the needs behind it that the caller may read."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from gongzhi.accounts.models import ApiToken
from gongzhi.lists import services
from gongzhi.lists.models import ServicePhoto, ServiceRecord

from .conftest import TODAY


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


def photo(name="p.jpg"):
    img = Image.new("RGB", (640, 480), (30, 160, 60))
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (24.0, 8.0, 24.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def taken(lists, published):
    project = published()
    services.project_take(user=lists.member1, project=project)
    return project


def _record(client, user, project, files):
    client.force_login(user)
    return client.post(f"/lists/projects/{project.pk}/services/", {
        "served_on": TODAY.isoformat(), "hours": "2", "people_served": "3", "note": "上门理发", "photos": files})


def test_photos_recorded_with_a_service_are_stripped_and_shown_to_its_readers_only(lists, taken, client):
    c = lists
    r = _record(client, c.member1, taken, [photo("a.jpg"), photo("b.jpg")])
    service = ServiceRecord.objects.get(project=taken)
    assert r.status_code == 302 and r.url == f"/lists/services/{service.pk}/"
    shots = list(service.photos.all())
    assert len(shots) == 2
    with shots[0].image.open("rb") as fh:
        assert not Image.open(fh).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    page = client.get(r.url).content.decode()
    full, thumb = (f"/lists/services/{service.pk}/photos/{shots[0].pk}/{size}/" for size in ("full", "thumb"))
    assert thumb in page and full in page
    # The resident served (who rates it) and the desk see them; another resident and a stranger do not.
    for user, status in ((c.member1, 200), (c.resident1, 200), (c.community_worker, 200), (c.resident2, 404)):
        client.force_login(user)
        assert client.get(thumb).status_code == status, user
    client.logout()
    assert client.get(full).status_code == 302  # to the login page
    # A photo is reached through its own service only.
    client.force_login(c.community_worker)
    assert client.get(f"/lists/services/{service.pk + 1}/photos/{shots[0].pk}/full/").status_code == 404


def test_too_many_or_not_images_record_nothing(lists, taken, client):
    c = lists
    r = _record(client, c.member1, taken, [photo(f"{i}.jpg") for i in range(services.MAX_PHOTOS + 1)])
    assert r.status_code == 302 and not ServiceRecord.objects.exists()
    fake = SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    r = _record(client, c.member1, taken, [photo(), fake])
    assert not ServiceRecord.objects.exists() and not ServicePhoto.objects.exists()
    msgs = [str(m) for m in client.get(f"/lists/projects/{taken.pk}/").context["messages"]]
    assert any("只能上传图片" in m for m in msgs), msgs


def test_only_the_provider_adds_photos_and_only_until_confirmed(lists, taken, client):
    c = lists
    service = services.service_record(user=c.member1, project=taken, served_on=TODAY.isoformat(), hours="1.5")

    def add(user):
        _, raw = ApiToken.issue(user, 1)
        return client.post(f"/api/v1/services/{service.pk}/photos", {"photo": photo()},
                           HTTP_AUTHORIZATION=f"Bearer {raw}")

    r = add(c.member1)
    assert r.status_code == 201, r.content
    [shot] = r.json()["photos"]
    assert shot["thumbnail_url"] == f"/lists/services/{service.pk}/photos/{shot['id']}/thumb/"
    assert add(c.resident2).status_code == 404
    r = add(c.resident1)  # served, may read it, but did not give it
    assert r.status_code == 400 and r.json()["field"] == "photos"
    services.service_confirm(user=c.community_worker, service=service)
    assert add(c.member1).status_code == 409
    assert service.photos.count() == 1


def test_a_projects_detail_lists_the_needs_the_caller_may_read(lists, taken, api):
    c = lists
    desk = api.get(c.community_worker, f"/api/v1/projects/{taken.pk}").json()
    [need] = taken.needs.all()
    assert [(n["id"], n["title"]) for n in desk["needs"]] == [(need.pk, need.title)]
    assert api.get(c.member1, f"/api/v1/projects/{taken.pk}").json()["needs"] == []
