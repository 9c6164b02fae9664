"""Duplicate suggestion (bigram index on SQLite FTS5 / PostgreSQL tsvector) and "me too"."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gongzhi.appeals import similar
from gongzhi.appeals.models import Appeal, MeToo
from gongzhi.appeals.similar import similar_appeals, text_grams

pytestmark = pytest.mark.django_db

LIFT = "3栋电梯坏了"
LIFT_AGAIN = "3栋的电梯又坏了"


def ids(found):
    return [a.pk for a in found]


def indexed_ids():
    with connection.cursor() as c:
        c.execute("SELECT %s FROM appeals_appeal_fts" % ("rowid" if connection.vendor == "sqlite" else "appeal_id"))
        return sorted(r[0] for r in c.fetchall())


def test_bigrams():
    assert text_grams("3栋的电梯，又坏了!") == ["3栋", "栋的", "的电", "电梯", "又坏", "坏了"]
    assert text_grams("Lift OK") == ["li", "if", "ft", "ok"]
    assert text_grams("灯") == [] and text_grams("") == []
    # The brief's own example shares no character trigram, but three bigrams.
    assert set(text_grams(LIFT)) & set(text_grams(LIFT_AGAIN)) == {"3栋", "电梯", "坏了"}


class TestSuggest:
    def test_same_compound_found_both_ways(self, grid, submit):
        a = submit(description=LIFT)
        found = similar_appeals(text=LIFT_AGAIN, compound=grid.K1.pk, user=grid.community_worker)
        assert ids(found) == [a.pk]
        assert 0.3 <= found[0].similarity <= 1 and found[0].distance_m is None
        b = submit(description=LIFT_AGAIN)
        assert set(ids(similar_appeals(text=LIFT, compound=grid.K1, user=grid.community_worker))) == {a.pk, b.pk}

    def test_unrelated_text_not_found(self, grid, submit):
        submit(description=LIFT)
        assert similar_appeals(text="小区门口的路灯不亮了", compound=grid.K1.pk, user=grid.community_worker) == []
        # One common bigram is not enough to call it similar.
        assert similar_appeals(text="电梯广告太吵", compound=grid.K1.pk, user=grid.community_worker) == []

    def test_best_match_first_and_limit(self, grid, submit):
        far = submit(description="3栋楼道很脏，电梯里有垃圾")
        near = submit(description="3栋电梯坏了，困在8楼")
        found = similar_appeals(text=LIFT, compound=grid.K1.pk, user=grid.community_worker)
        assert ids(found)[0] == near.pk and far.pk in ids(found)
        assert len(similar_appeals(text=LIFT, compound=grid.K1.pk, user=grid.community_worker, limit=1)) == 1
        assert ids(similar_appeals(text=LIFT, compound=grid.K1.pk, user=grid.community_worker,
                                   exclude_id=near.pk))[:1] == [far.pk]

    def test_closed_and_rejected_not_suggested(self, grid, submit, act):
        a = submit(description=LIFT)
        b = submit(description=LIFT_AGAIN)
        act(grid.community_worker, b, "reject", note="重复", duplicate_of=a.number)
        assert ids(similar_appeals(text=LIFT, compound=grid.K1.pk, user=grid.community_worker)) == [a.pk]
        assert indexed_ids() == [a.pk]

    def test_other_compound_not_suggested(self, grid, submit):
        submit(description=LIFT, compound=grid.K3)
        assert similar_appeals(text=LIFT, compound=grid.K1.pk, user=grid.street_admin) == []
        mine = submit(description=LIFT, compound=grid.K1)
        # K3 lies about 2.8 km from K1: not near the point either.
        assert ids(similar_appeals(text=LIFT, lat="24.1401", lng="115.7301", user=grid.street_admin)) == [mine.pk]

    def test_nearby_by_point_with_distance(self, grid, submit):
        k2 = submit(description=LIFT, lat="24.1500", lng="115.7300")
        assert k2.compound == grid.K2
        k1 = submit(description=LIFT, compound=grid.K1)
        # 24.148 lies outside both compounds' squares, ~222 m south of the K2 appeal and ~890 m north of K1's centre.
        found = similar_appeals(text=LIFT_AGAIN, lat="24.1480", lng="115.7300", user=grid.community_worker)
        assert ids(found) == [k2.pk]
        assert 215 <= found[0].distance_m <= 230
        # With the compound given too, the compound's own appeals come whatever the distance.
        both = similar_appeals(text=LIFT_AGAIN, compound=grid.K1.pk, lat="24.1480", lng="115.7300",
                               user=grid.community_worker)
        assert set(ids(both)) == {k1.pk, k2.pk}
        assert {a.pk: a.distance_m for a in both}[k1.pk] == pytest.approx(890, abs=10)

    def test_category_boost(self, grid, submit):
        other = submit(description=LIFT, category=grid.lighting)
        same = submit(description=LIFT, category=grid.lift)
        found = similar_appeals(text=LIFT, compound=grid.K1.pk, category="lift", user=grid.community_worker)
        assert ids(found) == [same.pk, other.pk]
        assert found[0].similarity >= found[1].similarity

    def test_single_character_falls_back_to_substring(self, grid, submit):
        a = submit(description=LIFT)
        assert ids(similar_appeals(text="梯", compound=grid.K1.pk, user=grid.community_worker)) == [a.pk]
        assert similar_appeals(text="灯", compound=grid.K1.pk, user=grid.community_worker) == []

    def test_bad_input(self, grid):
        for kw, field in (({"compound": 999999}, "compound"), ({"lat": "24.1"}, "location"),
                          ({"lat": "99", "lng": "115"}, "lat"), ({"category": "nope"}, "category"),
                          ({"text": "长" * 6000}, "text")):
            with pytest.raises(ValidationError) as e:
                similar_appeals(**{"text": LIFT, **kw})
            assert field in e.value.message_dict
        assert similar_appeals(text="   ") == []

    def test_resident_sees_public_and_own_only(self, grid, submit):
        private = submit(description=LIFT)
        public = submit(description=LIFT_AGAIN, is_public=True)
        assert ids(similar_appeals(text=LIFT, compound=grid.K1.pk, user=grid.resident2)) == [public.pk]
        assert set(ids(similar_appeals(text=LIFT, compound=grid.K1.pk, user=grid.resident1))) == {private.pk, public.pk}

    def test_staff_outside_the_place_see_public_ones_only(self, grid, submit):
        private = submit(description=LIFT, compound=grid.K3, user=grid.resident1)
        public = submit(description=LIFT_AGAIN, compound=grid.K3, is_public=True)
        assert ids(similar_appeals(text=LIFT, compound=grid.K3.pk, user=grid.property1)) == [public.pk]
        assert set(ids(similar_appeals(text=LIFT, compound=grid.K3.pk, user=grid.street_admin))) == {private.pk, public.pk}


class TestIndexSync:
    def test_insert_update_delete(self, grid, submit):
        a = submit(description=LIFT)
        assert indexed_ids() == [a.pk]
        Appeal.objects.filter(pk=a.pk).update(title="路灯不亮", description="小区门口路灯不亮")
        assert similar_appeals(text=LIFT, compound=grid.K1.pk) == []
        assert ids(similar_appeals(text="门口路灯坏了不亮", compound=grid.K1.pk)) == [a.pk]
        a.refresh_from_db()
        a.compound = grid.K2
        a.save()
        assert similar_appeals(text="门口路灯不亮", compound=grid.K1.pk) == []
        assert ids(similar_appeals(text="门口路灯不亮", compound=grid.K2.pk)) == [a.pk]
        a.delete()
        assert indexed_ids() == [] and similar_appeals(text="门口路灯不亮", compound=grid.K2.pk) == []

    def test_workflow_updates_do_not_rewrite_the_entry_but_closing_removes_it(self, grid, submit, act):
        a = submit(description=LIFT)
        act(grid.community_worker, a, "accept")
        assert indexed_ids() == [a.pk]
        Appeal.objects.filter(pk=a.pk).update(status="closed")
        assert indexed_ids() == []
        Appeal.objects.filter(pk=a.pk).update(status="reopened")
        assert indexed_ids() == [a.pk]

    def test_bulk_created_appeals_are_indexed(self, grid, submit):
        a = submit(description=LIFT)
        Appeal.objects.bulk_create([Appeal(category=a.category, compound=grid.K1, title=f"{i}号楼电梯坏了",
                                           description="电梯坏了") for i in range(5)])
        assert len(indexed_ids()) == 6

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's (Django's flush uses it)")
    def test_postgresql_truncate_empties_the_index(self, grid, submit):
        submit(description=LIFT)
        with connection.cursor() as c:
            c.execute("SET CONSTRAINTS ALL IMMEDIATE")
            c.execute("TRUNCATE appeals_appeal CASCADE")
        assert indexed_ids() == []

    @pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite rebuilds tables in migrations")
    def test_sqlite_triggers_put_back_after_a_table_rebuild(self, grid, submit):
        a = submit(description=LIFT)
        with connection.cursor() as c:
            for t in similar._SQLITE_TRIGGERS:  # what a later migration rebuilding appeals_appeal does
                c.execute(f"DROP TRIGGER {t}")
        b = submit(description=LIFT_AGAIN)
        assert indexed_ids() == [a.pk]
        assert set(ids(similar_appeals(text=LIFT, compound=grid.K1.pk))) == {a.pk, b.pk}
        c = submit(description=LIFT)
        assert indexed_ids() == [a.pk, b.pk, c.pk]


class TestApi:
    def test_similar_endpoint(self, api, grid, submit):
        a = submit(description=LIFT, is_public=True, lat="24.1402", lng="115.7301")
        r = api.get(grid.resident2, "/api/v1/appeals/similar", text=LIFT_AGAIN, compound=grid.K1.pk,
                    lat="24.1400", lng="115.7300")
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["count"] == 1
        item = body["items"][0]
        assert item["id"] == a.pk and item["number"] == a.number and item["compound_name"] == grid.K1.name
        assert item["status"] == "submitted" and item["me_too_count"] == 0 and 20 <= item["distance_m"] <= 30
        assert not {"reporter", "reporter_id", "contact_name", "contact_phone_masked"} & set(item)

    def test_similar_endpoint_errors_and_auth(self, api, grid):
        r = api.get(grid.resident1, "/api/v1/appeals/similar", text=LIFT, lat="abc", lng="115")
        assert r.status_code == 400 and r.json()["field"] == "lat"
        assert api.get(None, "/api/v1/appeals/similar", text=LIFT).status_code == 401
        assert api.get(grid.resident1, "/api/v1/appeals/similar", text="").json() == {"count": 0, "items": []}

    def test_me_too_once_per_user(self, api, grid, submit):
        a = submit(description=LIFT, is_public=True)
        r = api.post(grid.resident2, f"/api/v1/appeals/{a.number}/me-too")
        assert r.status_code == 200 and r.json()["me_too_count"] == 1
        r = api.post(grid.resident2, f"/api/v1/appeals/{a.pk}/me-too")
        assert r.status_code == 409 and r.json()["detail"] == "您已附议过该诉求"
        assert api.post(grid.community_worker, f"/api/v1/appeals/{a.pk}/me-too").json()["me_too_count"] == 2
        a.refresh_from_db()
        assert a.me_too_count == 2 and MeToo.objects.filter(appeal=a).count() == 2
        assert a.events.filter(action="me_too").count() == 2
        assert api.post(grid.resident1, f"/api/v1/appeals/{a.pk}/me-too").status_code == 409  # their own

    def test_me_too_private_appeal_of_someone_else_is_404(self, api, grid, submit):
        a = submit(description=LIFT)
        assert api.post(grid.resident2, f"/api/v1/appeals/{a.pk}/me-too").status_code == 404
        assert api.post(grid.resident2, "/api/v1/appeals/999999/me-too").status_code == 404
        assert api.post(grid.resident2, "/api/v1/appeals/similar/me-too").status_code == 404
        a.refresh_from_db()
        assert a.me_too_count == 0 and not MeToo.objects.exists()

    def test_me_too_closed_appeal_conflict(self, api, grid, submit, act):
        a = act(grid.community_worker, submit(description=LIFT, is_public=True), "reject", note="不属实")
        r = api.post(grid.resident2, f"/api/v1/appeals/{a.pk}/me-too")
        assert r.status_code == 409 and "已结束" in r.json()["detail"]
