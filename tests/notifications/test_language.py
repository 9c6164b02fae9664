"""A person who chose English on the site reads their messages and e-mails in English; others keep Chinese."""
import pytest

from gongzhi.notifications import services
from gongzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_the_language_switch_is_remembered_on_the_account(client, grid):
    client.force_login(grid.property1)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    grid.property1.refresh_from_db()
    assert grid.property1.language == "en"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})  # not a language of the site
    grid.property1.refresh_from_db()
    assert grid.property1.language == "en"


def test_each_reader_gets_the_message_in_their_language(grid, flow, settings):
    grid.property1.language = "en"
    grid.property1.email = "property1@example.cn"
    grid.property1.save()
    grid.community_worker.email = "desk@example.cn"
    grid.community_worker.save()
    a = flow.dispatched()  # tells the desk (submit) and the property company (dispatch)
    english = Notification.objects.get(recipient=grid.property1, action="dispatch")
    chinese = Notification.objects.get(recipient=grid.community_worker, action="submit")
    assert english.title.startswith("New appeal dispatched to you") and "Appeal number: " + a.number in english.body
    assert "Category: Lift breakdown" in english.body
    assert chinese.title.startswith("新诉求待受理") and "分类：电梯故障" in chinese.body
    assert services.email_subject(english).startswith("[Gongzhi]") and "automatically" in services.email_body(english)
    assert services.email_subject(chinese).startswith("【共治】")
