"""Run the background task worker: django-tasks-db's `db_worker`, riding out database outages and taking
back the tasks of workers that died (gongzhi.core.worker). Same options as `db_worker`."""
import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from gongzhi.core.worker import ResilientWorker


class Command(db_worker.Command):
    help = "运行后台任务（数据库中断时重试，接管已停止的任务进程留下的任务） (run the background task worker)"

    def handle(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay, reload, max_tasks,
               worker_id, exclude_queues, **options):
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(queue_names=queue_names, interval=interval, batch=batch, backend_name=backend_name,
                                 startup_delay=startup_delay, max_tasks=max_tasks, worker_id=worker_id,
                                 excluded_queue_names=excluded)
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":  # the reloader's child runs the worker
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
