import pytest
from django.db.models import Q

from gongzhi.appeals.models import Appeal
from gongzhi.core.pagination import keyset_page

pytestmark = pytest.mark.django_db


def walk(qs, branches, limit):
    seen, cursor = [], None
    while True:
        rows, cursor = keyset_page(qs, cursor=cursor, limit=limit, branches=branches)
        seen += [r.pk for r in rows]
        if not cursor:
            return seen


def test_branches_give_the_same_pages_as_one_query(grid, submit, act):
    for i in range(9):
        a = submit(description=f"第{i}号诉求")
        if i % 3 == 1:
            act(grid.community_worker, a, "accept")
        elif i % 3 == 2:
            act(grid.community_worker, a, "reject", note="重复")
    qs = Appeal.objects.select_related("category")
    branches = [Q(status="submitted"), Q(status="accepted"), Q(status="rejected")]
    for limit in (1, 2, 4, 50):
        assert walk(qs, branches, limit) == walk(qs, None, limit) == sorted(Appeal.objects.values_list("pk", flat=True), reverse=True)
    only_open = qs.filter(status__in=["submitted", "accepted"])
    assert walk(only_open, branches[:2], 2) == list(only_open.order_by("-id").values_list("pk", flat=True))
