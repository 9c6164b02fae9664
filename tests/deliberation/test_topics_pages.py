"""Topics reach the agenda at their threshold, resolutions are followed to done in public, and the pages work end
to end for the owner on a phone and for the owners' committee, in Chinese and English."""
import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.deliberation import services
from gongzhi.deliberation.models import Ballot, Resolution, Topic, TopicStatus

from .conftest import end_period, yes_to_all

pytestmark = pytest.mark.django_db


def _neighbours(c, n):
    out = []
    for i in range(n):
        u = User.objects.create_user(username=f"neighbour{i}", password=c.password)
        RoleAssignment.objects.create(user=u, role=Role.RESIDENT, household=c.H1b)
        out.append(u)
    return out


@override_settings(DELIBERATION_TOPIC_THRESHOLD=2)
def test_a_topic_goes_on_the_agenda_at_its_threshold_and_support_counts_once(owned):
    topic = services.topic_raise(user=owned.resident1, compound=owned.K1.pk, title="增设电动车充电桩")
    a, b = _neighbours(owned, 2)
    with pytest.raises(ValidationError):
        services.topic_support(user=owned.resident1, topic=topic)  # not one's own
    services.topic_support(user=a, topic=topic)
    with pytest.raises(ValidationError):
        services.topic_support(user=a, topic=topic)
    assert Topic.objects.get(pk=topic.pk).status == TopicStatus.OPEN
    services.topic_support(user=b, topic=topic)
    topic.refresh_from_db()
    assert (topic.supporters, topic.status) == (2, TopicStatus.AGENDA)


def test_a_resident_raises_topics_only_in_their_own_compound(owned):
    with pytest.raises(ValidationError):
        services.topic_raise(user=owned.resident1, compound=owned.K2.pk, title="别人的小区")
    assert not Topic.objects.exists()


def test_a_resolution_is_tracked_to_done_and_public_in_its_compound(owned, api):
    res = services.resolution_create(user=owned.owners1, compound=owned.K1.pk, title="安装充电桩",
                                     due_on="2027-03-01", responsible_org=owned.property_co.pk)
    assert api.post(owned.resident1, f"/api/v1/resolutions/{res.pk}/progress",
                    {"progress": 50, "note": "x"}).status_code == 404  # read, not report
    assert api.get(owned.resident1, f"/api/v1/resolutions/{res.pk}").json()["status"] == "open"
    r = api.post(owned.property1, f"/api/v1/resolutions/{res.pk}/progress", {"progress": 40, "note": "已选址"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert api.post(owned.property1, f"/api/v1/resolutions/{res.pk}/progress",
                    {"progress": 140, "note": "x"}).status_code == 400
    r = api.post(owned.property1, f"/api/v1/resolutions/{res.pk}/progress", {"progress": 100, "note": "已安装"})
    assert r.json()["status"] == "done"
    assert Resolution.objects.get(pk=res.pk).done_at is not None
    assert api.get(owned.resident2, f"/api/v1/resolutions/{res.pk}").status_code == 404  # another compound


def test_the_owner_votes_from_the_page_and_reads_the_notice(owned, make_vote, client):
    vote = make_vote(items=(("动用维修资金", "special"), ("续聘物业", "ordinary")))
    client.force_login(owned.resident1)
    page = client.get(reverse("deliberation:vote", args=[vote.pk]))
    assert page.status_code == 200 and "提交选票" in page.content.decode()
    data = {f"item_{k}": v for k, v in yes_to_all(vote).items()}
    client.post(reverse("deliberation:vote_ballot", args=[vote.pk]), data)
    assert Ballot.objects.get(vote=vote).choices == yes_to_all(vote)
    end_period(vote)
    client.force_login(owned.owners1)
    client.post(reverse("deliberation:vote_close", args=[vote.pk]))
    client.force_login(owned.resident1)
    notice = client.get(reverse("deliberation:vote_result", args=[vote.pk])).content.decode()
    assert "表决结果公告" in notice and "98.50 ÷ 218.50 = 197/437（45.08%）≥ 2/3（66.67%）" in notice
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(reverse("deliberation:vote_result", args=[vote.pk])).content.decode()
    assert "Result notice" in english


def test_the_draft_page_lists_what_stops_the_vote_from_opening(owned, make_vote, client):
    from gongzhi.grid.models import Household

    Household.objects.create(building=owned.B1, code="103", address="宁江新城一期1栋103")
    vote = make_vote(open_it=False)
    client.force_login(owned.owners1)
    page = client.get(reverse("deliberation:vote", args=[vote.pk])).content.decode()
    assert "宁江新城一期1栋103：未登记业主" in page and "锁定名册并开始投票" not in page


def test_pages_answer_each_role(owned, make_vote, client):
    vote = make_vote()
    topic = services.topic_raise(user=owned.resident1, compound=owned.K1.pk, title="楼道粉刷")
    for user in (owned.resident1, owned.owners1, owned.community_worker, owned.grid_worker):
        client.force_login(user)
        for url in (reverse("deliberation:index"), reverse("deliberation:vote", args=[vote.pk]),
                    reverse("deliberation:topic", args=[topic.pk])):
            assert client.get(url).status_code == 200, (user, url)
    client.force_login(owned.resident2)
    assert client.get(reverse("deliberation:vote", args=[vote.pk])).status_code == 404
    client.force_login(owned.owners1)
    assert client.get(reverse("deliberation:vote_new")).status_code == 200
    assert client.get(reverse("deliberation:resolution_new")).status_code == 200
