"""Appeals (诉求): categories, routing rules, the appeal and its timeline."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core import crypto
from gongzhi.core.models import BilingualName
from gongzhi.core.identity import mask_mobile
from gongzhi.core.timeline import TimelineEvent, outbox_index
from gongzhi.grid.places import Placed
from gongzhi.orgs.models import OrgKind


class AppealKind(models.TextChoices):
    ENQUIRY = "enquiry", _("咨询")
    HELP = "help", _("求助")
    SUGGESTION = "suggestion", _("建议")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    EMERGENCY = "emergency", _("紧急")


class HandlerLevel(models.TextChoices):
    COMPOUND = "compound", _("小区")
    COMMUNITY = "community", _("社区")
    SUBDISTRICT = "subdistrict", _("街道")


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "wd", _("工作日")
    HOURS = "h", _("小时")


# Guangdong 12345 rules (in force 2022-09-01): working days from receipt to resolve.
DEFAULT_RESOLVE = {
    AppealKind.ENQUIRY: (2, TimeUnit.WORKING_DAYS),
    AppealKind.HELP: (10, TimeUnit.WORKING_DAYS),
    AppealKind.SUGGESTION: (10, TimeUnit.WORKING_DAYS),
    AppealKind.COMPLAINT: (15, TimeUnit.WORKING_DAYS),
    AppealKind.REPORT: (15, TimeUnit.WORKING_DAYS),
    AppealKind.EMERGENCY: (4, TimeUnit.HOURS),
}
DEFAULT_RESPOND = {k: ((1, TimeUnit.HOURS) if k == AppealKind.EMERGENCY else (1, TimeUnit.WORKING_DAYS))
                   for k in AppealKind.values}


class Category(BilingualName, models.Model):
    parent = models.ForeignKey("self", verbose_name=_("上级分类"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    kind = models.CharField(_("类型"), max_length=12, choices=AppealKind.choices)
    handler_level = models.CharField(_("默认承办层级"), max_length=12, choices=HandlerLevel.choices,
                                     default=HandlerLevel.COMMUNITY)
    handler_kind = models.CharField(_("默认承办组织类型"), max_length=24, choices=OrgKind.choices,
                                    default=OrgKind.COMMUNITY_OFFICE)
    respond_amount = models.PositiveIntegerField(_("响应时限"), default=1)
    respond_unit = models.CharField(_("响应时限单位"), max_length=2, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS)
    resolve_amount = models.PositiveIntegerField(_("办结时限"), default=10)
    resolve_unit = models.CharField(_("办结时限单位"), max_length=2, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS)
    may_be_public = models.BooleanField(_("可公开"), default=True)
    # About a person's circumstances (hardship, a dispute, a report on someone, a complaint about the property
    # company): its appeals are read only by their reporter, the community desk and sub-district in scope, the
    # grid workers of the place, the handling organisation and departments whistled to it (appeals.selectors).
    confidential = models.BooleanField(_("保密"), default=False,
                                       help_text=_("仅提交人、社区和街道工作人员、所在小区网格员、承办单位及被吹哨部门可以查看"))
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")
        constraints = [
            models.CheckConstraint(condition=models.Q(respond_amount__gt=0) & models.Q(resolve_amount__gt=0),
                                   name="category_deadlines_positive"),
            # What may be published (Open311, other residents' suggestions, public photos) is never confidential.
            models.CheckConstraint(condition=~models.Q(confidential=True, may_be_public=True),
                                   name="category_confidential_not_public"),
        ]

    def __str__(self):
        return self.name

    def ancestors(self):
        """Self first, then parents up to the root."""
        node, seen = self, []
        while node is not None and node not in seen:
            seen.append(node)
            node = node.parent
        return seen


class RoutingRule(models.Model):
    """Send appeals of a category (and its sub-categories) in a place to an organisation.

    The most specific matching rule wins: category depth, then place (compound
    over community over anywhere), then priority. Without a rule, the
    category's default level and organisation kind decide.
    """

    name = models.CharField(_("名称"), max_length=100)
    category = models.ForeignKey(Category, verbose_name=_("分类"), null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="routing_rules", help_text=_("留空表示所有分类"))
    community = models.ForeignKey("grid.Community", verbose_name=_("社区"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    compound = models.ForeignKey("grid.Compound", verbose_name=_("小区"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    handler_kind = models.CharField(_("承办组织类型"), max_length=24, choices=OrgKind.choices, blank=True,
                                    help_text=_("由覆盖该地点的此类组织承办"))
    handler_level = models.CharField(_("承办层级"), max_length=12, choices=HandlerLevel.choices, blank=True)
    organisation = models.ForeignKey("orgs.Organisation", verbose_name=_("指定承办组织"), null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    priority = models.IntegerField(_("优先级"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["-priority", "id"]
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        constraints = [
            models.CheckConstraint(condition=~models.Q(handler_kind="") | models.Q(organisation__isnull=False),
                                   name="routing_rule_has_target"),
        ]

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    APP = "app", _("居民自助")
    HOTLINE = "hotline", _("热线/来电")
    WALK_IN = "walk_in", _("来访")
    PATROL = "patrol", _("网格巡查")
    PROPERTY = "property", _("物业上报")
    OPEN311 = "open311", _("开放接口")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    DISPATCHED = "dispatched", _("已派单")
    IN_PROGRESS = "in_progress", _("办理中")
    ON_HOLD = "on_hold", _("挂起")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    RETURNED = "returned", _("已退单")
    RESOLVED = "resolved", _("已办结")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不予受理")
    REOPENED = "reopened", _("已重启")
    WITHDRAWN = "withdrawn", _("已撤回")


# Where an appeal's story ends: done, refused by the desk, or taken back by its reporter before anyone took it up.
ENDED_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.WITHDRAWN})
OPEN_STATUSES = frozenset(Status.values) - ENDED_STATUSES
# The statuses in which the handling clock runs against the appeal's deadline.
CLOCK_STATUSES = frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.ON_HOLD,
                            Status.RETURNED, Status.REOPENED, Status.EXTENSION_REQUESTED})


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


def number_for(pk, created_at):
    from gongzhi.core.workdays import local_date

    return f"{local_date(created_at):%Y%m%d}-{pk}" if pk and created_at else ""


def pk_from_number(value):
    """Accept an appeal number (20261128-1234) or a bare id; None when neither."""
    from gongzhi.core.ids import as_id

    return as_id(str(value).strip().rsplit("-", 1)[-1])


class Appeal(Placed):
    category = models.ForeignKey(Category, verbose_name=_("分类"), on_delete=models.PROTECT, related_name="appeals")
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, default=Channel.APP)
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("内容"))
    is_public = models.BooleanField(_("公开"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    # In an emergency category (its kind): read first in every to-do. Kept here, not read through the category, so
    # each to-do's tiers are ranges of one index (selectors.urgency_tiers).
    urgent = models.BooleanField(_("紧急"), default=False, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1)

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="appeals_reported")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="appeals_entered")
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone_enc = models.TextField(blank=True, editable=False)
    contact_phone_masked = models.CharField(_("联系电话"), max_length=11, blank=True, editable=False)
    # The place (building, household, point) comes from Placed; the compound keeps its reverse name.
    compound = models.ForeignKey("grid.Compound", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="appeals")

    address = models.CharField(_("地点"), max_length=200, blank=True)

    handler = models.ForeignKey("orgs.Organisation", verbose_name=_("承办单位"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="appeals_handled")
    suggested_handler = models.ForeignKey("orgs.Organisation", verbose_name=_("建议承办单位"), null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    routing_rule = models.ForeignKey(RoutingRule, verbose_name=_("派单规则"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    routing_note = models.CharField(_("派单依据"), max_length=200, blank=True)
    # What the note was made of (routing.Note.parts), to say it in each reader's language; none before it was kept.
    routing_parts = models.JSONField(null=True, blank=True, editable=False)
    escalation_level = models.CharField(_("当前督办层级"), max_length=12, choices=HandlerLevel.choices,
                                        default=HandlerLevel.COMPOUND)

    respond_due = models.DateTimeField(_("响应时限"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("办结时限"), null=True, blank=True)
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    public_reply = models.TextField(_("答复"), blank=True)
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    duplicate_of = models.ForeignKey("self", verbose_name=_("重复于"), null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates")
    me_too_count = models.PositiveIntegerField(_("附议人数"), default=0)
    reopen_count = models.PositiveIntegerField(_("重启次数"), default=0)

    # Set by the service (it may backdate a submission entered later, e.g. from a paper log).
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")
        indexes = [
            models.Index(fields=["status", "compound", "-id"], name="appeal_queue_idx"),
            models.Index(fields=["handler", "status", "-id"], name="appeal_handler_queue_idx"),
            # Work queues read each status newest first (core.pagination.keyset_page with branches).
            models.Index(fields=["status", "-id"], name="appeal_status_recent_idx"),
            # To-dos read most urgent first (selectors.urgency_tiers): per status, emergencies then the rest, each
            # by deadline.
            models.Index(fields=["status", "urgent", "resolve_due", "id"], name="appeal_status_due_idx"),
            # Property staff's scope in the ordinary categories only (selectors._scope_branches): one range per
            # compound and category, counted from the index alone as a whole compound is from the compound's.
            models.Index(fields=["compound", "category"], name="appeal_compound_category_idx"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def number(self):
        """The reference residents quote: submission date and id, e.g. 20261128-1234."""
        return number_for(self.pk, self.created_at)

    def set_contact_phone(self, value):
        self.contact_phone_enc = crypto.encrypt(value)
        self.contact_phone_masked = mask_mobile(value)

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES



class AppealEvent(TimelineEvent):
    """One row of an appeal's timeline: who, when, from, to, why (core.timeline: the fields every timeline has,
    the outbox flag; appeals.timeline: who hears of it)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    organisation = models.ForeignKey("orgs.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("诉求流转记录")
        verbose_name_plural = _("诉求流转记录")
        indexes = [outbox_index("appeal_event_pending_idx")]  # its name from before timelines were shared

    def __str__(self):
        return f"{self.appeal_id} {self.action} {self.from_status}→{self.to_status}"


class MeToo(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="me_toos")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appeal", "user"], name="me_too_once")]


class WhistleCall(models.Model):
    """吹哨: the sub-district calls a department to an appeal; the department reports back."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="whistle_calls")
    department = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="whistle_calls")
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    called_at = models.DateTimeField(auto_now_add=True)
    instruction = models.CharField(_("要求"), max_length=500, blank=True)
    report = models.TextField(_("报到反馈"), blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appeal", "department"], name="whistle_department_once")]


class PhotoKind(models.TextChoices):
    REPORT = "report", _("诉求照片")
    EVIDENCE = "evidence", _("办结凭证")
    PATROL = "patrol", _("巡查照片")


def _photo_path(instance, filename):
    return f"appeals/{instance.appeal_id}/{filename}"


class AppealPhoto(models.Model):
    """A photo as others see it: re-encoded from the upload, location metadata gone, with a thumbnail."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(AppealEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos")
    kind = models.CharField(_("类型"), max_length=10, choices=PhotoKind.choices, default=PhotoKind.REPORT)
    image = models.ImageField(_("图片"), upload_to=_photo_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("缩略图"), upload_to=_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("诉求照片")
        verbose_name_plural = _("诉求照片")
