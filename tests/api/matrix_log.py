"""Matrix cases of the transparency log's routes (tests/api/matrix.py says how they run).

The public reads the checkpoint, the signed checkpoints and the parties' keys; the roles
that verify the record (commissions, auditor) read its entries and proofs; commissions
file signed checkpoints. `prepare(store)` announces a key of each party in the log and
signs the checkpoint of the log as it is then: by Atlántida's key for Atlántida's
commission, by both parties' for Boreal's. The log only grows, so both stay checkpoints
of it when their cases run; the latest signed checkpoint is read after they are filed.
Each commission announces a rotation of its own party's key, signed by the key it
replaces (the one `prepare` announced, then each rotation's).
"""

from __future__ import annotations

from convenio.log import SignerKey, generate_signer, sign
from convenio.services import log
from convenio.store import Store, UnitOfWork
from tests.api.matrix import EVERYONE, Case, Request

__all__ = ["CASES", "announce", "prepare"]

VERIFIERS = frozenset({"commission-XAT", "commission-XBO", "auditor"})
COMMISSIONS = frozenset({"commission-XAT", "commission-XBO"})
TEXT = {"Content-Type": "text/plain"}
_NOTES: dict[str, bytes] = {}
_CURRENT: dict[str, SignerKey] = {}
_ORIGIN: dict[str, str] = {}


def announce(uow: UnitOfWork, party: str) -> SignerKey:
    """A new key of `party`, announced in the log by an entry signed with the key itself
    (as ``convenio keys generate`` announces it); the signer, to sign checkpoints with."""
    signer, verifier = generate_signer(party)
    note = sign(f"convenio key\n{log.origin(uow)}\n{party}\n{verifier}\n", [signer])
    uow.log.add_key(party, str(verifier), None, note.decode(), 1_700_000_000_000_000)
    return signer


def prepare(store: Store) -> None:
    with store.unit_of_work(write=True) as uow:
        signers = {party: announce(uow, party) for party in ("XAT", "XBO")}
        _ORIGIN["log"] = log.origin(uow)
        uow.commit()
    _CURRENT.update(signers)
    with store.unit_of_work() as uow:
        text = log.checkpoint(uow).format()
    _NOTES["commission-XAT"] = sign(text, [signers["XAT"]])
    _NOTES["commission-XBO"] = sign(text, [signers["XAT"], signers["XBO"]])


def _rotation(name: str) -> Request:
    """A rotation of the key of `name`'s party (XAT's for a name of no party), signed by
    its current key and the new; a commission's becomes the party's current key."""
    party = name.removeprefix("commission-") if name in COMMISSIONS else "XAT"
    old, (new, verifier) = _CURRENT[party], generate_signer(party)
    text = f"convenio key\n{_ORIGIN['log']}\n{party}\n{verifier}\nreplaces {old.verifier()}\n"
    if name in COMMISSIONS:
        _CURRENT[party] = new
    return Request("/api/v1/log/keys", content=sign(text, [old, new]), headers=TEXT)


CASES: list[Case] = [
    Case("GET", "/api/v1/log/checkpoint", EVERYONE, lambda name: Request("/api/v1/log/checkpoint")),
    Case(
        "POST",
        "/api/v1/log/checkpoints",
        COMMISSIONS,
        lambda name: Request(
            "/api/v1/log/checkpoints", content=_NOTES.get(name, b"not a note\n"), headers=TEXT
        ),
    ),
    Case(
        "GET",
        "/api/v1/log/checkpoints/latest",
        EVERYONE,
        lambda name: Request("/api/v1/log/checkpoints/latest", params={"signers": "2"}),
    ),
    Case("GET", "/api/v1/log/keys", EVERYONE, lambda name: Request("/api/v1/log/keys")),
    Case(
        "GET",
        "/api/v1/log/entries",
        VERIFIERS,
        lambda name: Request("/api/v1/log/entries", params={"start": "0", "limit": "10"}),
    ),
    Case(
        "GET",
        "/api/v1/log/proof/inclusion",
        VERIFIERS,
        lambda name: Request("/api/v1/log/proof/inclusion", params={"index": "0"}),
    ),
    Case(
        "GET",
        "/api/v1/log/proof/consistency",
        VERIFIERS,
        lambda name: Request("/api/v1/log/proof/consistency", params={"from": "1"}),
    ),
    Case("POST", "/api/v1/log/keys", COMMISSIONS, _rotation),
]
