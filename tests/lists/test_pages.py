import datetime

from gongzhi.lists import services
from gongzhi.lists.models import LedgerEntry, Need, Project

from .conftest import TODAY


def test_the_loop_through_the_pages(lists, client):
    c = lists
    client.force_login(c.resident1)
    assert client.get("/lists/needs/new/").status_code == 200
    r = client.post("/lists/needs/new/", {"title": "上门理发", "category": "elderly", "compound": c.K2.pk,
                                          "wanted_from": TODAY.isoformat(), "wanted_to": TODAY.isoformat()})
    assert r.status_code == 400 and "该小区不在您可以点单的范围内" in r.content.decode()
    r = client.post("/lists/needs/new/", {"title": "上门理发", "category": "elderly", "compound": c.K1.pk,
                                          "wanted_from": TODAY.isoformat(),
                                          "wanted_to": (TODAY + datetime.timedelta(days=3)).isoformat(), "people": 2})
    need = Need.objects.get()
    assert r.status_code == 302
    assert "上门理发" in client.get("/").content.decode()
    client.force_login(c.community_worker)
    page = client.get(f"/lists/needs/{need.pk}/").content.decode()
    assert "特长相符" in page  # member1 registered with the elderly-care skill
    client.post("/lists/projects/new/", {"needs": need.pk, "title": "上门理发", "mode": "publish", "places": 1})
    project = Project.objects.get()
    client.force_login(c.member1)
    assert "上门理发" in client.get("/lists/board/").content.decode()
    client.post(f"/lists/projects/{project.pk}/take/")
    r = client.post(f"/lists/projects/{project.pk}/services/", {"served_on": TODAY.isoformat(), "hours": "1.5",
                                                                "people_served": 2})
    service = project.services.get()
    client.force_login(c.resident1)
    client.post(f"/lists/services/{service.pk}/rate/", {"rating": 3})
    assert service.served.get().rating == 3
    client.force_login(c.community_worker)
    client.post(f"/lists/services/{service.pk}/confirm/", {"version": service.version})
    assert LedgerEntry.objects.get().hours == 1.5
    client.force_login(c.member1)
    assert 'data-hours="1.5"' in client.get("/lists/hours/").content.decode()


def test_pages_out_of_reach_are_404(lists, client):
    c = lists
    client.force_login(c.resident2)
    need = Need.objects.create(poster=c.resident1, title="x", topic="repair", compound=c.K1, wanted_from=TODAY,
                               wanted_to=TODAY)
    assert client.get(f"/lists/needs/{need.pk}/").status_code == 404
    assert client.get("/lists/needs/").status_code == 404
    assert client.get("/lists/registrations/").status_code == 200  # a resident may register as a member


def test_a_project_shows_its_needs_and_a_service_links_back(lists, client, published):
    c = lists
    project = published()
    need = project.needs.get()
    services.project_take(user=c.member1, project=project)
    service = services.service_record(user=c.member1, project=project, served_on=TODAY, hours="2")
    client.force_login(c.community_worker)
    page = client.get(f"/lists/projects/{project.pk}/").content.decode()
    assert "回应的需求" in page and f'href="/lists/needs/{need.pk}/"' in page
    assert f'href="/lists/projects/{project.pk}/"' in client.get(f"/lists/services/{service.pk}/").content.decode()
    # The taker sees the project but not the resident's need behind it; the resident who rates the service may
    # not open the project, so the page offers no link there.
    client.force_login(c.member1)
    page = client.get(f"/lists/projects/{project.pk}/").content.decode()
    assert "回应的需求" not in page and f"/lists/needs/{need.pk}/" not in page and need.title not in page
    client.force_login(c.resident1)
    page = client.get(f"/lists/services/{service.pk}/").content.decode()
    assert "评价这次服务" in page and f"/lists/projects/{project.pk}/" not in page


def test_the_needs_board_counts_services_in_english_singular_and_plural(lists, client, published):
    from django.conf import settings

    c = lists
    project = published(places=2)
    services.project_take(user=c.member1, project=project)
    one = services.service_record(user=c.member1, project=project, served_on=TODAY, hours="2")
    services.service_confirm(user=c.community_worker, service=one)
    client.force_login(c.community_worker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/lists/needs/").content.decode()
    assert "1 service · " in page and "1 services" not in page
    two = services.service_record(user=c.member1, project=project, served_on=TODAY, hours="1")
    services.service_confirm(user=c.community_worker, service=two)
    assert "2 services · " in client.get("/lists/needs/").content.decode()
