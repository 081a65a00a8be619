"""The transparency log over HTTP: its checkpoint, the parties' keys and signed
checkpoints, its entries, inclusion and consistency proofs — what ``convenio follow URL``
reads and what ``convenio checkpoint``, ``convenio proof`` and ``convenio keys`` show.

Who reads what: the checkpoint of the log (origin, size, root), the signed checkpoints and
the parties' verifier keys are public, as a published tree head is. Entries are the records
themselves (every transaction, the audit trail): only the roles that verify the record
read them. Proofs too: their hashes include leaf hashes, each the digest of one entry,
against which anyone could test guesses of its content. A party's commission files a
checkpoint the parties signed; the signatures, not who files it, make it worth keeping.
A party's commission announces its party's key, made and signed on the party's own
machine (``convenio keys generate --server``): one party cannot announce or replace the
other's.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from convenio.api.deps import CanReadPublic, CanVerify, RawBody, Reader, allowed
from convenio.api.problems import PROBLEMS
from convenio.api.writes import WriteDep
from convenio.auth import Action, Principal
from convenio.errors import InputError, NotFoundError, Problem
from convenio.log import SignatureError, b64
from convenio.log.records import TXN
from convenio.services import announcements, log
from convenio.store import UnitOfWork

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/log", tags=["log"], responses=PROBLEMS)

CanFileCheckpoint = Annotated[Principal, Depends(allowed(Action.FILE_CHECKPOINT))]

Base64 = Annotated[str, Field(description="Base64 (RFC 4648, with padding)")]
_NOTE_TYPE: Final = "text/plain"
_NOTE: Final = {
    "content": {_NOTE_TYPE: {"schema": {"type": "string"}}},
    "description": "A C2SP signed note: the checkpoint's text, a blank line, one "
    "`— <name> <base64 signature>` line per signature",
}


# -- checkpoints -----------------------------------------------------------------------


class CheckpointRead(BaseModel):
    """The log as it is: its origin, its size (entries) and root hash, and ``text``, the
    unsigned checkpoint body (C2SP tlog-checkpoint) a party signs."""

    origin: str
    size: int
    root_hash: Base64
    text: str


@router.get("/checkpoint", response_model=CheckpointRead)
def checkpoint(uow: Reader, who: CanReadPublic) -> CheckpointRead:
    """The checkpoint of the log as stored now, unsigned: ``convenio checkpoint show``."""
    head = log.checkpoint(uow)
    return CheckpointRead(
        origin=head.origin, size=head.size, root_hash=b64(head.root_hash), text=head.format()
    )


@router.get(
    "/checkpoints/latest",
    response_class=PlainTextResponse,
    responses={200: _NOTE | {"description": "The signed checkpoint, as it was signed"}},
)
def latest_checkpoint(
    uow: Reader,
    who: CanReadPublic,
    signers: Annotated[
        int, Query(ge=1, le=100, description="Signed by the keys of at least this many parties")
    ] = 1,
) -> PlainTextResponse:
    """The largest checkpoint filed on the server and signed by the keys of at least
    ``signers`` parties (2: both; a party's two keys count once), as the signed note it
    is; 404 when there is none."""
    found = log.latest_checkpoint(uow, signers)
    if found is None:
        raise NotFoundError(
            f"no checkpoint signed by {signers} of the parties was filed on this server",
            [Problem("none so signed", field="signers")],
        )
    return PlainTextResponse(found.note)


class CheckpointStored(BaseModel):
    """The checkpoint kept: its size, its root hash and who signed it (key names)."""

    size: int
    root_hash: Base64
    signers: list[str]


def _require_note(content_type: str | None, what: str) -> None:
    media = (content_type or "").partition(";")[0].strip().lower()
    if media != _NOTE_TYPE:
        raise InputError(
            f"send {what} as {_NOTE_TYPE}, not {media or 'nothing'}",
            [Problem("not text/plain", field="Content-Type")],
        )


def _kept(uow: UnitOfWork, note: bytes) -> log.StoredCheckpoint:
    """`log.store_checkpoint`, a signature that does not verify the input's fault (422)
    — the service raises it as an `IntegrityError`, which is what `ledger verify` needs."""
    try:
        return log.store_checkpoint(uow, note)
    except SignatureError as error:
        raise InputError(str(error)) from error


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=CheckpointStored,
    openapi_extra={"requestBody": {"required": True, **_NOTE}},
)
def file_checkpoint(
    who: CanFileCheckpoint,
    write: WriteDep,
    body: RawBody,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Keep a checkpoint signed by keys the parties announced in the log (``convenio keys
    generate``), once it is shown to be of this log: its origin, a size the log holds,
    the log's root at that size (else 409). A signature that does not verify, or a note no announced
    key signed: 422. Commissions only."""
    _require_note(content_type, "the signed checkpoint")

    def work(uow: UnitOfWork) -> log.StoredCheckpoint:
        kept = _kept(uow, body)
        uow.commit()  # held: the checkpoint commits with its audit entry
        return kept

    return write.run(
        who,
        work,
        lambda r: CheckpointStored(size=r.size, root_hash=b64(r.root), signers=list(r.signers)),
        lambda r: f"checkpoint of {r.size} entries signed by {', '.join(r.signers)}",
    )


class KeyRead(BaseModel):
    """A verifier key a party announced in the log (signed-note ``name+id+base64``)."""

    party: str
    verifier: str


@router.get("/keys", response_model=list[KeyRead])
def keys(uow: Reader, who: CanReadPublic) -> list[KeyRead]:
    """Every party's announced verifier keys, party by party, oldest first (a party's
    current key last): what checks the parties' signatures on checkpoints."""
    return [
        KeyRead(party=party, verifier=str(verifier))
        for party, verifiers in sorted(log.party_verifiers(uow).items())
        for verifier in verifiers
    ]


class KeyAnnounced(BaseModel):
    """A key announced: its party, the verifier key, the key it replaces (null for a
    party's first key) and its entry in the log."""

    party: str
    verifier: str
    replaces: str | None
    entry: int


@router.post(
    "/keys",
    status_code=201,
    response_model=KeyAnnounced,
    openapi_extra={
        "requestBody": {
            "required": True,
            **_NOTE,
            "description": "A key announcement as `convenio keys generate --server` signs "
            "it: the text `convenio key`, the log's origin, the party, its verifier key "
            "(and `replaces <key>` for a rotation), signed by the key itself (and by the "
            "key it replaces)",
        }
    },
)
def announce_key(
    who: CanFileCheckpoint,
    write: WriteDep,
    body: RawBody,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Append a party's key announcement to the log, made on the party's own machine:
    ``convenio keys generate --server URL`` (a first key, signed by itself) or ``convenio
    keys rotate --server URL`` (signed by the current key and the new). A commission of
    that party only (403 otherwise); an ill-formed or forged note, or a party not of the
    agreement: 422; a second first key, or a rotation of a key that is not the current
    one: 409."""
    _require_note(content_type, "the key announcement")

    def work(uow: UnitOfWork) -> announcements.AnnouncedKey:
        announced = announcements.receive_announcement(uow, who, body)
        uow.commit()  # held: the key commits with its audit entry
        return announced

    return write.run(
        who,
        work,
        lambda r: KeyAnnounced(
            party=r.party, verifier=r.verifier, replaces=r.replaces, entry=r.entry
        ),
        lambda r: (
            f"key of {r.party} announced at entry {r.entry}"
            + ("" if r.replaces is None else f", replacing {r.replaces}")
        ),
    )


# -- entries -----------------------------------------------------------------------------


class EntryRead(BaseModel):
    """An entry of the log: its index, the kind and key of its record, its bytes."""

    index: int
    kind: str
    key: int | str
    entry: Base64


class Entries(BaseModel):
    """Entries from ``start``, and the log's size when they were read."""

    tree_size: int
    entries: list[EntryRead]


@router.get("/entries", response_model=Entries)
def entries(
    uow: Reader,
    who: CanVerify,
    start: Annotated[int, Query(ge=0, description="The first entry's index")] = 0,
    limit: Annotated[
        int, Query(ge=1, le=log.MAX_ENTRIES, description="At most this many entries")
    ] = 1_000,
) -> Entries:
    """Entries ``start`` .. ``start+limit-1`` (fewer at the end of the log), each
    recomputed from its record: what a follower pages through to keep its replica."""
    size = log.checkpoint(uow).size
    found = log.entries(uow, start, limit)
    return Entries(
        tree_size=size,
        entries=[
            EntryRead(index=e.index, kind=e.kind, key=e.key, entry=b64(e.entry)) for e in found
        ],
    )


# -- proofs ------------------------------------------------------------------------------


class InclusionRead(BaseModel):
    """That entry ``index`` (leaf hash ``leaf_hash``) is in the tree of ``tree_size``
    entries whose root is ``root_hash``: RFC 6962's audit path, leaf side first."""

    index: int
    tree_size: int
    leaf_hash: Base64
    root_hash: Base64
    hashes: list[Base64]


@router.get("/proof/inclusion", response_model=InclusionRead)
def inclusion(
    uow: Reader,
    who: CanVerify,
    txn: Annotated[str | None, Query(description="A transaction's id")] = None,
    index: Annotated[int | None, Query(description="An entry's index (instead of txn)")] = None,
    size: Annotated[int | None, Query(description="The tree's size (default: today's)")] = None,
) -> InclusionRead:
    """The inclusion proof of a transaction's entry, or of entry ``index``, in the tree
    of ``size`` entries: ``convenio proof inclusion TXN_ID --json``. An unknown
    transaction or entry, or a size the log never had: 404."""
    if txn is not None and index is None:
        proof = log.inclusion_of(uow, TXN, txn, size)
    elif index is not None and txn is None:
        proof = log.inclusion(uow, index, size)
    else:
        raise InputError(
            "name the entry to prove: txn=ID or index=N, one of them",
            [Problem("txn or index, not both", field=name) for name in ("txn", "index")],
        )
    return InclusionRead.model_validate(proof.as_json())


class ConsistencyRead(BaseModel):
    """That the tree of ``from_size`` entries (root ``from_root``) is a prefix of the
    tree of ``to_size`` entries (root ``to_root``): RFC 6962's consistency proof."""

    from_size: int
    to_size: int
    from_root: Base64
    to_root: Base64
    hashes: list[Base64]


@router.get("/proof/consistency", response_model=ConsistencyRead)
def consistency(
    uow: Reader,
    who: CanVerify,
    from_size: Annotated[int, Query(alias="from", description="The older tree's size")],
    to_size: Annotated[
        int | None, Query(alias="to", description="The newer tree's size (default: today's)")
    ] = None,
) -> ConsistencyRead:
    """The consistency proof from the tree of ``from`` entries to that of ``to``:
    ``convenio proof consistency --from N --to M --json``. A size the log never had, or
    ``from`` above ``to``: 404."""
    return ConsistencyRead.model_validate(log.consistency(uow, from_size, to_size).as_json())
