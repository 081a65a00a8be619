"""A party's key announced in the log: the text its note signs, the one rule an
announcement must hold to, and the two places the rule is applied.

An announcement is a ``key`` entry whose note says ``convenio key``, the log's origin, the
party, its new verifier key and, for a rotation, ``replaces`` and the key it replaces;
it is signed by the new key, and by the replaced one. `announcement_fault` is the rule.
`verify_keys` applies it to every stored announcement when the log is verified, so a key
slipped into the store without the old key's signature is found (exit 4);
`receive_announcement` applies it to one a party made on its own machine and sent to the
server (``POST /api/v1/log/keys``) before appending it. Key files, and making and sending
announcements, are `convenio.services.keys`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from convenio.auth import Principal
from convenio.errors import AccessError, ConflictError, InputError, IntegrityError, Problem
from convenio.log import VerifierKey, open_note, parse_verifier
from convenio.log.records import KEY
from convenio.services import catalog
from convenio.services.log import origin, party_verifiers
from convenio.store import UnitOfWork
from convenio.store.log_tables import party_keys

__all__ = [
    "AnnouncedKey",
    "Fault",
    "announcement",
    "announcement_fault",
    "append",
    "current_key",
    "receive_announcement",
    "require_party",
    "verify_keys",
]


def _moment(micros: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)).isoformat()


@dataclass(frozen=True)
class AnnouncedKey:
    """A verifier key a party announced: the key it replaces, when (µs, UTC), its entry."""

    party: str
    verifier: str
    replaces: str | None
    announced_at: int
    entry: int

    @property
    def moment(self) -> str:
        """When it was announced, ISO 8601 in UTC."""
        return _moment(self.announced_at)

    def as_json(self) -> dict[str, object]:
        return {
            "party": self.party,
            "verifier": self.verifier,
            "replaces": self.replaces,
            "announced_at": self.moment,
            "entry": self.entry,
        }


class Fault(NamedTuple):
    """Why an announcement does not hold. `stale`: well formed, but it replaces a key that
    is not the party's current one (or none, when the party has one); otherwise it is
    ill-formed or forged."""

    message: str
    stale: bool = False


def announcement(
    origin_line: str, party: str, verifier: VerifierKey, replaces: VerifierKey | None
) -> str:
    """The text a key announcement's note signs."""
    text = f"convenio key\n{origin_line}\n{party}\n{verifier}\n"
    return text if replaces is None else f"{text}replaces {replaces}\n"


def announcement_fault(
    note: bytes,
    origin_line: str,
    party: str,
    verifier: str,
    replaces: str | None,
    held: VerifierKey | None,
) -> Fault | None:
    """Why the announcement `note` of `party`'s key `verifier` (replacing `replaces`) does
    not hold in the log `origin_line`, where the party's current key is `held`; None when
    it holds: the key is named by the party, replaces the current key (none for a first
    key), the note is signed by the key replaced and by the key itself, and its signed
    text is `announcement` of exactly these."""
    try:
        new = parse_verifier(verifier)
        old = None if replaces is None else parse_verifier(replaces)
    except InputError as exc:
        return Fault(f"the key announced: {exc}")
    if new.name != party:
        return Fault(f"the key announced is named {new.name}, not {party}")
    if old != held:
        if held is None:
            return Fault(f"it replaces a key {party} never announced", stale=True)
        if old is None:
            return Fault(
                f"{party} has a key already ({held}): a new one must replace it, signed by it",
                stale=True,
            )
        return Fault(f"it replaces {old}, not {party}'s current key {held}", stale=True)
    for signer in (new,) if old is None else (old, new):
        try:
            opened = open_note(note, [signer])
        except (InputError, IntegrityError):
            return Fault(f"it is not signed by {signer}")
    if opened.text != announcement(origin_line, party, new, old):
        return Fault(
            f"its signed text is not the announcement of {party}'s key {new} in the log "
            f"{origin_line}"
        )
    return None


def require_party(uow: UnitOfWork, party: str, field: str = "--party") -> None:
    """`InputError` unless `party` is a party of the terms (any, before terms are loaded)."""
    codes = [p.code for p in catalog.parties(uow)]
    if codes and party not in codes:
        raise InputError(
            f"{field}: no party {party!r} in the terms (known: {', '.join(codes)})",
            [Problem("not a party of the agreement", field=field)],
        )


def current_key(uow: UnitOfWork, party: str) -> VerifierKey | None:
    """The last key `party` announced in the log, if any."""
    keys = party_verifiers(uow).get(party)
    return keys[-1] if keys else None


def append(
    uow: UnitOfWork, party: str, verifier: str, replaces: str | None, note: bytes
) -> AnnouncedKey:
    """Record the announcement and append its entry to the log. No commit."""
    at = int(time.time() * 1_000_000)
    key_id = uow.log.add_key(party, verifier, replaces, note.decode(), at)
    entry = uow.log.locate(KEY, key_id)
    assert entry is not None
    return AnnouncedKey(party, verifier, replaces, at, entry)


def verify_keys(uow: UnitOfWork) -> int:
    """Check every stored announcement with `announcement_fault`, in the order of the log.
    `IntegrityError` naming the entry; the number of keys."""
    k = party_keys.c
    rows = uow.connection.execute(
        select(k.id, k.party, k.verifier, k.replaces, k.note).order_by(k.id)
    ).all()
    mine = origin(uow)
    current: dict[str, VerifierKey] = {}
    for key_id, party, verifier, replaces, note in rows:
        index = uow.log.locate(KEY, key_id)
        where = f"entry {index} (key {key_id}, of {party})"
        if index is None:
            raise IntegrityError(f"{where}: the announcement is not in the log")
        held = current.get(party)
        fault = announcement_fault(note.encode(), mine, party, verifier, replaces, held)
        if fault is not None:
            raise IntegrityError(f"{where}: {fault.message}: the announcement is forged")
        current[party] = parse_verifier(verifier)
    return len(rows)


def _said(note: bytes) -> tuple[str, str, str | None]:
    """The party, key and replaced key an announcement's text says (not yet checked)."""
    text, blank, _ = note.decode("utf-8", errors="replace").rpartition("\n\n")
    lines = text.split("\n")
    if blank and lines[0] == "convenio key" and len(lines) == 4:
        return lines[2], lines[3], None
    if blank and lines[0] == "convenio key" and len(lines) == 5 and lines[4][:9] == "replaces ":
        return lines[2], lines[3], lines[4][9:]
    raise InputError(
        "not a key announcement: a signed note whose text is 'convenio key', the log's "
        "origin, the party, its verifier key and, for a rotation, 'replaces' and the key "
        "it replaces (convenio keys generate --server URL sends one)",
        [Problem("not a key announcement", field="body")],
    )


def receive_announcement(uow: UnitOfWork, who: Principal, note: bytes) -> AnnouncedKey:
    """Append an announcement a party made on its own machine (``convenio keys generate
    --server``) once `announcement_fault` finds nothing in it. A party not of the terms,
    an ill-formed or forged note: `InputError`; `who` not acting for the party:
    `AccessError`; a note that does not replace the party's current key: `ConflictError`.
    No commit."""
    party, verifier, replaces = _said(note)
    require_party(uow, party, "party")
    if not who.may_act_for(party):
        raise AccessError(
            f"{who.name} may not announce a key of {party}: only who acts for {party}",
            [Problem(f"may not act for {party}", field="party")],
        )
    held = current_key(uow, party)
    fault = announcement_fault(note, origin(uow), party, verifier, replaces, held)
    if fault is not None and fault.stale:
        raise ConflictError(fault.message, [Problem("not the current key", field="replaces")])
    if fault is not None:
        raise InputError(
            f"the key announcement does not hold: {fault.message}",
            [Problem(fault.message, field="body")],
        )
    return append(uow, party, verifier, replaces, note)
