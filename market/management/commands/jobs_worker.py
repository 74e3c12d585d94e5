"""`manage.py jobs_worker`: run the background jobs (django-tasks-db's `db_worker`, with
heartbeat, lease reaper, retries with backoff and reconnection: see `market/jobs/`).

Same options as `db_worker`; the backend defaults to "jobs" (a database backend only when
TASKS_WORKER=true). Supervise it so that it restarts when it dies (deploy/minga-jobs.service).
"""

import logging
import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from market.jobs.worker import JobsWorker, new_worker_id


class Command(db_worker.Command):
    help = (
        "Run the background jobs worker: db_worker plus heartbeat, lease reaper, retries with "
        "backoff and database reconnection (market.jobs)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(backend_name="jobs", worker_id=None)

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        logging.getLogger("market.jobs").setLevel(logging.INFO if verbosity <= 1 else logging.DEBUG)

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = JobsWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id or new_worker_id(),
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
