"""Every write to an appeal: submission and each workflow action.

All are atomic, checked against the policy module, recorded in the
appeal's timeline and the audit log. Two people acting on one appeal at
once: the row is locked and its version compared, so one wins and the other
gets a Conflict naming what changed.
"""
import datetime
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import acting_org_ids, can, relations_held, scope_of
from .capability import APPEAL_CREATE, APPEAL_DISPATCH, APPEAL_PROPERTY_REPORT, APPEAL_SUPERVISE, APPEAL_VERIFY, APPEAL_VIEW, APPEAL_WHISTLE
from gongzhi.core.audit import audit
from gongzhi.core.identity import redact_identifiers, validate_mobile
from gongzhi.core.ids import as_id
from gongzhi.core.models import AuditAction
from gongzhi.core.workdays import add_hours, add_working_days, calendar_after, working_days_between
from gongzhi.grid.models import Building, Compound, Household
from gongzhi.orgs.models import Organisation, OrgKind

from . import workflow as wf
from .errors import AppealError, Conflict, NotAllowed
from .models import (CLOCK_STATUSES, Appeal, AppealEvent, AppealKind, Category, Channel, MeToo, Rating, Status, TimeUnit,
                     WhistleCall, pk_from_number)
from .routing import categories, compounds, locate, route, validate_point

TITLE_MAX = 100
SUMMARY_LENGTH = 30  # an automatic title: this many characters at most, the ellipsis included
TEXT_MAX = 4000  # Open311's limit for a description; also ours
NOTE_MAX = 2000

# The channels staff enter appeals through, and the action each needs over the appeal's place: the desk takes
# calls and visits, grid workers report from patrol, property staff report what they find in the compounds
# they serve. Residents speak for themselves (the app); Open311 clients through their own channel.
STAFF_CHANNELS = {
    Channel.HOTLINE: APPEAL_DISPATCH,
    Channel.WALK_IN: APPEAL_DISPATCH,
    Channel.PATROL: APPEAL_VERIFY,
    Channel.PROPERTY: APPEAL_PROPERTY_REPORT,
}


def deadlines(start, category):
    """(respond_due, resolve_due) of an appeal received at `start`: one read of the calendar for both."""
    wd = [a for a, u in ((category.respond_amount, category.respond_unit),
                         (category.resolve_amount, category.resolve_unit)) if u != TimeUnit.HOURS]
    overrides = calendar_after(start, max(wd)) if wd else None

    def due(amount, unit):
        return add_hours(start, amount) if unit == TimeUnit.HOURS else add_working_days(start, amount, overrides)

    return due(category.respond_amount, category.respond_unit), due(category.resolve_amount, category.resolve_unit)


def category_lookup(value):
    """The active category with this id or code, or None."""
    pk, rows = as_id(value), categories()
    found = rows.get(pk) if pk else next((c for c in rows.values() if c.code == (value or "")), None)
    return found if found is not None and found.is_active else None


def _clean_text(value, field, label, maximum, required=True):
    v = (value or "").strip()
    if required and not v:
        raise ValidationError({field: _("%(label)s不能为空") % {"label": label}})
    if len(v) > maximum:
        raise ValidationError({field: _("%(label)s不能超过%(n)d个字") % {"label": label, "n": maximum}})
    return v


# What holds the character before it together with it: a cut between them would break the character in two.
_JOINING = frozenset({"Mn", "Mc", "Me"})
_ZWJ = "\u200d"


def _binds(text, i):
    """Does text[i] belong to the same character as text[i - 1]?"""
    ch = text[i]
    if unicodedata.category(ch) in _JOINING or text[i - 1] == _ZWJ or ch == _ZWJ:
        return True
    if "\U0001f3fb" <= ch <= "\U0001f3ff":  # skin-tone modifiers
        return True
    if "\U0001f1e6" <= ch <= "\U0001f1ff":  # a flag is two regional indicators: cut after the pair only
        run = 0
        while i - run - 1 >= 0 and "\U0001f1e6" <= text[i - run - 1] <= "\U0001f1ff":
            run += 1
        return run % 2 == 1
    return False


def shorten(text, length):
    """At most `length` characters: cut where a character ends (never inside an emoji, nor between a letter
    and its accent), with "…" when cut."""
    if len(text) <= length:
        return text
    end = length - 1
    while end > 0 and _binds(text, end):
        end -= 1
    return text[:end].rstrip() + "…"


def summary(description):
    """The title an appeal takes when none was given: the start of its description, identifiers masked.

    Masked before it is cut, so that no number is cut to a stub the masking would no longer recognise.
    """
    return shorten(" ".join(redact_identifiers(description).split()), SUMMARY_LENGTH)


def _resolve_place(*, compound=None, building=None, household=None, lat=None, lng=None):
    """(compound, building, household, lat, lng, note) from whatever place the user gave."""
    note = ""
    if household is not None:
        household = household if isinstance(household, Household) else Household.objects.select_related("building__compound").filter(pk=household).first()
        if household is None:
            raise ValidationError({"household": _("户不存在")})
        building = household.building
    if building is not None:
        building = building if isinstance(building, Building) else Building.objects.select_related("compound").filter(pk=building).first()
        if building is None:
            raise ValidationError({"building": _("楼栋不存在")})
        compound = building.compound
    if compound is not None and not isinstance(compound, Compound):
        compound = compounds().get(as_id(compound))  # kept in memory (routing.compounds), not read again
        if compound is None:
            raise ValidationError({"compound": _("小区不存在")})
    if lat is not None or lng is not None:
        if lat is None or lng is None:
            raise ValidationError({"location": _("经纬度需同时提供")})
        lat, lng = validate_point(lat, lng)
        if compound is None:
            compound, note = locate(lat, lng)
    if compound is None:
        raise ValidationError({"location": _("请在地图上选点，或选择小区/楼栋")})
    return compound, building, household, lat, lng, note


def staff_channels(user, compound=None):
    """The staff channels the user may enter appeals through: for this compound, or for some compound."""
    return [c for c, action in STAFF_CHANNELS.items() if can(user, action, compound)]


def _check_channel(user, channel, compound):
    """A channel the user may not use is bad input, answered on the field (400), never saved.

    Saved anyway, a resident's appeal "from the property company" would have no reporter: theirs, and
    they could not open it.
    """
    if channel not in Channel.values:
        raise ValidationError({"channel": _("渠道无效")})
    if channel in STAFF_CHANNELS:
        if channel not in staff_channels(user, compound):
            raise ValidationError({"channel": _("您无权通过该渠道录入此小区的诉求")})
    elif channel == Channel.OPEN311:  # only the service account of an Open311 client (gongzhi.open311)
        if getattr(user, "open311_client", None) is None:
            raise ValidationError({"channel": _("只有开放接口客户端可以通过该渠道提交诉求")})
    elif not can(user, APPEAL_CREATE):  # the pages' rule, for the API too (a role without a scope grants none)
        raise NotAllowed(_("账号尚未开通，无法提交诉求") if not scope_of(user).roles else _("您的账号无权提交诉求"))


def _check_household(user, household):
    """A household is someone's home: only its own resident, or staff whose scope holds it, may name it.

    Refused like a household that does not exist, so the answer confirms nothing.
    """
    if household is not None and not can(user, APPEAL_CREATE, household):
        raise ValidationError({"household": _("户不存在")})


def appeal_submit(*, user, category, description, title="", channel=Channel.APP, is_public=False,
                  compound=None, building=None, household=None, lat=None, lng=None, address="",
                  contact_name="", contact_phone="", now=None):
    """File an appeal: checked first, then written whole (appeal, its first event, the audit entry)."""
    errors = {}
    if not isinstance(category, Category):
        category = category_lookup(category)
    if category is None:
        errors["category"] = [_("请选择有效的诉求分类")]
    try:
        description = _clean_text(description, "description", _("诉求内容"), TEXT_MAX)
    except ValidationError as e:
        errors.update(e.message_dict)
    try:
        title = _clean_text(title, "title", _("标题"), TITLE_MAX, required=False) or summary(description)
        address = _clean_text(address, "address", _("地点描述"), 200, required=False)
        contact_name = _clean_text(contact_name, "contact_name", _("联系人"), 50, required=False)
    except ValidationError as e:
        errors.update(e.message_dict)
    if contact_phone:
        try:
            contact_phone = validate_mobile(contact_phone)
        except ValidationError as e:
            errors["contact_phone"] = e.messages
    if errors:
        raise ValidationError(errors)
    compound, building, household, lat, lng, place_note = _resolve_place(
        compound=compound, building=building, household=household, lat=lat, lng=lng)
    _check_channel(user, channel, compound)
    _check_household(user, household)
    if is_public and not category.may_be_public:
        raise ValidationError({"is_public": _("该分类的诉求不公开")})
    now = now or timezone.now()
    handler, rule, routing_note = route(category, compound)
    respond_due, resolve_due = deadlines(now, category)
    appeal = Appeal(
        category=category, channel=channel, title=title, description=description, is_public=bool(is_public),
        reporter=user if channel in (Channel.APP, Channel.OPEN311) else None, entered_by=user,
        contact_name=contact_name, compound=compound, building=building, household=household,
        lat=lat, lng=lng, address=address, suggested_handler=handler, routing_rule=rule,
        routing_note=(f"{place_note}；{routing_note}" if place_note else routing_note)[:200],
        routing_parts=(place_note.parts if place_note else []) + routing_note.parts,
        respond_due=respond_due, resolve_due=resolve_due, urgent=category.kind == AppealKind.EMERGENCY,
    )
    appeal.created_at = appeal.updated_at = now
    if contact_phone:
        appeal.set_contact_phone(contact_phone)
    # Every check above raises before anything is written, so a caller's transaction needs no savepoint here
    # (two statements of each intake): an error below is a database error that fails the caller's whole.
    with transaction.atomic(savepoint=False):
        appeal.save()
        _event(appeal, user, "submit", "", Status.SUBMITTED, note=appeal.routing_note, at=now,
               data={"channel": channel, "suggested_handler": handler.pk if handler else None,
                     "rule": rule.pk if rule else None})
        audit(AuditAction.CREATE, user=user, obj=appeal, changes={"status": [None, Status.SUBMITTED],
                                                                  "category": [None, category.code]})
    return appeal


def _event(appeal, user, action, from_status, to_status, *, note="", internal=False, organisation=None, data=None,
           at=None):
    from .notify import on_event, wanted

    event = AppealEvent.objects.create(appeal=appeal, at=at or timezone.now(), actor=user if getattr(user, "is_authenticated", False) else None,
                                       action=action, from_status=from_status, to_status=to_status, note=note,
                                       internal=internal, organisation=organisation, data=data or {},
                                       notify_pending=wanted())
    on_event(event)
    return event


def may_chase(appeal, now=None):
    """(may the reporter chase it now, why not): only past its deadline, and once a working day."""
    now = now or timezone.now()
    if appeal.status not in CLOCK_STATUSES or appeal.resolve_due is None or appeal.resolve_due >= now:
        return False, _("诉求尚未超过办理时限，暂不能催办")
    last = appeal.events.filter(action="chase").order_by("-at").values_list("at", flat=True).first()
    if last is not None and working_days_between(last, now) < 1:
        return False, _("今天已经催办过，下一个工作日可再次催办")
    return True, ""


def parties_of(user, appeal, *, called=None):
    """Which of the workflow's parties the user is for this appeal: the policy's answers, by role and by
    relationship (capability.py).

    `called`: the departments called to it by a whistle (at least those the user acts for), when a
    list has read them for all its appeals at once (presenter.views_of); else they are read here.
    """
    parties = set()
    if user is None or not getattr(user, "is_authenticated", False):
        return parties
    related = relations_held(user, appeal, known=None if called is None else {"called": called})
    parties |= {party for name, party in _RELATED_PARTIES.items() if name in related}
    if scope_of(user).superuser and appeal.handler_id:
        parties.add(wf.HANDLER)
    parties |= {party for action, party in _PLACED_PARTIES.items() if can(user, action, appeal)}
    return parties


_RELATED_PARTIES = {"reporter": wf.REPORTER, "handler": wf.HANDLER, "called": wf.CALLED}
_PLACED_PARTIES = {APPEAL_DISPATCH: wf.DISPATCHER, APPEAL_VERIFY: wf.VERIFIER,
                   APPEAL_SUPERVISE: wf.SUPERVISOR, APPEAL_WHISTLE: wf.WHISTLE}


def may_view(user, appeal):
    return can(user, APPEAL_VIEW, appeal)


def get_for_action(user, pk, *, lock=False, authored=False):
    """The appeal if the user may read it, else 404.

    `authored`: or if the user entered it themselves, for the one thing its author may do without reading it:
    add the photos they took (property staff who report a family in hardship may not follow the case after).
    """
    qs = Appeal.objects.select_related("category", "compound__community", "handler")
    if lock:
        qs = qs.select_for_update(of=("self",)) if transaction.get_connection().features.has_select_for_update_of else qs.select_for_update()
    appeal = qs.filter(pk=pk).first()
    if appeal is None:
        raise Http404
    author = authored and appeal.entered_by_id is not None and appeal.entered_by_id == getattr(user, "pk", None)
    if not (author or may_view(user, appeal)):
        raise Http404
    return appeal


def _handler_org(value, appeal):
    """The organisation to hand the appeal to: one that serves its place (selectors.handler_candidates).

    Any other would be handed a resident's appeal about a place it has nothing to do with.
    """
    from .selectors import handler_candidates

    if value is None or value == "":
        raise ValidationError({"handler": _("请选择承办单位")})
    org = value if isinstance(value, Organisation) else Organisation.objects.filter(pk=as_id(value), is_active=True).first() \
        if as_id(value) else None
    if org is None:
        raise ValidationError({"handler": _("承办单位不存在")})
    if org.pk not in {o.pk for o in handler_candidates(appeal)}:
        raise ValidationError({"handler": _("承办单位须为服务该诉求所在小区、社区或街道的组织")})
    return org


@transaction.atomic
def appeal_act(*, user, appeal, action, version=None, note="", internal=False, handler=None, days=None,
               rating=None, departments=(), duplicate_of=None, category=None, now=None):
    """Apply one workflow action. `version` is the version the user saw; a stale one is a Conflict."""
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    appeal = get_for_action(user, pk, lock=True)
    transition = wf.TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": _("未知操作：%s") % action})
    if version is not None and int(version) != appeal.version:
        raise Conflict(_("该诉求已被他人处理（当前状态：%(status)s），请刷新后重试")
                       % {"status": appeal.get_status_display()})
    parties = parties_of(user, appeal)
    if not transition.parties & parties:
        raise NotAllowed(_("您无权对该诉求执行“%s”") % transition.label)
    if appeal.status not in transition.sources:
        raise Conflict(_("诉求当前状态为“%(status)s”，不能%(action)s")
                       % {"status": appeal.get_status_display(), "action": transition.label})
    note = _clean_text(note, "note", _("说明"), NOTE_MAX, required=transition.needs_note)
    now = now or timezone.now()
    before = appeal.status
    handler_before = appeal.handler if transition.needs_handler else None
    target = transition.target or appeal.status
    updates, data, org = {}, {}, None

    if transition.needs_handler:
        org = _handler_org(handler, appeal)
        updates["handler"] = org
        data["handler"] = org.pk
    if transition.needs_category:
        moved_to = _new_category(category, appeal)
        updates["category"] = moved_to
        updates["urgent"] = moved_to.kind == AppealKind.EMERGENCY
        data["category"] = [appeal.category.code, moved_to.code]
    if action == "take" and appeal.responded_at is None:
        updates["responded_at"] = now
    elif action == "resolve":
        updates["resolved_at"] = now
        updates["public_reply"] = note
    elif action == "reply":
        updates["public_reply"] = note
        if appeal.responded_at is None:
            updates["responded_at"] = now
    elif action == "request_extension":
        days = _extension_days(days)
        data["days"] = days
    elif action == "grant_extension":
        asked = appeal.events.filter(action="request_extension").order_by("-id").values_list("data", flat=True).first() or {}
        days = _extension_days(days if days is not None else asked.get("days"))
        updates["resolve_due"] = add_working_days(max(appeal.resolve_due or now, now), days)
        data["days"] = days
    elif action in ("verify", "reject_result") and wf.REPORTER in parties and wf.VERIFIER not in parties:
        data["by"] = "reporter"
    elif action in ("close", "withdraw"):
        updates["closed_at"] = now
    elif action == "reject":
        if duplicate_of:  # a duplicate: linked to its original
            original = Appeal.objects.filter(pk=pk_from_number(duplicate_of)).first() if pk_from_number(duplicate_of) else None
            # Only an appeal the user may see: a link to one outside their scope would confirm it exists.
            if original is None or original.pk == appeal.pk or not may_view(user, original):
                raise ValidationError({"duplicate_of": _("重复的原诉求不存在")})
            updates["duplicate_of"] = original
        updates["closed_at"] = now
    elif action == "reopen":
        if appeal.rating != Rating.UNSATISFIED:
            raise NotAllowed(_("只有评价为“不满意”的诉求可以重启"))
        if appeal.closed_at and now - appeal.closed_at > datetime.timedelta(days=settings.APPEAL_REOPEN_DAYS):
            raise NotAllowed(_("已超过%d天的重启期限") % settings.APPEAL_REOPEN_DAYS)
        updates.update(reopen_count=F("reopen_count") + 1, closed_at=None, rating="", rated_at=None, resolved_at=None)
    elif action == "rate":
        if rating not in Rating.values:
            raise ValidationError({"rating": _("请选择满意、基本满意或不满意")})
        if appeal.rating:
            raise Conflict(_("该诉求已评价"))
        updates.update(rating=rating, rating_comment=note[:500], rated_at=now)
        data["rating"] = rating
        if appeal.status == Status.VERIFIED:
            target = Status.CLOSED
            updates["closed_at"] = now
    elif action == "whistle":
        called = _whistle(user, appeal, departments, note)
        data["departments"] = [d.pk for d in called]
    elif action == "whistle_report":
        org = _whistle_report(user, appeal, note, now)
    elif action == "supervise":
        updates["escalated_at"] = now
    elif action == "chase":
        ok, why = may_chase(appeal, now)
        if not ok:
            raise Conflict(why)

    updates["status"] = target
    updates["version"] = F("version") + 1
    changed = Appeal.objects.filter(pk=appeal.pk, version=appeal.version).update(**updates, updated_at=now)
    if not changed:
        raise Conflict(_("该诉求已被他人处理，请刷新后重试"))
    appeal.refresh_from_db()
    _event(appeal, user, action, before, target if target != before else "", note=note,
           internal=bool(internal) and action == "note", organisation=org or (appeal.handler if action == "dispatch" else None),
           data=data, at=now)
    changes = {"status": [before, target]} if target != before else {"action": [None, action]}
    if "category" in data:
        changes["category"] = data["category"]
    if transition.needs_handler:
        changes["handler"] = [str(handler_before) if handler_before else None, str(org)]
    audit(AuditAction.UPDATE, user=user, obj=appeal, detail=action, changes=changes)
    return appeal


BULK_DISPATCH_MAX = 50


def dispatch_suggested(*, user, pks, now=None):
    """Dispatch each of these appeals to the handler its routing suggested: one write each, whole or not, so
    one refused (taken meanwhile, out of scope, no suggestion) leaves the others done.
    Returns (dispatched appeals, [(pk, why) refused])."""
    if not can(user, APPEAL_DISPATCH):
        raise Http404
    pks = list(dict.fromkeys(as_id(pk) for pk in pks))
    if not pks or None in pks:
        raise ValidationError({"appeals": _("请选择要派单的诉求")})
    if len(pks) > BULK_DISPATCH_MAX:
        raise ValidationError({"appeals": _("一次最多派单 %d 件") % BULK_DISPATCH_MAX})
    done, refused = [], []
    for pk in pks:
        try:
            appeal = get_for_action(user, pk)
            if appeal.suggested_handler_id is None:
                raise Conflict(_("没有建议的承办单位，请逐件派单"))
            done.append(appeal_act(user=user, appeal=pk, action="dispatch", handler=appeal.suggested_handler_id,
                                   now=now))
        except Http404:
            refused.append((pk, _("诉求不存在")))
        except (AppealError, ValidationError) as e:
            refused.append((pk, getattr(e, "message", None) or " ".join(e.messages)))
    return done, refused


def _new_category(value, appeal):
    """The active category an appeal is moved to; not the one it is in."""
    if isinstance(value, Category):
        value = value.pk
    category = category_lookup(value) if value not in (None, "") else None
    if category is None:
        raise ValidationError({"category": _("请选择有效的诉求分类")})
    if category.pk == appeal.category_id:
        raise ValidationError({"category": _("该诉求已属于此分类")})
    return category


def _extension_days(days):
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"days": _("请填写延期的工作日天数")})
    if not 1 <= days <= 30:
        raise ValidationError({"days": _("延期天数应为1到30个工作日")})
    return days


def _whistle(user, appeal, departments, note):
    ids = [d.pk if isinstance(d, Organisation) else d for d in departments or ()]
    if not ids:
        raise ValidationError({"departments": _("请选择要召集的部门")})
    orgs = list(Organisation.objects.filter(pk__in=ids, is_active=True,
                                            kind__in=(OrgKind.GOV_DEPARTMENT, OrgKind.SUBDISTRICT_OFFICE,
                                                      OrgKind.COMMUNITY_OFFICE, OrgKind.PROPERTY_COMPANY,
                                                      OrgKind.RESIDENT_UNIT, OrgKind.SOCIAL_ORG)))
    if len(orgs) != len(set(ids)):
        raise ValidationError({"departments": _("部门不存在或不可召集")})
    already = set(appeal.whistle_calls.values_list("department_id", flat=True))
    new = [o for o in orgs if o.pk not in already]
    if not new:
        raise ValidationError({"departments": _("这些部门已被召集")})
    WhistleCall.objects.bulk_create([WhistleCall(appeal=appeal, department=o, called_by=user, instruction=note[:500]) for o in new])
    return new


def _whistle_report(user, appeal, note, now):
    mine = acting_org_ids(user)
    call = appeal.whistle_calls.filter(department_id__in=mine).select_related("department").order_by("id").first()
    if call is None:
        raise NotAllowed(_("您所在部门未被召集"))
    WhistleCall.objects.filter(pk=call.pk).update(report=note, reported_by=user, reported_at=now)
    return call.department


@transaction.atomic
def appeal_me_too(*, user, appeal):
    """A resident adds their voice to an open appeal instead of filing a new one."""
    if not can(user, APPEAL_CREATE):  # "me too" is a submission in all but name
        raise NotAllowed(_("您的账号无权提交诉求"))
    from .selectors import shown_publicly

    appeal = Appeal.objects.select_related("category").filter(pk=appeal.pk if isinstance(appeal, Appeal) else appeal).first()
    if appeal is None or not (shown_publicly(appeal) or may_view(user, appeal)):
        raise Http404
    if not appeal.is_open:
        raise Conflict(_("该诉求已结束，不能附议"))
    if appeal.reporter_id == user.pk:
        raise Conflict(_("这是您本人提交的诉求"))
    created = MeToo.objects.get_or_create(appeal=appeal, user=user)[1]  # not "_, created": _ is gettext here
    if not created:
        raise Conflict(_("您已附议过该诉求"))
    Appeal.objects.filter(pk=appeal.pk).update(me_too_count=F("me_too_count") + 1, updated_at=timezone.now())
    appeal.refresh_from_db()
    _event(appeal, user, "me_too", "", "", data={"count": appeal.me_too_count})
    return appeal


# Who may call back the person behind an appeal entered for them (hotline, walk-in): the desk, the handler,
# the verifier of that appeal — not its reporter, not staff elsewhere.
CONTACT_PARTIES = frozenset({wf.DISPATCHER, wf.HANDLER, wf.VERIFIER})


def may_reveal_contact(user, appeal, parties=None):
    parties = parties_of(user, appeal) if parties is None else parties
    return bool(appeal.contact_phone_enc) and bool(parties & CONTACT_PARTIES)


def appeal_contact_reveal(*, user, appeal):
    """The caller's full phone number, for the staff of this appeal; every reveal is audited."""
    from gongzhi.core import crypto

    appeal = get_for_action(user, appeal.pk if isinstance(appeal, Appeal) else appeal)
    if not appeal.contact_phone_enc:
        raise ValidationError({"contact_phone": _("该诉求没有登记联系电话")})
    if not may_reveal_contact(user, appeal):
        raise NotAllowed(_("您无权查看该诉求的联系电话"), field="contact_phone")
    audit(AuditAction.REVEAL, user=user, obj=appeal, changes={"field": "contact_phone"})
    return crypto.decrypt(appeal.contact_phone_enc)
