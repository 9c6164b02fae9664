"""The three lists (三单): residents' needs, what units and members offer, the projects that answer needs,
the services done for them, and the append-only ledger of service hours."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.timeline import TimelineEvent, outbox_index
from gongzhi.grid.places import Placed


class Category(models.TextChoices):
    """(Stored as `topic`: a grant's condition on `category` elsewhere reads every model with such a field.)
    What a need asks for, what a resource offers and what a member is good at: one vocabulary, so that
    matching compares codes."""

    ELDERLY = "elderly", _("助老服务")
    CHILDREN = "children", _("儿童关爱")
    HEALTH = "health", _("健康义诊")
    REPAIR = "repair", _("维修帮办")
    ENVIRONMENT = "environment", _("环境整治")
    CULTURE = "culture", _("文体活动")
    LEGAL = "legal", _("法律咨询")
    WISH = "wish", _("微心愿")
    OTHER = "other", _("其他")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("待受理")
    IN_PROJECT = "in_project", _("已立项")
    DONE = "done", _("已完成")
    DECLINED = "declined", _("未采纳")


class Need(Placed):
    """A need or small wish a resident orders (点单), at their compound."""

    poster = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("标题"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    topic = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    wanted_from = models.DateField(_("希望开始日期"))
    wanted_to = models.DateField(_("希望结束日期"))
    people = models.PositiveIntegerField(_("受益人数"), default=1)
    status = models.CharField(_("状态"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    reason = models.CharField(_("未采纳原因"), max_length=200, blank=True)
    project = models.ForeignKey("lists.Project", verbose_name=_("项目"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="needs")
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("需求")
        verbose_name_plural = _("需求清单")
        indexes = [models.Index(fields=["compound", "status", "-created_at"], name="lists_need_queue")]
        constraints = [models.CheckConstraint(condition=Q(wanted_to__gte=models.F("wanted_from")),
                                              name="lists_need_window_order")]

    def __str__(self):
        return self.title


class RegistrationKind(models.TextChoices):
    UNIT = "unit", _("驻区单位")
    MEMBER = "member", _("在职党员")


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已报到")
    REFUSED = "refused", _("未通过")


class Registration(Placed):
    """双报到: a unit registers with the community where it is located, an in-service party member with the
    community where they live (the compound is the unit's, or the member's home)."""

    kind = models.CharField(_("报到类型"), max_length=8, choices=RegistrationKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("报到人/联系人"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name=_("单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    party_branch = models.CharField(_("所在党组织"), max_length=100, blank=True)
    skills = models.CharField(_("特长"), max_length=200, blank=True)  # Category codes, comma-separated
    weekly_hours = models.PositiveSmallIntegerField(_("每周可服务小时"), default=0)
    commitment_hours = models.DecimalField(_("年度服务承诺（小时）"), max_digits=6, decimal_places=1,
                                           default=Decimal("0"))
    resources_note = models.TextField(_("可提供的资源"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=RegistrationStatus.choices,
                              default=RegistrationStatus.PENDING)
    reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("报到登记")
        verbose_name_plural = _("双报到")
        indexes = [models.Index(fields=["kind", "status", "compound"], name="lists_registration_match")]

    def skill_list(self):
        return [s for s in self.skills.split(",") if s]

    def __str__(self):
        return str(self.organisation or self.user or self.pk)


class MemberSkill(models.Model):
    """One skill of a confirmed member, written when the community confirms the registration: what matching
    reads instead of the comma-separated `Registration.skills` (which no index can serve). The member's
    compound and weekly hours are copied here (a registration is never edited after review) so that "the
    members good at X in this compound, most hours first" is one index range, however many members there are."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="skill_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    compound = models.ForeignKey("grid.Compound", on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=16, choices=Category.choices)
    weekly_hours = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["topic", "compound", "weekly_hours", "id"], name="lists_skill_here"),
                   models.Index(fields=["topic", "weekly_hours", "id"], name="lists_skill_around")]
        constraints = [models.UniqueConstraint(fields=["registration", "topic"], name="lists_skill_once")]


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


class YearlyRating(models.Model):
    """The community's rating of a confirmed registration (a unit or a member) for one year, given once; a
    unit's is sent back to its party organisation as a one-page PDF. Read and written through its
    registration's place and relationships."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="ratings")
    year = models.PositiveSmallIntegerField(_("年度"))
    grade = models.CharField(_("评价等次"), max_length=10, choices=Grade.choices)
    comment = models.CharField(_("社区评语"), max_length=500, blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("年度评价")
        verbose_name_plural = _("年度评价")
        constraints = [models.UniqueConstraint(fields=["registration", "year"], name="lists_rating_once_a_year")]


class ProviderKind(models.TextChoices):
    UNIT = "unit", _("驻区单位")
    MEMBER = "member", _("党员")
    VOLUNTEER = "volunteer", _("志愿者")
    PROPERTY = "property", _("物业公司")
    SOCIAL = "social", _("社会组织")


class ResourceKind(models.TextChoices):
    SKILL = "skill", _("技能")
    VENUE = "venue", _("场地")
    MATERIAL = "material", _("物资")
    FUNDS = "funds", _("资金")
    SERVICE = "service", _("常态服务")


class Resource(Placed):
    """What a provider offers, at the compound it is based in."""

    title = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("资源类型"), max_length=10, choices=ResourceKind.choices)
    topic = models.CharField(_("服务类别"), max_length=16, choices=Category.choices)
    provider_kind = models.CharField(_("提供方类型"), max_length=10, choices=ProviderKind.choices)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提供人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name=_("提供单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    capacity = models.PositiveIntegerField(_("可服务人次"), default=1)
    available_from = models.DateField(_("可提供起"), null=True, blank=True)
    available_to = models.DateField(_("可提供止"), null=True, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("资源")
        verbose_name_plural = _("资源清单")
        # Matching reads the newest active resources of a category in the need's compound, then around it: each
        # an index range read backwards, stopped at the pool's size.
        indexes = [models.Index(fields=["topic", "active", "compound", "id"], name="lists_resource_here"),
                   models.Index(fields=["topic", "active", "id"], name="lists_resource_around")]

    def __str__(self):
        return self.title


class ProjectKind(models.TextChoices):
    ONE_OFF = "one_off", _("一次性微服务")
    RECURRING = "recurring", _("常态化服务")


class ProjectMode(models.TextChoices):
    DISPATCH = "dispatch", _("社区派单")
    PUBLISH = "publish", _("公开接单")


class ProjectStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")
    CLOSED = "closed", _("已关闭")


class Project(Placed):
    """What the community makes of one or several needs: dispatched to chosen providers (派单) or published
    for members and volunteers to take (接单), with `places` takers at most."""

    title = models.CharField(_("项目名称"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    topic = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    kind = models.CharField(_("项目类型"), max_length=10, choices=ProjectKind.choices, default=ProjectKind.ONE_OFF)
    mode = models.CharField(_("方式"), max_length=10, choices=ProjectMode.choices)
    places = models.PositiveSmallIntegerField(_("名额"), default=1)
    # Kept with the takes in one transaction; the constraint below is what makes N places mean N takers even
    # if a code path forgot the row lock.
    taken = models.PositiveSmallIntegerField(_("已接单"), default=0)
    status = models.CharField(_("状态"), max_length=8, choices=ProjectStatus.choices, default=ProjectStatus.OPEN)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目清单")
        indexes = [models.Index(fields=["compound", "status", "mode"], name="lists_project_board")]
        constraints = [
            models.CheckConstraint(condition=Q(taken__lte=models.F("places")), name="lists_project_not_overtaken"),
            models.CheckConstraint(condition=Q(places__gte=1), name="lists_project_places_positive"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="lists_project_dates"),
        ]

    def __str__(self):
        return self.title

    @property
    def free_places(self):
        return max(self.places - self.taken, 0)


class Take(models.Model):
    """A provider on a project: a member who took it, or a person or unit the community dispatched it to."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="takes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+")
    dispatched = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], condition=Q(user__isnull=False),
                                    name="lists_take_once_per_user"),
            models.UniqueConstraint(fields=["project", "organisation"], condition=Q(organisation__isnull=False),
                                    name="lists_take_once_per_org"),
            models.CheckConstraint(condition=Q(user__isnull=True) ^ Q(organisation__isnull=True),
                                   name="lists_take_one_provider"),
        ]


class ServiceStatus(models.TextChoices):
    RECORDED = "recorded", _("待确认")
    CONFIRMED = "confirmed", _("已确认")


class ServiceRecord(Placed):
    """What a provider did on a project, on one day; confirmed by the community, then counted in the ledger."""

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="services")
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("服务人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name=_("服务单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    served_on = models.DateField(_("服务日期"))
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=4, decimal_places=1)
    people_served = models.PositiveIntegerField(_("服务人数"), default=1)
    note = models.TextField(_("服务内容"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.RECORDED)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        constraints = [models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=24),
                                              name="lists_service_hours_in_a_day")]


def _service_photo_path(instance, filename):
    return f"lists/services/{instance.service_id}/{filename}"


class ServicePhoto(models.Model):
    """A photo of a service given, as others see it: re-encoded from the upload (gongzhi.core.images), no
    location metadata, with a thumbnail; shown to whoever may read the service."""

    service = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("图片"), upload_to=_service_photo_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("缩略图"), upload_to=_service_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("服务照片")
        verbose_name_plural = _("服务照片")


class Rating(models.IntegerChoices):
    UNSATISFIED = 1, _("不满意")
    BASICALLY = 2, _("基本满意")
    SATISFIED = 3, _("满意")


class Served(models.Model):
    """A resident a service was for (the poster of a need the project answers), and their rating (评单)."""

    service = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="served")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(_("评价"), choices=Rating.choices, null=True, blank=True)
    comment = models.CharField(_("评价意见"), max_length=200, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "user"], name="lists_served_once")]


class LedgerEntry(Placed):
    """One line of the service ledger, at the place of the service. Never changed nor deleted: a correction
    is a new line that reverses one line, once. A person's or unit's hours are the sum of their lines."""

    service = models.ForeignKey(ServiceRecord, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="ledger")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("服务人"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name=_("服务单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    hours = models.DecimalField(_("小时"), max_digits=6, decimal_places=1)
    points = models.IntegerField(_("积分"), default=0)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by")
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    # What another capability credits, named once ("stations.attendance:12"): a line for it is written once.
    source = models.CharField(_("来源"), max_length=60, blank=True, default="")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("服务台账")
        verbose_name_plural = _("服务台账")
        indexes = [models.Index(fields=["person", "year"], name="lists_ledger_person_year"),
                   models.Index(fields=["organisation", "year"], name="lists_ledger_org_year")]
        constraints = [
            # A service enters the ledger once for its provider (a correction names no service).
            models.UniqueConstraint(fields=["service"], condition=Q(reverses__isnull=True, service__isnull=False),
                                    name="lists_ledger_service_once"),
            models.UniqueConstraint(fields=["source"], condition=Q(reverses__isnull=True) & ~Q(source=""),
                                    name="lists_ledger_source_once"),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("ledger entries are never changed: add a reversing entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("ledger entries are never deleted: add a reversing entry")


class ListsEvent(TimelineEvent):
    """The timeline of needs, projects and services (one table: an event names the record it is about)."""

    need = models.ForeignKey(Need, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    service = models.ForeignKey(ServiceRecord, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="events")

    class Meta(TimelineEvent.Meta):
        indexes = [outbox_index("lists_event_outbox")]
