"""Uploaded files imported by the worker, not in the request, with their progress.

The upload page stores the file as an ``ImportJob``: a client file is queued once a person has
checked its columns and dry run, a calendar file (``.ics``, or our own appointments CSV) at once.
``aftercare tick`` (every minute under ``aftercare up``) runs ``run_waiting_imports``:

1. Claim the oldest queued job with a conditional ``UPDATE … WHERE status='queued'``, so two
   ticks never import one file twice.
2. Read the file with its saved mapping and date order, import it, counting rows done into
   the job as batches are written (the page's progress bar reads it). A calendar is read over
   the import's window and imported with the practitioner chosen at upload (its progress is
   its status: a calendar holds hundreds of events, not thousands of rows).
3. Store the result (or the error) on the job. The import is one transaction, so a crash
   leaves nothing half-written; a job left ``running`` by a crash is queued again after
   ``STALE_AFTER``, and because an import matches before it writes, a re-run doubles nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from aftercare import clock
from aftercare.imports.appointments import AppointmentImportResult, import_appointment_file
from aftercare.imports.calendars import CalendarError
from aftercare.imports.clients import ImportResult, import_clients
from aftercare.imports.models import ImportJob
from aftercare.imports.reading import read_client_file
from aftercare.imports.tabular import TableError
from aftercare.practice.access import Actor
from aftercare.practice.models import Membership

log = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(minutes=30)


def run_waiting_imports(now: dt.datetime) -> int:
    """Tick step: import every queued file, oldest first; returns how many ran."""
    ImportJob.objects.filter(
        status=ImportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER
    ).update(status=ImportJob.Status.QUEUED)
    ran = 0
    while True:
        job = (
            ImportJob.objects.filter(status=ImportJob.Status.QUEUED).order_by("created_at").first()
        )
        if job is None:
            return ran
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.RUNNING, started_at=clock.now(), done_rows=0
        )
        if claimed:
            run_import_job(job.pk)
            ran += 1


def job_actor(job: ImportJob) -> Actor:
    membership = (
        Membership.objects.select_related("practice", "user")
        .filter(practice=job.practice, user=job.created_by)
        .first()
    )
    return Actor(user=job.created_by, practice=job.practice, membership=membership, via="import")


def run_import_job(job_id: int) -> ImportResult | AppointmentImportResult | None:
    """Step 2 and 3 for one claimed job."""
    job = ImportJob.objects.select_related("practice", "created_by", "practitioner").get(pk=job_id)
    if job.kind == ImportJob.Kind.APPOINTMENTS:
        return run_calendar_job(job)
    actor = job_actor(job)

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(done_rows=done)

    try:
        reading = read_client_file(
            bytes(job.content),
            practice=job.practice,
            mapping=job.mapping,
            date_order=job.date_order,
        )
        rows = reading.rows(job.practice)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=len(rows.rows))
        result = import_clients(
            actor=actor,
            rows=rows.rows,
            refused=rows.refused,
            how=f"import of {job.file_name}"[:100],
            progress=progress,
        )
    except TableError as error:
        _failed(job, str(error))
        return None
    except Exception as error:
        log.exception("import job %s failed", job.pk)
        _failed(
            job,
            f"The import stopped on an unexpected error ({type(error).__name__}); "
            "nothing was imported.",
        )
        return None
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        result=result.as_json(),
        done_rows=len(rows.rows),
        finished_at=clock.now(),
    )
    return result


def _failed(job: ImportJob, reason: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, error=reason, finished_at=clock.now()
    )


def run_calendar_job(job: ImportJob) -> AppointmentImportResult | None:
    """Step 2 and 3 for a calendar file: created, updated, cancelled, unmatched, refused."""
    try:
        result = import_appointment_file(
            actor=job_actor(job),
            data=bytes(job.content),
            file_name=job.file_name,
            practitioner=job.practitioner,
        )
    except CalendarError as error:
        _failed(job, str(error))
        return None
    except Exception as error:
        log.exception("import job %s failed", job.pk)
        _failed(
            job,
            f"The import stopped on an unexpected error ({type(error).__name__}); "
            "nothing was imported.",
        )
        return None
    events = len(result.keys) + len(result.refused)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        result=result.as_json(),
        total_rows=events,
        done_rows=events,
        finished_at=clock.now(),
    )
    return result
