from django.core.management.base import BaseCommand

from gongzhi.people.imports.jobs import fail_stale, stale_after


class Command(BaseCommand):
    help = ("把超过 IMPORT_STALE_MINUTES 分钟没有进展的“进行中”导入任务标记为中断（处理程序已停止，数据已回滚） "
            "(mark import jobs left running by a dead worker as interrupted)")

    def handle(self, *args, **options):
        marked = fail_stale()
        minutes = int(stale_after().total_seconds() // 60)
        self.stdout.write(f"marked={len(marked)} stale_minutes={minutes}" + (f" ids={','.join(map(str, marked))}" if marked else ""))
