"""What the reporter is told of their appeal: the answers, never the staff's coordination."""
import pytest

from gongzhi.appeals import workflow as wf
from gongzhi.notifications.models import Notification
from gongzhi.appeals.recipients import AUDIENCES, REPORTER

pytestmark = pytest.mark.django_db

HOLD = "挂起原因：等电梯配件"
EXTENSION = "延期理由：厂家排期到下周"
REFUSAL = "不同意理由：先派人临时处置"
RETURN = "退单理由：不属于我司维保范围"
REPLY = "答复：维保单位明天上午到场"


def test_the_reporter_hears_only_of_actions_whose_notes_are_theirs():
    heard = {action for action, parties in AUDIENCES.items() if REPORTER in parties}
    assert heard and heard <= wf.REPORTER_NOTES, heard - wf.REPORTER_NOTES


def test_the_reporters_inbox_carries_no_coordination(grid, flow):
    a = flow.dispatched()
    a = flow.act(grid.property1, a, "take")
    a = flow.act(grid.property1, a, "hold", note=HOLD)
    a = flow.act(grid.property1, a, "resume")
    a = flow.act(grid.property1, a, "request_extension", note=EXTENSION, days=3)
    a = flow.act(grid.community_worker, a, "refuse_extension", note=REFUSAL)
    a = flow.act(grid.property1, a, "reply", note=REPLY)
    a = flow.act(grid.property1, a, "return", note=RETURN)
    mine = list(Notification.objects.filter(recipient=grid.resident1))
    text = "\n".join(n.title + n.body for n in mine)
    assert REPLY in text
    assert [s for s in (HOLD, EXTENSION, REFUSAL, RETURN) if s in text] == []
    # The staff concerned were told, with the reason.
    assert any(HOLD in n.body for n in Notification.objects.filter(recipient=grid.community_worker))
    assert any(REFUSAL in n.body for n in Notification.objects.filter(recipient=grid.property1))
