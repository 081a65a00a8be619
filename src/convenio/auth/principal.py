"""Principals and what their roles allow.

A principal is who acts: a user with one role, scoped to a party (``commission``,
``treasury``) or an org unit and its subtree (``coordinator``), or nobody (anonymous, the
public). `Principal.may(action)` answers for the role alone; the row-level scope — whose
payment, which site — is checked where the rows are known, through `may_act_for` and
`may_reach`. The local operator of the store (the CLI) may do everything.

| role | may |
|---|---|
| admin | users and tokens, terms, org units and metadata; read the audit trail |
| commission (party) | settle, reopen, accrue, file checkpoints; read both parties, verify, export |
| treasury (party) | prices, deliveries, payments, accounts, journals of its party; read it |
| coordinator (org unit) | data values, deployments, cases in its subtree; read mission data there |
| auditor | read everything, verify, export, the audit trail; writes nothing |
| anonymous | published, suppressed aggregates and settled statements only |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from convenio.errors import AccessError, Problem

__all__ = [
    "ANONYMOUS",
    "OPERATOR",
    "Action",
    "Principal",
    "Role",
    "needs_org_unit",
    "needs_party",
]


class Role(StrEnum):
    ADMIN = "admin"
    COMMISSION = "commission"
    TREASURY = "treasury"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"


class Action(StrEnum):
    """What a route or command does, in the words of the roles table."""

    READ_PUBLIC = "read published aggregates"
    READ_TERMS = "read the terms"
    READ_LEDGER = "read accounts, balances and transactions"
    READ_MISSIONS = "read mission data"
    READ_PERSONAL = "read personal data"
    VERIFY = "verify and export the record"
    READ_AUDIT = "read the audit trail"
    WRITE_TERMS = "load terms"
    WRITE_CATALOG = "load org units and metadata"
    WRITE_FINANCE = "record prices, deliveries, payments, accounts and journals"
    SETTLE = "settle, reopen and accrue"
    FILE_CHECKPOINT = "file checkpoints of the log the parties signed"
    WRITE_MISSIONS = "record data values, deployments and cases"
    MANAGE_USERS = "manage users and tokens"
    RUN_DEMO = "run the demo"


_ALLOWED: Final[dict[Role, frozenset[Action]]] = {
    Role.ADMIN: frozenset(
        {
            Action.READ_PUBLIC,
            Action.READ_TERMS,
            Action.READ_AUDIT,
            Action.WRITE_TERMS,
            Action.WRITE_CATALOG,
            Action.MANAGE_USERS,
            Action.RUN_DEMO,
        }
    ),
    Role.COMMISSION: frozenset(
        {
            Action.READ_PUBLIC,
            Action.READ_TERMS,
            Action.READ_LEDGER,
            Action.READ_MISSIONS,
            Action.VERIFY,
            Action.SETTLE,
            Action.FILE_CHECKPOINT,
        }
    ),
    Role.TREASURY: frozenset(
        {Action.READ_PUBLIC, Action.READ_TERMS, Action.READ_LEDGER, Action.WRITE_FINANCE}
    ),
    Role.COORDINATOR: frozenset(
        {Action.READ_PUBLIC, Action.READ_TERMS, Action.READ_MISSIONS, Action.WRITE_MISSIONS}
    ),
    Role.AUDITOR: frozenset(
        {
            Action.READ_PUBLIC,
            Action.READ_TERMS,
            Action.READ_LEDGER,
            Action.READ_MISSIONS,
            Action.VERIFY,
            Action.READ_AUDIT,
        }
    ),
}
_PUBLIC: Final = frozenset({Action.READ_PUBLIC})


def needs_party(role: Role) -> bool:
    """Whether a user of `role` must be scoped to a party."""
    return role in (Role.COMMISSION, Role.TREASURY)


def needs_org_unit(role: Role) -> bool:
    """Whether a user of `role` must be scoped to an org unit (and its subtree)."""
    return role is Role.COORDINATOR


def _belongs_to(code: str, party: str) -> bool:
    # The same rule as convenio.terms.belongs_to: VEN.PDVSA is an agency of VEN.
    return code == party or code.startswith(party + ".")


@dataclass(frozen=True)
class Principal:
    """Who acts. `login` is None for the public; `operator` for the CLI's local user."""

    login: str | None
    role: Role | None = None
    party: str | None = None
    org_unit: str | None = None
    user_id: int | None = None
    token_id: str | None = None
    operator: bool = False

    @property
    def anonymous(self) -> bool:
        return self.login is None

    @property
    def name(self) -> str:
        """How the audit trail and messages call this principal."""
        if self.anonymous:
            return "anonymous"
        return self.login or ""

    def may(self, action: Action) -> bool:
        """Whether the role allows `action` at all (the row scope comes on top)."""
        if self.operator:
            return True
        if self.role is None:
            return action in _PUBLIC
        return action in _ALLOWED[self.role]

    def require(self, action: Action) -> None:
        """`AccessError` unless the role allows `action`."""
        if not self.may(action):
            who = "the public" if self.anonymous else f"{self.name} ({self.role})"
            raise AccessError(f"{who} may not {action}", [Problem("not allowed", field="role")])

    def reads_published_only(self) -> bool:
        """Whether mission data reaches this principal only as the public's answer (small
        counts suppressed): the public, a treasury, an administrator."""
        return not self.may(Action.READ_MISSIONS)

    def sees_all_parties(self) -> bool:
        """Whether the principal reads every party's accounts (auditor, commission)."""
        return self.operator or self.role in (Role.AUDITOR, Role.COMMISSION)

    def may_act_for(self, party: str) -> bool:
        """Whether the principal writes or reads for `party` (an agency counts as its
        state: a VEN treasury acts for VEN.PDVSA)."""
        if self.operator or self.role is Role.AUDITOR:
            return True
        return self.party is not None and _belongs_to(party, self.party)

    def may_reach(self, ancestors: Iterable[str]) -> bool:
        """Whether an org unit whose path from the root is `ancestors` (itself included)
        lies in the principal's subtree; everyone but a coordinator reaches everywhere."""
        if self.role is not Role.COORDINATOR or self.operator:
            return True
        return self.org_unit in set(ancestors)

    def require_parties(self, located: Iterable[tuple[str, Problem]]) -> None:
        """`AccessError` listing every (party, where) the principal may not act for."""
        refused = [
            where._replace(
                message=f"{where.message}: " * bool(where.message)
                + f"{self.name} may not act for {party}"
            )
            for party, where in located
            if not self.may_act_for(party)
        ]
        if refused:
            raise AccessError.from_problems(refused, "out of scope")


ANONYMOUS: Final = Principal(None)
OPERATOR: Final = Principal("operator", operator=True)
"""The machine's own user running the CLI on the store: every role at once."""
