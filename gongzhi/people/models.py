"""Residents (person records), household membership, care tags, and imports."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core import crypto
from gongzhi.core.models import BilingualName
from gongzhi.core.identity import mask_id_number, mask_mobile


class Tag(BilingualName, models.Model):
    """A group that needs attention: elderly living alone, 低保 household, veteran, …"""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    sensitive = models.BooleanField(_("敏感"), default=False,
                                    help_text=_("敏感标签（如低保）仅对可查看明文的角色显示"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("关注标签")
        verbose_name_plural = _("关注标签")

    def __str__(self):
        return self.name


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    TENANT = "tenant", _("租客")
    OTHER = "other", _("其他")


class Resident(models.Model):
    """A person. A user account is optional and separate (accounts.User.resident)."""

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number_enc = models.TextField(_("身份证号（密文）"), blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    phone_enc = models.TextField(_("手机号（密文）"), blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, null=True, blank=True, db_index=True, editable=False)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, blank=True, editable=False)
    phone_masked = models.CharField(_("手机号"), max_length=11, blank=True, editable=False)
    household = models.ForeignKey("grid.Household", verbose_name=_("户"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="members")
    relation = models.CharField(_("与户主关系"), max_length=12, choices=Relation.choices, default=Relation.OTHER)
    tags = models.ManyToManyField(Tag, verbose_name=_("关注标签"), blank=True, related_name="residents")
    note = models.CharField(_("备注"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_import = models.ForeignKey("people.ImportJob", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_constraint=False)
    last_import_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("居民")
        verbose_name_plural = _("居民")

    def __str__(self):
        return self.name

    # Clear values: only for services that have checked the policy and audit the reveal.
    def id_number_clear(self):
        return crypto.decrypt(self.id_number_enc)

    def phone_clear(self):
        return crypto.decrypt(self.phone_enc)

    def set_id_number(self, value):
        self.id_number_enc = crypto.encrypt(value)
        self.id_number_hash = crypto.lookup_hash(value)
        self.id_number_masked = mask_id_number(value)

    def set_phone(self, value):
        self.phone_enc = crypto.encrypt(value)
        self.phone_hash = crypto.lookup_hash(value)
        self.phone_masked = mask_mobile(value)

    def path(self):
        return self.household.path() if self.household_id else {}


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("进行中")
    FAILED = "failed", _("有错误，未写入")
    CHECKED = "checked", _("检查通过（试运行）")
    DONE = "done", _("已导入")
    ERROR = "error", _("出错")


class ImportJob(models.Model):
    """An upload of households and residents: checked (dry run) and then imported."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("用户"))
    community = models.ForeignKey("grid.Community", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                  verbose_name=_("社区"))
    file_name = models.CharField(_("文件名"), max_length=200)
    file_path = models.CharField(max_length=500, editable=False)
    dry_run = models.BooleanField(_("试运行"), default=True)
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理"), default=0)
    households_created = models.PositiveIntegerField(default=0)
    households_updated = models.PositiveIntegerField(default=0)
    residents_created = models.PositiveIntegerField(default=0)
    residents_updated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)  # the first IMPORT_MAX_ERRORS of them
    error_count = models.PositiveIntegerField(_("错误数"), default=0)  # all of them
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def progress(self):
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class ConflictStatus(models.TextChoices):
    PENDING = "pending", _("待核实")
    MOVED = "moved", _("已迁入登记的户")
    DISMISSED = "dismissed", _("已驳回")


class RegistrationConflict(models.Model):
    """An ID number typed into a registration that a resident the user may not find by ID already holds.

    The user who typed it is told only that the number needs checking by the
    community (people.conflicts.NEUTRAL_MESSAGE); whether and where it is
    registered is for the community workers and sub-district admins whose
    scope holds both this household and that resident. Only the keyed hash of
    the number is kept: the resident holding it has the number itself.
    """

    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    household = models.ForeignKey("grid.Household", verbose_name=_("登记的户"), on_delete=models.CASCADE,
                                  related_name="+")
    name = models.CharField(_("登记的姓名"), max_length=50)
    relation = models.CharField(_("与户主关系"), max_length=12, choices=Relation.choices, default=Relation.OTHER)
    # For a change of an existing resident's number: that resident (none when a new resident was being added).
    subject = models.ForeignKey(Resident, verbose_name=_("被修改的居民"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    id_number_hash = models.CharField(max_length=64, editable=False)
    existing = models.ForeignKey(Resident, verbose_name=_("已登记该号码的居民"), on_delete=models.CASCADE,
                                 related_name="registration_conflicts")
    status = models.CharField(_("状态"), max_length=10, choices=ConflictStatus.choices, default=ConflictStatus.PENDING)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution_note = models.CharField(_("处理说明"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("登记核实")
        verbose_name_plural = _("登记核实")
        indexes = [models.Index(fields=["status", "-created_at"], name="conflict_status_idx")]

    def __str__(self):
        return _("登记核实 #%(id)s") % {"id": self.pk}

    def path(self):
        return self.household.path()
