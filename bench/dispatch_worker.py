"""The Celery worker of P7 (``bench.dispatch``): the product's app and tasks, unchanged, with each
recompute task's start, end, process and result appended to ``BENCH_DISPATCH_LOG`` (one JSON line
per task; appends of one short line are atomic across processes)."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.dispatch_settings")

from celery.signals import task_postrun, task_prerun

from skillsmap.celery import app

STARTED: dict[str, float] = {}
TASK = "reports.tasks.recompute_organisation_task"


@task_prerun.connect
def _started(task_id: str, task: Any, **_: Any) -> None:
    if task.name == TASK:
        STARTED[task_id] = time.time()


@task_postrun.connect
def _finished(task_id: str, task: Any, kwargs: dict[str, Any], retval: Any, **_: Any) -> None:
    if task.name != TASK:
        return
    line = json.dumps(
        {
            "organisation_id": kwargs["organisation_id"],
            "pid": os.getpid(),
            "start": STARTED.pop(task_id, time.time()),
            "end": time.time(),
            "outcome": retval,
            "computed": retval == "computed",
        }
    )
    with open(os.environ["BENCH_DISPATCH_LOG"], "a") as log:
        log.write(line + "\n")


if __name__ == "__main__":
    app.worker_main(
        ["worker", "--loglevel", "INFO", "--pool", "prefork", "-Q", "bench-dispatch", *sys.argv[1:]]
    )
