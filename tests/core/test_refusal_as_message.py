"""A refused write on an action form becomes one message for the next page; nothing after it in the block runs,
and anything that is not a refusal still fails loudly."""
import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from gongzhi.core.errors import Conflict
from gongzhi.core.forms import refusal_as_message


class Taken(Conflict):
    default_message = "名额已满"


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.parametrize("refusal,said", [
    (ValidationError({"hours": ["时长应大于 0"], "served_on": ["日期不能晚于今天"]}), "时长应大于 0 日期不能晚于今天"),
    (ValidationError("已关闭"), "已关闭"),
    (Conflict("该记录已被他人修改"), "该记录已被他人修改"),
    (Taken(), "名额已满"),
])
def test_a_refusal_is_one_error_message_and_stops_the_block(refusal, said):
    def write():
        raise refusal

    request, after = _request(), []
    with refusal_as_message(request):
        write()
        after.append("the success message")
    assert after == []
    assert [(m.level_tag, m.message) for m in get_messages(request)] == [("error", said)]


def test_a_write_that_goes_through_says_nothing_of_its_own():
    request = _request()
    with refusal_as_message(request):
        done = 1
    assert done == 1 and list(get_messages(request)) == []


def test_anything_else_is_not_swallowed():
    with pytest.raises(KeyError), refusal_as_message(_request()):
        raise KeyError("x")
