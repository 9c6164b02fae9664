import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_category_and_tag_names_follow_the_language(grid, client, submit):
    a = submit()
    assert grid.lift.label == "电梯故障"
    with translation.override("en"):
        assert grid.lift.label == "Lift breakdown"
        assert grid.tag_elderly.label == "Elderly living alone"
    client.force_login(grid.resident1)
    client.cookies["django_language"] = "en"
    body = client.get(f"/appeals/{a.pk}/").content.decode()
    assert "Lift breakdown" in body
    client.cookies["django_language"] = "zh-hans"
    assert "电梯故障" in client.get(f"/appeals/{a.pk}/").content.decode()
