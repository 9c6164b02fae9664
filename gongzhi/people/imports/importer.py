"""The run of one import job over its file: one pass, streamed, all or nothing.

Rows are read one at a time (files) and handled in batches of
IMPORT_BATCH_SIZE rows. The whole run is one database transaction: each batch
is validated, looked up with one query per kind of record, and its rows are
written at once (one multi-row insert per model for new records — see
gongzhi.core.bulk.BulkInsert — and bulk_update for changed ones). Every row is
validated, even after the first bad one, so the report counts every bad row
(and lists the first IMPORT_MAX_ERRORS; the rest are counted in
ImportJob.error_count). At the end the transaction is rolled back when any row
was bad or when this is a dry run, so nothing is ever half written and a dry
run writes nothing — while the file is never held in memory.

Duplicates inside one file are found without remembering every ID number:
each household and resident this import touches is stamped with
`last_import` (this job) and `last_import_row`. A later row that finds a
resident already stamped by this job is a duplicate of the stamped row. The
stamps live in the same transaction, so they vanish with a rolled-back run.

Audit: one AuditAction.IMPORT entry per run, real or dry, with the file, the
rows read and the errors found (and the counts it made or would make). There
are no per-row entries: an import of 30,000 rows would bury the log, and the
rows are traceable through `last_import` / `last_import_row`. This module
writes the entry of a run that imported; jobs.import_run those of the others.
"""
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import can
from gongzhi.people.capability import IMPORT
from gongzhi.core.audit import audit
from gongzhi.core.bulk import BulkInsert, Record
from gongzhi.core.crypto import lookup_hash
from gongzhi.core.identity import birth_date_from_id, gender_from_id
from gongzhi.core.models import AuditAction
from gongzhi.grid.models import Building, Compound, Household, Tenure

from .. import presenter
from ..models import ImportJob, Relation, Resident, Tag
from .files import ImportFileError, map_header, open_table, positive_setting, quote
from .rows import RowParser
from .template import HEADER


def batch_size():
    return max(1, int(getattr(settings, "IMPORT_BATCH_SIZE", 1000)))


def max_errors():
    return positive_setting("IMPORT_MAX_ERRORS", 500)


class _Rollback(Exception):
    pass


class Importer:
    """Runs one ImportJob over its stored file (see the module docstring)."""

    def __init__(self, job, progress=None):
        self.job = job
        self.user = job.user
        self.progress = progress
        self.errors = []
        self.counts = {"households_created": 0, "households_updated": 0, "residents_created": 0,
                       "residents_updated": 0, "buildings_created": 0}
        self.compounds = {}        # code -> Compound | None (unknown or out of scope)
        self.buildings = {}        # (compound id, code) -> Building | None (not there yet)
        self.building_ok = {}      # building id -> may import into it
        self.new_building_ok = {}  # compound id -> may create buildings in it
        self.tags_all = {}         # compound id -> may see (and so set) sensitive tags
        self.through = Resident.tags.through
        self.insert_households = BulkInsert(Household)
        self.insert_residents = BulkInsert(Resident)
        self.rows_seen = 0
        self.rows_read = 0
        self.error_count = 0       # every error found; self.errors keeps the first max_errors()
        self.error_rows = 0
        self._batch_errors = []

    # -- reporting

    def _error(self, row, key, message):
        self._batch_errors.append({"row": row.n, "column": HEADER[key], "message": str(message)})

    def _keep_errors(self):
        """A batch's errors in row order (batches follow the file), kept up to max_errors(); all are counted."""
        found, self._batch_errors = self._batch_errors, []
        found.sort(key=lambda e: e["row"])
        self.error_count += len(found)
        self.error_rows += len({e["row"] for e in found})
        room = max_errors() - len(self.errors)
        if room > 0:
            self.errors.extend(found[:room])

    # -- the run

    def run(self, path, kind):
        job = self.job
        with open_table(path, kind) as table:
            positions = map_header(table.header)
            parser = RowParser(positions)
            self.sensitive_tag_ids = parser.sensitive_tag_ids
            if table.estimate and table.estimate != job.rows_total:
                job.rows_total = table.estimate
                job.save(update_fields=["rows_total"])
            size = batch_size()
            rows = table.rows
            try:
                with transaction.atomic():
                    while True:
                        chunk = list(islice(rows, size))
                        if not chunk:
                            break
                        self.rows_read = chunk[-1][0] - 1
                        parsed = []
                        for n, values in chunk:
                            row = parser.parse(n, values)
                            if row is not None:
                                parsed.append(row)
                        del chunk
                        self.rows_seen += len(parsed)
                        if parsed:
                            self._batch(parsed)
                            self._keep_errors()
                        if self.progress is not None:
                            self.progress.report(self.rows_read)
                    if not self.rows_seen:
                        raise ImportFileError(_("文件只有表头，没有数据行"))
                    if self.error_count or job.dry_run:
                        raise _Rollback
                    audit(AuditAction.IMPORT, user=self.user, object_type=ImportJob._meta.label_lower,
                          object_id=str(job.pk), object_repr=job.file_name,
                          changes={"file": job.file_name, "rows": self.rows_seen, **self.counts},
                          detail=_("导入完成"))
            except _Rollback:
                pass
        return self.errors

    # -- one batch

    def _load_compounds(self, rows):
        missing = {r.compound for r in rows if r.compound and r.compound not in self.compounds}
        if not missing:
            return
        found = {c.code: c for c in Compound.objects.select_related("community").filter(code__in=missing)}
        for code in missing:
            c = found.get(code)
            self.compounds[code] = c if c is not None and can(self.user, IMPORT, c) else None

    def _load_buildings(self, rows):
        want = {}
        for r in rows:
            c = self.compounds.get(r.compound)
            if c is not None and r.building and (c.pk, r.building) not in self.buildings:
                want.setdefault(c.pk, set()).add(r.building)
        if not want:
            return
        codes = set().union(*want.values())
        found = {(b.compound_id, b.code): b for b in Building.objects.filter(compound_id__in=want, code__in=codes)}
        by_pk = {c.pk: c for c in self.compounds.values() if c is not None}
        for cid, bcodes in want.items():
            for code in bcodes:
                b = found.get((cid, code))
                if b is not None:
                    b.compound = by_pk[cid]
                self.buildings[(cid, code)] = b

    def _may_building(self, building):
        ok = self.building_ok.get(building.pk)
        if ok is None:
            ok = self.building_ok[building.pk] = can(self.user, IMPORT, building)
        return ok

    def _may_new_building(self, compound):
        ok = self.new_building_ok.get(compound.pk)
        if ok is None:
            ok = self.new_building_ok[compound.pk] = can(self.user, IMPORT, Building(compound=compound))
        return ok

    def _may_all_tags(self, compound):
        ok = self.tags_all.get(compound.pk)
        if ok is None:
            ok = self.tags_all[compound.pk] = presenter.sees_sensitive(self.user, compound)
        return ok

    def _may_move(self, resident):
        """May this import take a resident (found by ID number) from where they live now?"""
        if resident.cur_building_id:
            return bool(self.building_ok.get(resident.cur_building_id))
        return can(self.user, IMPORT, resident)  # no household: only a superuser

    def _check_buildings_of(self, residents):
        """Load and check the buildings residents currently live in (moving them needs both ends in scope)."""
        missing = {r.cur_building_id for r in residents
                   if r.cur_building_id and r.cur_building_id not in self.building_ok}
        if missing:
            for b in Building.objects.select_related("compound__community").filter(pk__in=missing):
                self.building_ok[b.pk] = can(self.user, IMPORT, b)

    def _batch(self, rows):
        job = self.job
        self._load_compounds(rows)
        self._load_buildings(rows)
        now = timezone.now()

        # 1. The grid key of each row: compound in scope, building (created when new), room.
        keyed = []
        for row in rows:
            for key, message in row.errors:
                self._error(row, key, message)
            if not (row.compound and row.building and row.room) or any(
                    k in ("compound", "building", "room") for k, _m in row.errors):
                continue
            compound = self.compounds.get(row.compound)
            if compound is None:
                self._error(row, "compound", _("小区编码不存在或不在您的管辖范围内：%s") % quote(row.compound))
                continue
            building = self.buildings.get((compound.pk, row.building))
            if building is None:
                if not self._may_new_building(compound):
                    self._error(row, "building", _("您无权在该小区导入楼栋：%s") % quote(row.building))
                    continue
                building = Building.objects.create(compound=compound, code=row.building, name=f"{row.building}栋")
                building.compound = compound
                self.buildings[(compound.pk, row.building)] = building
                self.building_ok[building.pk] = True
                self.counts["buildings_created"] += 1
            elif not self._may_building(building):
                self._error(row, "building", _("您无权导入该楼栋：%s") % quote(row.building))
                continue
            keyed.append((row, compound, building))
        if not keyed:
            return

        # 2. One query each: households by (building, room); residents by ID hash; members of those households.
        bids = {b.pk for _r, _c, b in keyed}
        rooms = {r.room for r, _c, _b in keyed}
        # (building in …, room in …) over-fetches the other rooms of those buildings: match the pairs on
        # plain tuples first, and build model instances only for the households this batch names.
        pairs = {(b.pk, r.room) for r, _c, b in keyed}
        ids = [pk for pk, bid, code in Household.objects.filter(building_id__in=bids, code__in=rooms)
               .values_list("pk", "building_id", "code") if (bid, code) in pairs]
        households = {(h.building_id, h.code): h for h in Household.objects.filter(pk__in=ids)} if ids else {}
        hashes = {r.id_hash for r, _c, _b in keyed if r.id_hash}
        by_pk = {}
        by_hash = {}
        if hashes:
            for res in Resident.objects.filter(id_number_hash__in=hashes).annotate(cur_building_id=F("household__building_id")):
                by_pk[res.pk] = res
                by_hash[res.id_number_hash] = res
        need_members = set()
        for r, _c, b in keyed:
            if r.has_resident and r.id_ok and (r.id_hash is None or r.id_hash not in by_hash):
                h = households.get((b.pk, r.room))
                if h is not None:
                    need_members.add(h.pk)
        members = {}
        if need_members:
            for res in Resident.objects.filter(household_id__in=need_members).annotate(
                    cur_building_id=F("household__building_id")):
                res = by_pk.setdefault(res.pk, res)
                members.setdefault(res.household_id, []).append(res)
        self._check_buildings_of(by_pk.values())
        current_tags = {}
        if by_pk:
            for rid, tid in self.through.objects.filter(resident_id__in=list(by_pk)).values_list("resident_id", "tag_id"):
                current_tags.setdefault(rid, set()).add(tid)

        # 3. Each row in file order.
        new_households = {}      # (building id, room) -> Household created in this batch
        touched_h = {}           # pk -> Household (existing)
        changed_h = set()
        new_residents = []       # [(Resident, Household)]
        new_by_hash = {}         # id hash -> row number, for residents created in this batch
        new_by_name = {}         # (household key, name) -> (row number, has ID)
        touched_r = {}           # pk -> Resident (existing)
        changed_r = set()
        set_tags = {}            # id(Resident) -> (Resident, set of tag ids)
        counts = self.counts
        job_id = job.pk
        for row, compound, building in keyed:
            n = row.n
            hkey = (building.pk, row.room)
            # -- the household
            h = new_households.get(hkey)
            if h is None:
                h = households.get(hkey)
                if h is None:
                    if not row.address and not any(k == "address" for k, _m in row.errors):
                        self._error(row, "address", _("新登记的户地址必填"))
                    h = Record(pk=None, building_id=building.pk, code=row.room, address=row.address,
                               floor_area=row.area, tenure=row.tenure or Tenure.OWNER)
                    h.last_import_id, h.last_import_row = job_id, n
                    h.created_at = h.updated_at = now
                    new_households[hkey] = h
                    counts["households_created"] += 1
                    h = None  # nothing more to compare for the row that created it
            if h is not None:
                if h.last_import_id == job_id:
                    # Touched by an earlier row of this file: its values must agree.
                    for key, value, current in (("address", row.address, h.address), ("area", row.area, h.floor_area),
                                                ("tenure", row.tenure, h.tenure)):
                        if value not in (None, "") and value != current:
                            self._error(row, key, _("与第%(row)s行同一户的%(column)s不一致")
                                        % {"row": h.last_import_row, "column": HEADER[key]})
                else:
                    changed = False
                    if row.address and row.address != h.address:
                        h.address, changed = row.address, True
                    if row.area is not None and row.area != h.floor_area:
                        h.floor_area, changed = row.area, True
                    if row.tenure and row.tenure != h.tenure:
                        h.tenure, changed = row.tenure, True
                    h.last_import_id, h.last_import_row = job_id, n
                    if h.pk is not None:
                        touched_h[h.pk] = h
                        if changed:
                            h.updated_at = now
                            changed_h.add(h.pk)
                            counts["households_updated"] += 1
            household = new_households.get(hkey) or households.get(hkey)
            if not row.has_resident or not row.id_ok or not row.name:
                continue

            # -- the resident
            res, dup_of = None, None
            name_key = (hkey, row.name)
            if row.id_hash is not None:
                if row.id_hash in new_by_hash:
                    dup_of = new_by_hash[row.id_hash]
                else:
                    res = by_hash.get(row.id_hash)
                    if res is None:
                        # Not known by ID: perhaps registered in this household by name only; give them the ID.
                        local = new_by_name.get(name_key)
                        if local is not None and not local[1]:
                            self._error(row, "name", _("与第%(row)s行为同一居民") % {"row": local[0]})
                            continue
                        same = [m for m in members.get(household.pk, ()) if m.name == row.name and not m.id_number_hash] \
                            if household.pk else []
                        if len(same) == 1:
                            res = same[0]
                if dup_of is not None or (res is not None and res.last_import_id == job_id):
                    self._error(row, "id_number", _("身份证号与第%(row)s行重复")
                                % {"row": dup_of if dup_of is not None else res.last_import_row})
                    continue
                if res is not None and res.id_number_hash == row.id_hash and not self._may_move(res):
                    self._error(row, "id_number", _("该身份证号已登记在其他居民名下"))
                    continue
            elif row.id_masked is not None:
                same = [m for m in members.get(household.pk, ()) if m.id_number_masked == row.id_masked] \
                    if household.pk else []
                if not same:
                    self._error(row, "id_number", _("身份证号是脱敏值，本户没有与之对应的居民；请填写完整身份证号"))
                    continue
                if len(same) > 1:
                    self._error(row, "id_number", _("身份证号是脱敏值，无法确定是本户哪位居民；请填写完整身份证号"))
                    continue
                res = same[0]
                if res.last_import_id == job_id:
                    self._error(row, "id_number", _("与第%(row)s行为同一居民") % {"row": res.last_import_row})
                    continue
            else:
                local = new_by_name.get(name_key)
                if local is not None:
                    self._error(row, "name", _("与第%(row)s行为同一居民（同户同名且未填身份证号）") % {"row": local[0]})
                    continue
                same = [m for m in members.get(household.pk, ()) if m.name == row.name] if household.pk else []
                if len(same) > 1:
                    self._error(row, "name", _("本户有多名同名居民，请填写身份证号以区分"))
                    continue
                if same:
                    res = same[0]
                    if res.last_import_id == job_id:
                        self._error(row, "name", _("与第%(row)s行为同一居民（同户同名且未填身份证号）")
                                    % {"row": res.last_import_row})
                        continue

            all_tags = self._may_all_tags(compound)
            if row.tag_ids and not all_tags and row.tag_ids & self.sensitive_tag_ids:
                hidden = Tag.objects.filter(pk__in=row.tag_ids & self.sensitive_tag_ids).values_list("name", flat=True)
                self._error(row, "tags", _("未知标签：%s") % "、".join(hidden))
                continue

            if res is None:
                res = Record(pk=None, name=row.name, relation=row.relation or Relation.OTHER, note=row.note)
                if row.id_number:
                    Resident.set_id_number(res, row.id_number)
                    res.birth_date = birth_date_from_id(row.id_number)
                    res.gender = gender_from_id(row.id_number)
                if row.phone:
                    Resident.set_phone(res, row.phone)
                res.last_import_id, res.last_import_row = job_id, n
                res.created_at = res.updated_at = now
                new_residents.append((res, household))
                if row.id_hash:
                    new_by_hash[row.id_hash] = n
                new_by_name[name_key] = (n, bool(row.id_hash))
                counts["residents_created"] += 1
                if row.tag_ids:
                    set_tags[id(res)] = (res, set(row.tag_ids))
                continue

            changed = False
            if row.id_number and not res.id_number_hash:
                res.set_id_number(row.id_number)
                res.birth_date = birth_date_from_id(row.id_number)
                res.gender = gender_from_id(row.id_number)
                changed = True
            if row.name != res.name:
                res.name, changed = row.name, True
            if household.pk is None or household.pk != res.household_id:
                res.household_id, changed = household.pk, True
                res._move_to = household
            if row.relation and row.relation != res.relation:
                res.relation, changed = row.relation, True
            if row.note and row.note != res.note:
                res.note, changed = row.note, True
            if row.phone and lookup_hash(row.phone) != res.phone_hash:
                res.set_phone(row.phone)
                changed = True
            if row.tag_ids is not None:
                current = current_tags.get(res.pk, set())
                # Sensitive tags the row's author could not see are kept: the user may not see them, or the
                # row comes from an export without REVEAL_ID (its ID number is masked, its 低保 tag left out).
                keep_hidden = not all_tags or row.id_masked is not None
                wanted = set(row.tag_ids) | (current & self.sensitive_tag_ids) if keep_hidden else set(row.tag_ids)
                if wanted != current:
                    set_tags[id(res)] = (res, wanted)
                    changed = True
            res.last_import_id, res.last_import_row = job_id, n
            touched_r[res.pk] = res
            if changed:
                res.updated_at = now
                if res.pk not in changed_r:
                    changed_r.add(res.pk)
                    counts["residents_updated"] += 1
            new_by_name[name_key] = (n, bool(res.id_number_hash))

        # 4. Write the batch.
        if new_households:
            created = list(new_households.values())
            self.insert_households.insert(created)
            pks = {(bid, code): pk for pk, bid, code in Household.objects.filter(
                building_id__in={h.building_id for h in created}, code__in={h.code for h in created}).values_list(
                "pk", "building_id", "code")}
            for h in created:
                h.pk = pks[(h.building_id, h.code)]
        if touched_h:
            changed = [touched_h[pk] for pk in changed_h]
            marked = [h for pk, h in touched_h.items() if pk not in changed_h]
            if changed:
                Household.objects.bulk_update(changed, ["address", "floor_area", "tenure", "updated_at",
                                                        "last_import", "last_import_row"])
            if marked:
                Household.objects.bulk_update(marked, ["last_import", "last_import_row"])
        if new_residents:
            objs = []
            for res, household in new_residents:
                res.household_id = household.pk
                objs.append(res)
            self.insert_residents.insert(objs)
            tagged = {res.last_import_row: res for res, _t in set_tags.values() if res.pk is None}
            if tagged:
                for row_n, pk in Resident.objects.filter(last_import_id=job_id, last_import_row__in=list(tagged)) \
                        .values_list("last_import_row", "pk"):
                    tagged[row_n].pk = pk
        if touched_r:
            changed = []
            for pk in changed_r:
                res = touched_r[pk]
                move_to = getattr(res, "_move_to", None)
                if move_to is not None:
                    res.household_id = move_to.pk
                changed.append(res)
            marked = [res for pk, res in touched_r.items() if pk not in changed_r]
            if changed:
                Resident.objects.bulk_update(changed, [
                    "name", "gender", "birth_date", "id_number_enc", "id_number_hash", "id_number_masked",
                    "phone_enc", "phone_hash", "phone_masked", "household", "relation", "note", "updated_at",
                    "last_import", "last_import_row"])
            if marked:
                Resident.objects.bulk_update(marked, ["last_import", "last_import_row"])
        if set_tags:
            existing = [res.pk for res, _t in set_tags.values() if res.pk in touched_r]
            if existing:
                self.through.objects.filter(resident_id__in=existing).delete()
            self.through.objects.bulk_create([
                self.through(resident_id=res.pk, tag_id=tid) for res, tids in set_tags.values() for tid in tids])
