"""Users, tokens, the audit trail and jobs: rows in, plain values out."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from convenio.auth import AUDIT_GENESIS, AuditEntry, audit_hash
from convenio.errors import IntegrityError
from convenio.log.records import AUDIT
from convenio.store.auth_tables import api_tokens, audit_head, audit_log, jobs, users
from convenio.store.log_repo import LogRepository

__all__ = ["AuthRepository", "JobRow", "StoredAnswer", "TokenRow", "UserRow", "audit_entry_of"]


@dataclass(frozen=True)
class UserRow:
    id: int
    login: str
    role: str
    party: str | None
    org_unit: str | None
    password_hash: str | None
    created_at: int
    disabled_at: int | None


@dataclass(frozen=True)
class TokenRow:
    id: str
    user_id: int
    login: str
    digest: str
    label: str
    created_at: int
    expires_at: int | None
    revoked_at: int | None


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer to a write with an idempotency key."""

    body_digest: str
    status: int
    answer: str
    route: str


@dataclass(frozen=True)
class JobRow:
    id: str
    kind: str
    login: str
    state: str
    created_at: int
    finished_at: int | None
    done: int
    total: int | None
    stage: str
    result: str | None


_USER_COLUMNS = (
    users.c.id,
    users.c.login,
    users.c.role,
    users.c.party,
    users.c.org_unit,
    users.c.password_hash,
    users.c.created_at,
    users.c.disabled_at,
)
_AUDIT_FIELDS = tuple(AuditEntry.__dataclass_fields__)
# Built once: every write of the server appends an entry and moves the head.
_APPEND = insert(audit_log)
_MOVE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def audit_entry_of(row: Any) -> AuditEntry:
    """The audit entry of a row of `audit_log`."""
    values = {name: getattr(row, name) for name in _AUDIT_FIELDS}
    values["idempotency_key"] = values["idempotency_key"] or ""
    return AuditEntry(**values)


class AuthRepository:
    def __init__(self, conn: Connection, log: LogRepository | None = None) -> None:
        self.conn = conn
        self.log = LogRepository(conn) if log is None else log
        self.dialect = conn.dialect.name
        self._locked_head: tuple[int, str] | None = None
        """The audit head as this transaction holds it, once locked (kept in step)."""

    # -- users -----------------------------------------------------------------------

    def add_user(
        self,
        login: str,
        role: str,
        party: str | None,
        org_unit: str | None,
        password_hash: str | None,
        at: int,
    ) -> int:
        result = self.conn.execute(
            insert(users).values(
                login=login,
                role=role,
                party=party,
                org_unit=org_unit,
                password_hash=password_hash,
                created_at=at,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def user(self, login: str) -> UserRow | None:
        row = self.conn.execute(select(*_USER_COLUMNS).where(users.c.login == login)).first()
        return None if row is None else UserRow(*row)

    def users(self) -> list[UserRow]:
        rows = self.conn.execute(select(*_USER_COLUMNS).order_by(users.c.login))
        return [UserRow(*r) for r in rows]

    def set_password(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(
            update(users).where(users.c.id == user_id).values(password_hash=password_hash)
        )

    def disable_user(self, user_id: int, at: int) -> None:
        self.conn.execute(update(users).where(users.c.id == user_id).values(disabled_at=at))

    # -- tokens ----------------------------------------------------------------------

    def add_token(
        self, token_id: str, user_id: int, digest: str, label: str, at: int, expires: int | None
    ) -> None:
        self.conn.execute(
            insert(api_tokens).values(
                id=token_id,
                user_id=user_id,
                digest=digest,
                label=label,
                created_at=at,
                expires_at=expires,
            )
        )

    def _token_query(self) -> Any:
        return select(
            api_tokens.c.id,
            api_tokens.c.user_id,
            users.c.login,
            api_tokens.c.digest,
            api_tokens.c.label,
            api_tokens.c.created_at,
            api_tokens.c.expires_at,
            api_tokens.c.revoked_at,
        ).join(users, users.c.id == api_tokens.c.user_id)

    def token(self, token_id: str) -> tuple[TokenRow, UserRow] | None:
        """The token and its user, in one read (each API request makes it)."""
        row = self.conn.execute(
            select(
                *_USER_COLUMNS,
                api_tokens.c.digest,
                api_tokens.c.label,
                api_tokens.c.created_at.label("t_created"),
                api_tokens.c.expires_at,
                api_tokens.c.revoked_at,
            )
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.id == token_id)
        ).first()
        if row is None:
            return None
        user = UserRow(*row[:8])
        token = TokenRow(
            token_id,
            user.id,
            user.login,
            row.digest,
            row.label,
            row.t_created,
            row.expires_at,
            row.revoked_at,
        )
        return token, user

    def tokens(self, login: str | None = None) -> list[TokenRow]:
        query = self._token_query().order_by(api_tokens.c.created_at, api_tokens.c.id)
        if login is not None:
            query = query.where(users.c.login == login)
        return [TokenRow(*r) for r in self.conn.execute(query)]

    def revoke_token(self, token_id: str, at: int) -> bool:
        """Revoke a token; False if there is no such token or it was revoked already."""
        done = self.conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(done.rowcount)

    # -- the audit trail -------------------------------------------------------------

    def lock_audit_head(self) -> tuple[int, str]:
        """The chain head, locked until the unit of work ends (PostgreSQL: FOR UPDATE;
        SQLite: the writer already holds the database lock)."""
        query = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
        if self.dialect != "sqlite":
            query = query.with_for_update()
        rows = self.conn.execute(query).all()
        if len(rows) != 1:
            raise IntegrityError(
                f"the audit head (table audit_head) has {len(rows)} rows instead of 1: "
                "the store was altered outside convenio; restore it from a backup"
            )
        self._locked_head = int(rows[0].seq), str(rows[0].hash)
        return self._locked_head

    def audit_head(self) -> tuple[int, str]:
        row = self.conn.execute(select(audit_head.c.seq, audit_head.c.hash)).first()
        return (0, AUDIT_GENESIS) if row is None else (int(row.seq), str(row.hash))

    def stored_answer(self, login: str, key: str) -> StoredAnswer | None:
        row = self.conn.execute(
            select(
                audit_log.c.body_digest, audit_log.c.status, audit_log.c.answer, audit_log.c.route
            ).where(audit_log.c.login == login, audit_log.c.idempotency_key == key)
        ).first()
        return None if row is None else StoredAnswer(*row)

    def append_audit(self, entry_fields: dict[str, Any], answer: str) -> AuditEntry:
        """Append one entry after the head, locked now unless this transaction holds it."""
        seq, previous = self._locked_head or self.lock_audit_head()
        entry = AuditEntry(seq=seq + 1, **entry_fields)
        digest = audit_hash(previous, entry)
        values = {name: getattr(entry, name) for name in _AUDIT_FIELDS}
        values["idempotency_key"] = entry.idempotency_key or None
        self.conn.execute(_APPEND, {**values, "answer": answer, "hash": digest})
        self.conn.execute(_MOVE_HEAD, {"new_seq": entry.seq, "new_hash": digest})
        self._locked_head = entry.seq, digest
        self.log.append(AUDIT, [entry.encode()], key_from=entry.seq)
        return entry

    def audit_entries(
        self,
        login: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        after: int = 0,
    ) -> list[AuditEntry]:
        query = select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq)
        if login is not None:
            query = query.where(audit_log.c.login == login)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        if limit is not None:
            query = query.limit(limit)
        return [audit_entry_of(r) for r in self.conn.execute(query)]

    def last_audit_entry(self, routes: Sequence[str]) -> AuditEntry | None:
        """The latest entry of a request to one of `routes` (as the trail keeps them)."""
        row = self.conn.execute(
            select(audit_log)
            .where(audit_log.c.route.in_(list(routes)))
            .order_by(audit_log.c.seq.desc())
            .limit(1)
        ).first()
        return None if row is None else audit_entry_of(row)

    def iter_audit(self) -> Generator[tuple[AuditEntry, str]]:
        """Every entry with its stored hash, in chain order (for verification). Streamed
        (the option on the statement: on the connection it would stay for every later
        statement of the unit of work, each then a server-side cursor on PostgreSQL)."""
        rows = self.conn.execute(
            select(audit_log).order_by(audit_log.c.seq).execution_options(yield_per=2000)
        )
        try:
            for row in rows:
                yield audit_entry_of(row), row.hash
        finally:
            rows.close()  # a verifier that stops at a break leaves no server cursor open

    # -- jobs ------------------------------------------------------------------------

    def add_job(self, job_id: str, kind: str, login: str, at: int) -> None:
        self.conn.execute(
            insert(jobs).values(
                id=job_id, kind=kind, login=login, state="queued", created_at=at, done=0, stage=""
            )
        )

    def update_job(self, job_id: str, **values: Any) -> None:
        self.conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))

    def job(self, job_id: str) -> JobRow | None:
        row = self.conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else JobRow(*row)

    def interrupt_unfinished_jobs(self, at: int) -> int:
        done = self.conn.execute(
            update(jobs)
            .where(jobs.c.state.in_(("queued", "running")))
            .values(state="interrupted", finished_at=at)
        )
        return int(done.rowcount)
