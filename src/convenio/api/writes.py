"""The write of one request: idempotency, one held unit of work, the audit entry.

`Write.run(work, answer)` opens a writer's unit of work that holds the services'
commits, serialises with every other write (SQLite's database lock; on PostgreSQL the
audit head row), and then:

- with an ``Idempotency-Key`` already used by this principal: the same method, route and
  body get the first answer again (``Idempotent-Replayed: true``) and nothing is written;
  anything else gets 409;
- otherwise it runs `work(uow)` (one service call), builds the answer, appends the audit
  entry (who, role, route, key, body digest, status, answer digest, the ledger
  transactions recorded) and commits all of it at once. A refusal rolls everything back
  and leaves no entry: nothing changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Final, TypeVar

from fastapi import Depends, Header, Request
from pydantic import BaseModel
from starlette.responses import Response

from convenio.api.deps import RawBody, StoreDep
from convenio.api.jobs import JobRunner, JobWork, job_answer
from convenio.auth import Principal
from convenio.errors import ConflictError, InputError, Problem
from convenio.services import access
from convenio.store import Store, UnitOfWork
from convenio.store.auth_repo import JobRow

__all__ = ["IdempotencyKey", "Write", "WriteDep"]

T = TypeVar("T")
_KEY: Final = re.compile(r"[\x21-\x7e]{1,255}")
REPLAYED: Final = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            "Any string of 1–255 visible ASCII characters. The same key with the same body "
            "returns the first answer and writes nothing; with another body: 409."
        ),
    ),
]


ROUTE_KEPT: Final = 500
"""The longest route (path and query) the audit trail keeps as it came."""


def _recorded(route: str) -> str:
    """The route as the audit trail keeps it: a longer one is cut, with its digest."""
    if len(route) <= ROUTE_KEPT:
        return route
    tail = f"…sha256:{access.digest(route.encode())}"
    return route[: ROUTE_KEPT - len(tail)] + tail


class Write:
    def __init__(self, store: Store, request: Request, body: bytes, key: str | None) -> None:
        if key is not None and _KEY.fullmatch(key) is None:
            raise InputError(
                "Idempotency-Key: 1 to 255 visible ASCII characters",
                [Problem("not a valid key", field="Idempotency-Key")],
            )
        self.store = store
        self.method = request.method
        route = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        self.key = key
        self.body_digest = access.digest(f"{self.method} {route}\n".encode() + body)
        self.route = _recorded(route)

    def keep_secret(self, public: BaseModel) -> None:
        """Digest `public` — the body without its secrets (a password, personal data) —
        instead of the body, so that the audit trail holds no digest anyone could test
        guesses against. The same key with the same public fields then replays whatever
        the secret was."""
        body = public.model_dump_json().encode()
        self.body_digest = access.digest(f"{self.method} {self.route}\n".encode() + body)

    def run(
        self,
        who: Principal,
        work: Callable[[UnitOfWork], T],
        answer: Callable[[T], BaseModel],
        summary: Callable[[T], str],
        status: int = 201,
        kept: Callable[[T], BaseModel] | None = None,
    ) -> Response:
        """Run `work` and answer `answer(result)`; the audit trail keeps that answer (a
        replay returns it) unless `kept` gives what to keep instead: an answer showing a
        secret once (a token) is kept without it, and a replay answers without it too."""
        with self.store.unit_of_work(write=True, hold_commits=True) as uow:
            uow.auth.lock_audit_head()
            if self.key is not None:
                stored = uow.auth.stored_answer(who.name, self.key)
                if stored is not None:
                    if stored.body_digest != self.body_digest:
                        raise ConflictError(
                            f"Idempotency-Key {self.key!r} was used for another request "
                            f"({stored.route}); use a new key for a new request",
                            [Problem("reused with another body", field="Idempotency-Key")],
                        )
                    return Response(
                        stored.answer.encode(),
                        stored.status,
                        {REPLAYED: "true"},
                        media_type="application/json",
                    )
            before = uow.ledger.head().seq
            result = work(uow)
            content = answer(result).model_dump_json().encode()
            if not uow.committed:  # the service chose to write nothing (a dry run)
                uow.rollback()
                return Response(content, status, media_type="application/json")
            keep = content if kept is None else kept(result).model_dump_json().encode()
            self._audit(uow, who, before, status, keep, summary(result))
        return Response(content, status, media_type="application/json")

    def apply(
        self, who: Principal, work: Callable[[UnitOfWork], T], summary: Callable[[T], str]
    ) -> T:
        """Run `work` as `run` does — one held unit of work, serialised, audited — for a
        web form, which has no idempotency key and no JSON answer: the trail keeps the
        summary as the answer. Returns `work`'s result."""
        with self.store.unit_of_work(write=True, hold_commits=True) as uow:
            uow.auth.lock_audit_head()
            before = uow.ledger.head().seq
            result = work(uow)
            if not uow.committed:
                uow.rollback()
                return result
            said = summary(result)
            self._audit(uow, who, before, 200, said.encode(), said)
        return result

    def _audit(
        self, uow: UnitOfWork, who: Principal, before: int, status: int, answer: bytes, said: str
    ) -> None:
        """Append the audit entry of this write and commit it with the write."""
        first, last = access.recorded_since(uow, before)
        access.record(
            uow, who, self.method, self.route, self.key, self.body_digest, status,
            answer, first, last, said,
        )  # fmt: skip
        uow.release()

    def submit(self, who: Principal, jobs: JobRunner, kind: str, work: JobWork) -> Response:
        """Queue `work` as a job: 202 with the job (its ``location`` to poll), the job's
        creation audited like any write; a replay of the same key starts nothing."""
        created: list[JobRow] = []

        def create(uow: UnitOfWork) -> JobRow:
            created.append(jobs.create(uow, who, kind))
            uow.commit()  # held: the job row commits with its audit entry
            return created[-1]

        answer = self.run(who, create, job_answer, lambda r: f"job {r.id} ({kind}) queued", 202)
        if created:
            jobs.start(created[0].id, who, self.route, work)
        return answer


def write(request: Request, store: StoreDep, body: RawBody, key: IdempotencyKey = None) -> Write:
    return Write(store, request, body, key)


WriteDep = Annotated[Write, Depends(write)]
