"""Duplicate suggestion: similar open appeals near a place, found in Chinese text without word segmentation.

One selector, `similar_appeals()`, over two backends picked by the database:

* SQLite: an FTS5 table `appeals_appeal_fts` (columns grams, place, vis);
* PostgreSQL: a table `appeals_appeal_fts` (appeal_id, compound_id, doc
  tsvector) with a GIN index on doc and a btree on (compound_id, appeal_id).

Both are kept in sync by triggers on appeals_appeal (insert, update of the
searched columns, delete; on PostgreSQL also truncate) and hold OPEN appeals
only: the index is only as large as the set searched (a partial index, in
effect) and a closed appeal can never be suggested.

Why character bigrams and not trigrams: most Chinese words have two
characters, and small particles (的, 又, 了) sit between them. "3栋电梯坏了" and
"3栋的电梯又坏了" share no character trigram at all, but share the bigrams
3栋, 电梯 and 坏了. Bigrams are what CJK search engines index (pg_bigm, Lucene's
CJK analyser). So the index holds the text's bigrams as tokens:

* on SQLite the triggers write the bigrams, space separated, into an FTS5 table
  with the default unicode61 tokenizer (FTS5's trigram tokenizer cannot match
  anything shorter than three characters);
* on PostgreSQL an SQL function turns the text into a bigram array and
  `array_to_tsvector()` makes it a tsvector directly, bypassing every text
  parser. pg_trgm is not used: it extracts trigrams only from characters the
  database's locale calls alphanumeric (CJK is dropped under LC_CTYPE=C), and
  even where it works it misses two-character words as above.

The place and the visibility go into the index lookup too, so the candidates
are few before any appeal row is read: on SQLite as tokens in their own FTS5
columns (compound `k<id>`; `u<reporter id>` and `pub` for public appeals), on
PostgreSQL as the compound_id column plus `#u<id>`/`#pub` lexemes. A resident
only ever matches public appeals and their own. Of the matches, the WINDOW
most recent are ranked by the share of the query's bigrams they hold (the same
Python ranking on both databases, no bm25/ts_rank: bm25's statistics read every
query term's whole doclist), then filtered by distance and by "may see", and
cut to `limit`. Work is thus bounded by the place and the window, not by the
number of appeals in the database.
"""
import logging
import math
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection as default_connection
from django.db.models import Q
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import acting_org_ids, among, scope_of
from .capability import APPEAL_VIEW
from gongzhi.core.geometry import distance_m
from gongzhi.core.identity import redact_identifiers
from gongzhi.core.ids import as_id
from gongzhi.grid.models import Compound

from .models import OPEN_STATUSES, Appeal, Category, Status
from .routing import locate, validate_point

log = logging.getLogger(__name__)

TABLE = "appeals_appeal_fts"
CLOSED_STATUSES = tuple(sorted(set(Status.values) - set(OPEN_STATUSES)))
RADIUS_M = getattr(settings, "APPEAL_SIMILAR_RADIUS_M", 500)
# Compounds whose centre is this much farther than the radius may still hold appeals inside it.
COMPOUND_MARGIN_M = 1500
MAX_QUERY_GRAMS = 48
# At most this many matches (the most recent) are ranked. Only a place holding more open appeals than
# this that share a bigram with the query loses its oldest ones; it keeps a query fast among millions.
WINDOW = 3000
MIN_SCORE = 0.3
CATEGORY_BOOST = 0.1
QUERY_MAX = 5000

_RUN = re.compile(r"[^\W_]+")


def text_grams(text):
    """The distinct character bigrams of each run of letters/digits, in order ("电梯坏了" → 电梯, 梯坏, 坏了)."""
    seen = {}
    for run in _RUN.findall((text or "").lower()):
        for i in range(len(run) - 1):
            seen.setdefault(run[i:i + 2], None)
    return list(seen)


# --------------------------------------------------------------------------- index DDL

def _sql_list(values):
    return ", ".join("'%s'" % v.replace("'", "''") for v in values)


def _sqlite_grams(row):
    """SQL for the space-separated bigrams of row.title + row.description.

    Triggers may not use WITH, so the positions 0..n-2 come from json_each over
    a JSON array of n-1 zeros, built as hex(zeroblob(n-1)) with every "00"
    turned into "0,".
    """
    return (
        "(SELECT group_concat(substr(t.s, j.key + 1, 2), ' ') "
        f"FROM (SELECT lower({row}.title || ' ' || {row}.description) AS s) AS t, "
        "json_each('[' || rtrim(replace(hex(zeroblob(max(length(t.s) - 1, 0))), '00', '0,'), ',') || ']') AS j)"
    )


def _sqlite_values(row):
    return (f"{row}.id, {_sqlite_grams(row)}, 'k' || {row}.compound_id, "
            f"'u' || coalesce({row}.reporter_id, 0) || CASE WHEN {row}.is_public THEN ' pub' ELSE '' END")


_SQLITE_TRIGGERS = ("appeals_appeal_fts_ai", "appeals_appeal_fts_au", "appeals_appeal_fts_ad")
_CHANGED = ("old.id IS NOT new.id OR old.title IS NOT new.title OR old.description IS NOT new.description "
            "OR old.compound_id IS NOT new.compound_id OR old.reporter_id IS NOT new.reporter_id "
            "OR old.is_public IS NOT new.is_public OR (old.status IN ({c})) IS NOT (new.status IN ({c}))")


def _sqlite_install_sql():
    closed = _sql_list(CLOSED_STATUSES)
    cols = "rowid, grams, place, vis"
    return [
        # detail=column: no positions are needed (every token is a whole bigram), which keeps the index small.
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(grams, place, vis, detail=column)",
        f"CREATE TRIGGER IF NOT EXISTS appeals_appeal_fts_ai AFTER INSERT ON appeals_appeal "
        f"WHEN new.status NOT IN ({closed}) BEGIN "
        f"INSERT INTO {TABLE}({cols}) SELECT {_sqlite_values('new')}; END",
        f"CREATE TRIGGER IF NOT EXISTS appeals_appeal_fts_au AFTER UPDATE ON appeals_appeal "
        f"WHEN {_CHANGED.format(c=closed)} BEGIN "
        f"DELETE FROM {TABLE} WHERE rowid = old.id; "
        f"INSERT INTO {TABLE}({cols}) SELECT {_sqlite_values('new')} WHERE new.status NOT IN ({closed}); END",
        f"CREATE TRIGGER IF NOT EXISTS appeals_appeal_fts_ad AFTER DELETE ON appeals_appeal BEGIN "
        f"DELETE FROM {TABLE} WHERE rowid = old.id; END",
    ]


def _sqlite_rebuild_sql():
    closed = _sql_list(CLOSED_STATUSES)
    return [f"DELETE FROM {TABLE}",
            f"INSERT INTO {TABLE}(rowid, grams, place, vis) SELECT {_sqlite_values('a')} "
            f"FROM appeals_appeal AS a WHERE a.status NOT IN ({closed})"]


def _pg_install_sql():
    closed = _sql_list(CLOSED_STATUSES)
    doc = "appeals_appeal_doc({r}.title, {r}.description, {r}.reporter_id, {r}.is_public)"
    return [
        # Bigrams of letters/digits, lower-cased; pairs holding white space are left out.
        "CREATE OR REPLACE FUNCTION appeals_bigrams(t text) RETURNS text[] "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
        "SELECT coalesce(array_agg(DISTINCT g), '{}') FROM "
        "(SELECT substr(lower(t), i, 2) AS g FROM generate_series(1, char_length(t) - 1) AS i) AS s "
        "WHERE g !~ '\\s' $$",
        # The search document: bigrams as lexemes (no parser, so no locale), plus visibility tokens
        # (three or more characters, so they never collide with a bigram).
        "CREATE OR REPLACE FUNCTION appeals_appeal_doc(title text, description text, "
        "reporter_id bigint, is_public boolean) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
        "SELECT array_to_tsvector(appeals_bigrams(coalesce(title, '') || ' ' || coalesce(description, '')) "
        "|| ARRAY['#u' || coalesce(reporter_id, 0)] "
        "|| CASE WHEN is_public THEN ARRAY['#pub'] ELSE ARRAY[]::text[] END) $$",
        f"CREATE TABLE IF NOT EXISTS {TABLE} (appeal_id bigint PRIMARY KEY, compound_id bigint NOT NULL, "
        "doc tsvector NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_doc ON {TABLE} USING gin (doc)",
        # A compound's matches newest first, without sorting the rest of the table.
        f"CREATE INDEX IF NOT EXISTS {TABLE}_place ON {TABLE} (compound_id, appeal_id)",
        "CREATE OR REPLACE FUNCTION appeals_appeal_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        f"IF TG_OP = 'TRUNCATE' THEN DELETE FROM {TABLE}; RETURN NULL; END IF; "
        f"IF TG_OP <> 'INSERT' THEN DELETE FROM {TABLE} WHERE appeal_id = OLD.id; END IF; "
        f"IF TG_OP <> 'DELETE' AND NEW.status NOT IN ({closed}) THEN "
        f"INSERT INTO {TABLE} (appeal_id, compound_id, doc) VALUES (NEW.id, NEW.compound_id, {doc.format(r='NEW')}) "
        "ON CONFLICT (appeal_id) DO UPDATE SET compound_id = EXCLUDED.compound_id, doc = EXCLUDED.doc; "
        "END IF; RETURN NULL; END $$",
        "CREATE OR REPLACE TRIGGER appeals_appeal_fts_ins AFTER INSERT OR DELETE ON appeals_appeal "
        "FOR EACH ROW EXECUTE FUNCTION appeals_appeal_fts_sync()",
        "CREATE OR REPLACE TRIGGER appeals_appeal_fts_upd AFTER UPDATE ON appeals_appeal FOR EACH ROW WHEN ("
        + _CHANGED.replace(" IS NOT ", " IS DISTINCT FROM ").replace("old.", "OLD.").replace("new.", "NEW.")
        .format(c=closed) + ") EXECUTE FUNCTION appeals_appeal_fts_sync()",
        "CREATE OR REPLACE TRIGGER appeals_appeal_fts_trunc AFTER TRUNCATE ON appeals_appeal "
        "FOR EACH STATEMENT EXECUTE FUNCTION appeals_appeal_fts_sync()",
    ]


def _pg_rebuild_sql():
    closed = _sql_list(CLOSED_STATUSES)
    return [f"DELETE FROM {TABLE}",
            f"INSERT INTO {TABLE} (appeal_id, compound_id, doc) SELECT id, compound_id, "
            f"appeals_appeal_doc(title, description, reporter_id, is_public) "
            f"FROM appeals_appeal WHERE status NOT IN ({closed})"]


def _run(conn, statements):
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(conn=None, *, rebuild=True):
    """Create the search index and its triggers (idempotent); `rebuild` indexes the appeals already there."""
    conn = conn or default_connection
    if conn.vendor == "sqlite":
        _run(conn, _sqlite_install_sql() + (_sqlite_rebuild_sql() if rebuild else []))
    elif conn.vendor == "postgresql":
        _run(conn, _pg_install_sql() + (_pg_rebuild_sql() if rebuild else []))


def uninstall(conn=None):
    conn = conn or default_connection
    if conn.vendor == "sqlite":
        _run(conn, [f"DROP TRIGGER IF EXISTS {t}" for t in _SQLITE_TRIGGERS] + [f"DROP TABLE IF EXISTS {TABLE}"])
    elif conn.vendor == "postgresql":
        _run(conn, [f"DROP TRIGGER IF EXISTS {t} ON appeals_appeal"
                    for t in ("appeals_appeal_fts_ins", "appeals_appeal_fts_upd", "appeals_appeal_fts_trunc")]
             + [f"DROP TABLE IF EXISTS {TABLE}", "DROP FUNCTION IF EXISTS appeals_appeal_fts_sync()",
                "DROP FUNCTION IF EXISTS appeals_appeal_doc(text, text, bigint, boolean)",
                "DROP FUNCTION IF EXISTS appeals_bigrams(text)"])


def refresh(conn=None):
    """Write the triggers again and re-index: they hold the list of closed statuses as it was when installed,
    so a status added to (or moved out of) OPEN_STATUSES needs a migration that calls this."""
    conn = conn or default_connection
    if conn.vendor == "sqlite":  # CREATE TRIGGER IF NOT EXISTS would keep the old ones
        _run(conn, [f"DROP TRIGGER IF EXISTS {t}" for t in _SQLITE_TRIGGERS])
    install(conn, rebuild=True)  # on PostgreSQL: CREATE OR REPLACE


def ensure(conn=None):
    """On SQLite, put the triggers back if a migration rebuilt appeals_appeal (a table rebuild drops them)."""
    conn = conn or default_connection
    if conn.vendor != "sqlite":
        return True
    names = (TABLE, *_SQLITE_TRIGGERS)
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name IN (%s)" % ", ".join("%s" for _n in names), names)
        present = cursor.fetchone()[0]
    if present == len(names):
        return True
    log.warning("appeal search index incomplete (%d of %d objects); rebuilding it", present, len(names))
    install(conn, rebuild=True)
    return False


# --------------------------------------------------------------------------- the selector

@dataclass
class _Place:
    compound_ids: set | None = None   # None: anywhere
    home: int | None = None           # the compound given, or the one the point lies in
    point: tuple | None = None        # (lat, lng)


def _resolve_place(compound, lat, lng):
    place = _Place()
    if compound not in (None, ""):
        pk = compound.pk if isinstance(compound, Compound) else compound
        if not as_id(pk) or not Compound.objects.filter(pk=as_id(pk)).exists():
            raise ValidationError({"compound": _("小区不存在")})
        place.home = as_id(pk)
        place.compound_ids = {place.home}
    if lat not in (None, "") or lng not in (None, ""):
        if lat in (None, "") or lng in (None, ""):
            raise ValidationError({"location": _("经纬度需同时提供")})
        lat, lng = validate_point(lat, lng)
        place.point = (float(lat), float(lng))
        reach = RADIUS_M + COMPOUND_MARGIN_M
        dlat = _deg(reach / 111_000)
        dlng = _deg(reach / (111_000 * max(0.1, math.cos(math.radians(float(lat))))))
        near = list(Compound.objects.filter(center_lat__range=(lat - dlat, lat + dlat),
                                            center_lng__range=(lng - dlng, lng + dlng)))
        near = [c for c in near if distance_m(lat, lng, c.center_lat, c.center_lng) <= reach]
        if place.home is None and near:
            try:
                place.home = locate(lat, lng, candidates=near)[0].pk
            except ValidationError:
                pass
        place.compound_ids = (place.compound_ids or set()) | {c.pk for c in near}
    return place


def _deg(value):
    return Decimal(str(round(value, 6)))


def _category_id(category):
    if category in (None, ""):
        return None
    if isinstance(category, Category):
        return category.pk
    c = (Category.objects.filter(pk=as_id(category)) if as_id(category) else Category.objects.filter(code=category)).first()
    if c is None:
        raise ValidationError({"category": _("请选择有效的诉求分类")})
    return c.pk


def _sees_all_candidates(user):
    """Staff may see many appeals they did not file: search them all, then keep what they may see."""
    if user is None:
        return True
    scope = scope_of(user)
    return scope.superuser or scope.allows_anywhere(APPEAL_VIEW) or bool(acting_org_ids(user))


def _visible(user, rows):
    """The rows the user may see: public ones, and those the policy lets them read (selectors.visible_appeals).

    Checked over the few candidates the index returned (policy.among): as a SQL filter the same rule is a
    subquery over the whole table, which over a million appeals costs far more than the search itself.
    """
    if user is None or scope_of(user).superuser:
        return rows
    from .selectors import shown_publicly

    public = [a for a in rows if shown_publicly(a)]
    readable = {a.pk for a in among(user, APPEAL_VIEW, [a for a in rows if not shown_publicly(a)])}
    return [a for a in rows if a in public or a.pk in readable]


def _rank(rows, grams, n):
    """Ids of the n rows (id, bigram tokens) holding the largest share of the query's bigrams."""
    wanted = set(grams)
    ranked = []
    for rowid, tokens in rows:
        have = {t for t in tokens if len(t) == 2 and t.isalnum()}
        shared = len(wanted & have)
        if shared:
            ranked.append((shared / min(len(wanted), len(have)), shared, rowid))
    ranked.sort(reverse=True)
    return [rowid for _s, _n, rowid in ranked[:n]]


def _sqlite_candidates(conn, grams, place, own_only_user, n):
    """The WINDOW most recent matches, ranked in Python.

    No bm25: its statistics read the whole doclist of every query term each
    time, which is what makes it slow over a million rows.
    """
    terms = " OR ".join('"%s"' % g.replace('"', '""') for g in grams)
    match = f"grams : ({terms})"
    if place.compound_ids is not None:
        match += " AND place : (%s)" % " OR ".join(f"k{pk}" for pk in sorted(place.compound_ids))
    if own_only_user is not None:
        match += f" AND vis : (pub OR u{int(own_only_user.pk)})"
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT rowid, grams FROM {TABLE} WHERE {TABLE} MATCH %s ORDER BY rowid DESC LIMIT %s",
                       [match, WINDOW])
        rows = [(rowid, (doc or "").split()) for rowid, doc in cursor.fetchall()]
    return _rank(rows, grams, n)


def _tsq(tokens):
    return "(" + " | ".join("'%s'" % t.replace("\\", "\\\\").replace("'", "''") for t in tokens) + ")"


def _pg_candidates(conn, grams, place, own_only_user, n):
    """The WINDOW most recent matches, ranked in Python.

    With a place, each compound is read newest first through (compound_id,
    appeal_id), so the work is bounded by the place, not the table; without
    one the planner picks the GIN index or the primary key walked backwards.
    """
    query = _tsq(grams)
    if own_only_user is not None:
        query += " & " + _tsq(["#pub", f"#u{int(own_only_user.pk)}"])
    with conn.cursor() as cursor:
        if place.compound_ids is not None:
            cursor.execute(
                f"SELECT m.appeal_id, tsvector_to_array(m.doc) FROM unnest(%s::bigint[]) AS k(id) "
                f"CROSS JOIN LATERAL (SELECT appeal_id, doc FROM {TABLE} WHERE compound_id = k.id "
                f"AND doc @@ %s::tsquery ORDER BY appeal_id DESC LIMIT %s) AS m ORDER BY m.appeal_id DESC LIMIT %s",
                [sorted(place.compound_ids), query, WINDOW, WINDOW])
        else:
            cursor.execute(f"SELECT appeal_id, tsvector_to_array(doc) FROM {TABLE} WHERE doc @@ %s::tsquery "
                           f"ORDER BY appeal_id DESC LIMIT %s", [query, WINDOW])
        rows = cursor.fetchall()
    return _rank(rows, grams, n)


def similar_appeals(*, text, compound=None, lat=None, lng=None, category=None, exclude_id=None, limit=5, user=None):
    """Open appeals like `text` in the same compound or within RADIUS_M of the point, best first.

    Each returned Appeal carries `similarity` (0..1, the share of bigrams in
    common, plus a small boost for the same category) and `distance_m` (metres
    from the point, when one was given and the appeal's place is known).
    `user`: only appeals they may see, or public ones; None means no limit
    (for internal callers only).
    """
    text = (text or "").strip()
    if len(text) > QUERY_MAX:
        raise ValidationError({"text": _("查询内容不能超过%d个字") % QUERY_MAX})
    # Looked for as shown: the suggestions mask identifiers, so a full number typed here must not tell which
    # appeal holds it (by its rank or its score).
    text = redact_identifiers(text)
    limit = max(1, min(int(limit or 5), 20))
    place = _resolve_place(compound, lat, lng)
    category_id = _category_id(category)
    if not text or (place.compound_ids is not None and not place.compound_ids):
        return []
    query_grams = text_grams(text)
    own_only = None if _sees_all_candidates(user) else user
    conn = default_connection
    n = max(limit * 8, 40) * (4 if place.point is not None else 1)  # some fall outside the radius later
    if query_grams and conn.vendor in ("sqlite", "postgresql"):
        if conn.vendor == "sqlite":
            ensure(conn)
            ids = _sqlite_candidates(conn, query_grams[:MAX_QUERY_GRAMS], place, own_only, n)
        else:
            ids = _pg_candidates(conn, query_grams[:MAX_QUERY_GRAMS], place, own_only, n)
        qs = Appeal.objects.filter(pk__in=ids)
    else:  # a single character (or a database without an index): a plain substring search
        qs = Appeal.objects.filter(Q(title__contains=text) | Q(description__contains=text), status__in=OPEN_STATUSES)
        if place.compound_ids is not None:
            qs = qs.filter(compound_id__in=place.compound_ids)
        if own_only is not None:
            qs = qs.filter(Q(is_public=True) | Q(reporter_id=own_only.pk))
        qs = Appeal.objects.filter(pk__in=list(qs.order_by("-id").values_list("pk", flat=True)[:n]))
    qs = qs.filter(status__in=OPEN_STATUSES)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    rows = _visible(user, list(qs.select_related("compound__community", "category").order_by("-id")))

    wanted = set(query_grams)
    results = []
    for appeal in rows:
        appeal.distance_m = _distance(appeal, place.point)
        if place.point is not None and appeal.compound_id != place.home:
            if appeal.distance_m is None or appeal.distance_m > RADIUS_M:
                continue
        if wanted:
            have = set(text_grams(f"{appeal.title} {appeal.description}"))
            shared = len(wanted & have)
            if shared < min(2, len(wanted)) or not have:
                continue
            score = shared / min(len(wanted), len(have))
            if score < MIN_SCORE:
                continue
        else:
            score = 1.0
        if category_id and appeal.category_id == category_id:
            score += CATEGORY_BOOST
        appeal.similarity = round(min(score, 1.0), 3)
        appeal._rank = score
        results.append(appeal)
    results.sort(key=lambda a: (-a._rank, a.distance_m if a.distance_m is not None else float("inf"), -a.pk))
    return results[:limit]


def _distance(appeal, point):
    if point is None:
        return None
    if appeal.lat is not None and appeal.lng is not None:
        where = (appeal.lat, appeal.lng)
    elif appeal.compound.center_lat is not None and appeal.compound.center_lng is not None:
        where = (appeal.compound.center_lat, appeal.compound.center_lng)
    else:
        return None
    return round(distance_m(point[0], point[1], *where))
