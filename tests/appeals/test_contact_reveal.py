import pytest

from gongzhi.appeals.models import Channel
from gongzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def hotline(grid, submit, act):
    a = submit(user=grid.community_worker, channel=Channel.HOTLINE, contact_name="来电的王先生", contact_phone=PHONE)
    act(grid.community_worker, a, "dispatch", handler=grid.property_co.pk)
    return a


def reveals(a):
    return AuditEntry.objects.filter(action="reveal", object_type="appeals.appeal", object_id=str(a.pk))


def test_desk_and_handler_may_call_back(grid, api, hotline):
    for user in (grid.community_worker, grid.property1):
        r = api.post(user, f"/api/v1/appeals/{hotline.pk}/reveal-contact")
        assert r.status_code == 200 and r.json()["contact_phone"] == PHONE
    assert reveals(hotline).count() == 2
    detail = api.get(grid.property1, f"/api/v1/appeals/{hotline.pk}").content.decode()
    assert PHONE not in detail and "139****5678" in detail


def test_others_may_not(grid, api, hotline, submit):
    assert api.post(grid.resident2, f"/api/v1/appeals/{hotline.pk}/reveal-contact").status_code == 404
    assert api.post(grid.owners1, f"/api/v1/appeals/{hotline.pk}/reveal-contact").status_code == 404
    own = submit()  # a resident's own appeal has no contact phone to reveal
    r = api.post(grid.community_worker, f"/api/v1/appeals/{own.pk}/reveal-contact")
    assert r.status_code == 400 and r.json()["field"] == "contact_phone"
    assert reveals(hotline).count() == 0


def test_page_button_reveals_and_audits(grid, client, hotline):
    client.force_login(grid.property1)
    page = client.get(f"/appeals/{hotline.pk}/").content.decode()
    assert PHONE not in page and f"/appeals/{hotline.pk}/contact/" in page
    shown = client.post(f"/appeals/{hotline.pk}/contact/").content.decode()
    assert PHONE in shown and reveals(hotline).count() == 1
    assert f'href="tel:{PHONE}"' in shown  # the desk calls back with a tap
    client.force_login(grid.resident2)
    assert client.post(f"/appeals/{hotline.pk}/contact/").status_code == 404


@pytest.fixture
def whistled(grid, hotline, act):
    """A department called in by a whistle on the hotline appeal, and one of its staff."""
    from gongzhi.accounts.models import Role, RoleAssignment, User

    act(grid.street_admin, hotline, "whistle", departments=[grid.dept.pk], note="联合执法")
    officer = User.objects.create_user("officer", password="x")
    RoleAssignment.objects.create(user=officer, role=Role.PROPERTY_STAFF, organisation=grid.dept)
    return officer


def test_called_department_may_read_but_not_reveal(grid, api, client, hotline, whistled):
    # The department answers the whistle from the appeal itself; the caller's number stays with the desk,
    # the handler and the verifier (services.CONTACT_PARTIES).
    from gongzhi.appeals import workflow as wf
    from gongzhi.appeals.errors import NotAllowed
    from gongzhi.appeals.services import appeal_contact_reveal, may_reveal_contact, parties_of

    assert parties_of(whistled, hotline) == {wf.CALLED}
    assert not may_reveal_contact(whistled, hotline)
    with pytest.raises(NotAllowed):
        appeal_contact_reveal(user=whistled, appeal=hotline)

    r = api.post(whistled, f"/api/v1/appeals/{hotline.pk}/reveal-contact")
    assert r.status_code == 403 and r.json()["field"] == "contact_phone"
    assert PHONE not in r.content.decode()

    client.force_login(whistled)
    page = client.get(f"/appeals/{hotline.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert PHONE not in html and f"/appeals/{hotline.pk}/contact/" not in html
    refused = client.post(f"/appeals/{hotline.pk}/contact/", follow=True)
    assert refused.redirect_chain == [(f"/appeals/{hotline.pk}/", 302)]
    assert PHONE not in refused.content.decode()
    assert reveals(hotline).count() == 0
