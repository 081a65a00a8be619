"""Long work as jobs: a request that would take long answers 202 with a job at once, and
``GET /api/v1/jobs/{id}`` reports its progress and, when it ends, its result or problem.

Jobs run one at a time on a worker thread of the server (writes queue on the store's
lock anyway), each in a held unit of work of its own: a job's writes and its audit entry
commit together when it succeeds, and nothing is written when it fails. The jobs table
keeps state and result; a running job's progress is kept in the server's memory (its held
unit of work holds the write lock, so no other connection could write it to the table)
and stored with the result when it ends. A job that was queued or running when the
server stopped is marked ``interrupted`` when it starts again.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel

from convenio.api.problems import from_error_body, problem_body
from convenio.auth import Principal
from convenio.errors import ConvenioError
from convenio.files import Tell
from convenio.services import access
from convenio.store import Store, UnitOfWork
from convenio.store.auth_repo import JobRow
from convenio.store.ledger_repo import to_micros

__all__ = ["HeldStore", "JobAnswer", "JobRunner", "JobWork"]

_log = logging.getLogger("convenio.api")

JobWork = Callable[[UnitOfWork, Tell], BaseModel]
"""A job's work: one service call over a held unit of work, telling its progress."""


class JobAnswer(BaseModel):
    """A job: ``state`` queued, running, done, failed or interrupted; ``done`` of
    ``total`` steps of ``stage``; ``result`` when done, ``problem`` when failed."""

    id: str
    kind: str
    state: Literal["queued", "running", "done", "failed", "interrupted"]
    created: str
    finished: str | None = None
    stage: str = ""
    done: int = 0
    total: int | None = None
    result: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None
    location: str


def _now() -> int:
    return to_micros(datetime.now(UTC))


def job_answer(row: JobRow) -> JobAnswer:
    payload = orjson.loads(row.result) if row.result else None
    failed = row.state == "failed"
    return JobAnswer(
        id=row.id,
        kind=row.kind,
        state=row.state,
        created=access.moment_text(row.created_at) or "",
        finished=access.moment_text(row.finished_at),
        stage=row.stage,
        done=row.done,
        total=row.total,
        result=None if failed else payload,
        problem=payload if failed else None,
        location=f"/api/v1/jobs/{row.id}",
    )


class JobRunner:
    """The server's job queue (one worker thread)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="convenio-job")
        self._lock = threading.Lock()
        self._live: dict[str, tuple[str, int, int | None]] = {}
        with store.unit_of_work(write=True) as uow:
            uow.auth.interrupt_unfinished_jobs(_now())
            uow.commit()

    def create(self, uow: UnitOfWork, who: Principal, kind: str) -> JobRow:
        """Add a queued job in the caller's unit of work (start it with `start` after the
        caller commits)."""
        job_id = uuid.uuid4().hex
        uow.auth.add_job(job_id, kind, who.name, _now())
        row = uow.auth.job(job_id)
        assert row is not None
        return row

    def start(self, job_id: str, who: Principal, route: str, work: JobWork) -> None:
        self._pool.submit(self._run, job_id, who, route, work)

    def job(self, uow: UnitOfWork, job_id: str, who: Principal) -> JobRow | None:
        """The job as `who` may see it (None: no such job, or not theirs to see), with
        its live progress while it runs."""
        row = access.job(uow, job_id, who)
        with self._lock:
            live = self._live.get(job_id)
        if row is None or live is None or row.state not in ("queued", "running"):
            return row
        stage, done, total = live
        return dataclasses.replace(row, stage=stage, done=done, total=total)

    def _progress(self, job_id: str) -> Tell:
        def tell(stage: str, done: int, total: int) -> None:
            with self._lock:
                self._live[job_id] = (stage[:200], done, total if total > 0 else None)

        return tell

    def _finish(self, job_id: str, state: str, payload: dict[str, Any]) -> None:
        with self._lock:
            stage, done, total = self._live.pop(job_id, ("", 0, None))
        with self.store.unit_of_work(write=True) as uow:
            uow.auth.update_job(
                job_id, state=state, finished_at=_now(), result=orjson.dumps(payload).decode(),
                stage=stage, done=done, total=total,
            )  # fmt: skip
            uow.commit()

    def _run(self, job_id: str, who: Principal, route: str, work: JobWork) -> None:
        try:
            with self.store.unit_of_work(write=True) as uow:
                uow.auth.update_job(job_id, state="running")
                uow.commit()
            content = self._work(job_id, who, route, work)
        except ConvenioError as error:
            self._finish(job_id, "failed", from_error_body(error))
            return
        except Exception:  # a bug: the job fails, the server goes on and logs it
            _log.exception("job %s (%s) failed", job_id, route)
            self._finish(
                job_id,
                "failed",
                problem_body(500, "internal", "Internal error", "the job failed; see the log"),
            )
            return
        self._finish(job_id, "done", orjson.loads(content))

    def _work(self, job_id: str, who: Principal, route: str, work: JobWork) -> bytes:
        """The job's work and its audit entry, in one held unit of work."""
        with self.store.unit_of_work(write=True, hold_commits=True) as uow:
            # The audit head first, as every write of the server locks it: on PostgreSQL
            # taking it after the ledger head would deadlock with a request doing the same.
            uow.auth.lock_audit_head()
            before = uow.ledger.head().seq
            result = work(uow, self._progress(job_id))
            content = result.model_dump_json().encode()
            if not uow.committed:  # the work chose to write nothing
                return content
            first, last = access.recorded_since(uow, before)
            access.record(
                uow, who, "JOB", route, None, access.digest(job_id.encode()), 200, content,
                first, last, f"job {job_id} done",
            )  # fmt: skip
            uow.release()
        return content

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class HeldStore(Store):
    """The store as a job lends it to a service that opens units of work of its own:
    each is the job's one held unit of work, so that all the service writes commits
    with the job's audit entry, or none of it does."""

    def __init__(self, held: UnitOfWork) -> None:  # no engine of its own to open
        self.url, self.engine, self.write_wait, self.on_wait = "", held.engine, 0.0, None
        self.gate = None
        self.held = held

    def unit_of_work(  # type: ignore[override]
        self, write: bool = False, late_lock: bool = False, hold_commits: bool = False
    ) -> AbstractContextManager[UnitOfWork]:
        return nullcontext(self.held)
