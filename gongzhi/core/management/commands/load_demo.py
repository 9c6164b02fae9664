"""`manage.py load_demo`: the deterministic Xincheng demo (see gongzhi.core.demo)."""
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils.translation import gettext as _

from gongzhi.core import demo


class Command(BaseCommand):
    help = _("载入新城社区演示数据（确定性生成：同一种子，同样的数据）")

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help=_("数据库中已有街道数据时跳过（用于 make run）"))
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help=_("随机种子"))
        parser.add_argument("--scale", type=float, default=1.0,
                            help=_("住户数量比例，0 到 1 之间（测试用，如 0.02）"))

    def handle(self, *args, if_empty=False, seed=demo.DEFAULT_SEED, scale=1.0, **options):
        if not 0 < scale <= 1:
            raise CommandError(_("--scale 应在 0（不含）到 1 之间"))
        if demo.demo_present():
            if if_empty:
                self.stdout.write(_("数据库中已有数据，未载入演示数据。"))
                return
            raise CommandError(_("数据库中已有街道数据，未载入演示数据。请使用空数据库，或加 --if-empty 跳过。"))
        started = time.monotonic()
        try:
            counts = demo.load_demo(seed=seed, scale=scale)
        except IntegrityError as e:
            raise CommandError(_("演示数据与数据库中已有的记录冲突，未写入任何数据：%(error)s") % {"error": e})
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(_(
            "已载入演示数据：%(compounds)d 个小区，%(buildings)d 栋楼，%(households)d 户，%(residents)d 名居民，"
            "%(organisations)d 个组织，%(memberships)d 个成员职务，%(users)d 个账号（用时 %(seconds).1f 秒）。"
        ) % {**counts, "seconds": elapsed}))
        if counts["skipped_users"]:
            self.stdout.write(self.style.WARNING(_("以下用户名已存在，未重新创建：%(names)s")
                                                 % {"names": "、".join(counts["skipped_users"])}))
        self.stdout.write(_("演示账号密码：%(password)s") % {"password": demo.DEMO_PASSWORD})
