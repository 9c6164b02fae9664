"""Meetings: scheduled in a station's room through the stations capability (its rules hold: no double booking),
recorded with minutes and decisions that put agenda topics to the owners' vote, and the minutes as a PDF."""
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from gongzhi.deliberation import services
from gongzhi.deliberation.models import Meeting, Topic, TopicStatus
from gongzhi.stations.models import Booking

from gongzhi.stations import services as stations
from gongzhi.stations.models import Kind, Room, RoomReach, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def discussion_room(cast):
    station = stations.station_create(user=cast.community_worker, compound_id=cast.K1.pk, name="宁江新城党群驿站",
                                      kind=Kind.PARTY, status=Status.OPEN, lat=Decimal("24.140"),
                                      lng=Decimal("115.730"), hours=[(d, datetime.time(8), datetime.time(22))
                                                                     for d in range(7)], amenities=("seats",))
    room = Room.objects.create(station=station, name="议事室", capacity=20, max_minutes=180, horizon_days=14)
    RoomReach.objects.create(room=room, compound=cast.K1)
    return room


def _slot(days=2, hour=19):
    start = (timezone.localtime() + datetime.timedelta(days=days)).replace(hour=hour, minute=0, second=0,
                                                                            microsecond=0)
    return start, start + datetime.timedelta(hours=1)


def test_a_meeting_books_the_room_and_a_clash_is_refused_with_nothing_written(cast, discussion_room):
    topic = services.topic_raise(user=cast.resident1, compound=cast.K1.pk, title="增设电动车充电桩")
    start, end = _slot()
    meeting = services.meeting_schedule(user=cast.community_worker, compound=cast.K1.pk, title="三月议事会",
                                        starts_at=start, ends_at=end, topics=[topic.pk], room=discussion_room.pk,
                                        attendees=8, invitees="业委会、物业、党支部、社区")
    assert meeting.booking.room == discussion_room and list(meeting.topics.all()) == [topic]
    with pytest.raises(ValidationError) as err:
        services.meeting_schedule(user=cast.community_worker, compound=cast.K1.pk, title="又一个会",
                                  starts_at=start, ends_at=end, room=discussion_room.pk, attendees=8)
    assert "已被预约" in str(err.value)
    assert Meeting.objects.count() == 1 and Booking.objects.count() == 1


def test_minutes_put_agenda_topics_to_the_vote_and_print(cast, client):
    topic = services.topic_raise(user=cast.resident1, compound=cast.K1.pk, title="增设电动车充电桩")
    start = timezone.now() - datetime.timedelta(hours=2)
    meeting = services.meeting_schedule(user=cast.owners1, compound=cast.K1.pk, title="三月议事会", starts_at=start,
                                        ends_at=start + datetime.timedelta(hours=1), topics=[topic.pk],
                                        place_note="小区党群服务站议事室")
    with pytest.raises(ValidationError):
        services.meeting_record(user=cast.owners1, meeting=meeting, attendance="", attendees_count=0, minutes="",
                                decisions="")
    services.meeting_record(user=cast.owners1, meeting=meeting, attendance="业委会3人、物业2人、党支部1人、社区1人",
                            attendees_count=7, minutes="讨论充电桩选址和收费。", decisions="提交业主表决。",
                            to_vote=[topic.pk])
    assert Topic.objects.get(pk=topic.pk).status == TopicStatus.TO_VOTE
    client.force_login(cast.resident1)  # the compound reads the minutes
    pdf = client.get(reverse("deliberation:meeting_pdf", args=[meeting.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "充电桩选址" in text and "增设电动车充电桩" in text
    client.force_login(cast.resident2)
    assert client.get(reverse("deliberation:meeting", args=[meeting.pk])).status_code == 404


def test_only_those_who_run_the_compound_schedule_meetings(cast, api):
    start, end = _slot()
    res = api.post(cast.resident1, "/api/v1/meetings", {"compound": cast.K1.pk, "title": "x", "place_note": "y",
                                                        "starts_at": start.isoformat(), "ends_at": end.isoformat()})
    assert res.status_code == 400 and not Meeting.objects.exists()
    res = api.post(cast.owners1, "/api/v1/meetings", {"compound": cast.K1.pk, "title": "议事会", "place_note": "议事室",
                                                      "starts_at": start.isoformat(), "ends_at": end.isoformat()})
    assert res.status_code == 201
    assert api.get(cast.resident1, "/api/v1/meetings").json()["count"] == 1
