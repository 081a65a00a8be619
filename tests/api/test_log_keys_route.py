"""``POST /api/v1/log/keys``: a party announces its key, made on its own machine, in the
log of the other party's server — on SQLite and PostgreSQL.

What is shown: a first key signed by itself, then a rotation signed by the old key and
the new, are appended (201 with the entry), listed by ``GET /keys``, audited, and the log
still verifies; only a commission of that party may announce (the other party's
commission and everyone else: 403 or 401); an ill-formed or forged note, one of another
log, a party not of the agreement: 422; a second first key, a rotation of a retired key:
409; every refusal leaves the log and the keys as they were; an ``Idempotency-Key``
replays the first answer and writes nothing.

One store per backend for the module: XAT's keys are announced once (`announced`), and
every other test refuses something, so the tests read the same keys in any order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from convenio.api import create_app
from convenio.log import SignerKey, generate_signer, sign
from convenio.log.records import KEY
from convenio.services import log
from convenio.services.announcements import announcement
from convenio.services.ledger import verify
from convenio.settings import Settings
from convenio.store import Store
from convenio.store.auth_tables import audit_log
from convenio.store.log_tables import party_keys
from tests.api.conftest import bearer, prepare
from tests.api.live import backend_url

KEYS = "/api/v1/log/keys"
TEXT = {"Content-Type": "text/plain"}
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Served:
    store: Store
    client: TestClient
    people: dict[str, str]
    origin: str

    def post(self, note: bytes, name: str | None = "commission-XAT", **headers: str) -> Any:
        """POST `note` to /log/keys as `name` (None: the public): the answer."""
        who = {} if name is None else bearer(self.people[name])
        return self.client.post(KEYS, content=note, headers={**who, **TEXT, **headers})

    def state(self) -> tuple[int, int, int]:
        """The log's size, the keys and the audit entries held."""
        with self.store.engine.connect() as conn:
            size = self.head()
            count = conn.execute(select(func.count()).select_from(party_keys)).scalar_one()
            audited = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
        return size, int(count), int(audited)

    def head(self) -> int:
        with self.store.unit_of_work() as uow:
            return log.checkpoint(uow).size


def note_of(
    origin: str, signer: SignerKey, old: SignerKey | None = None, party: str | None = None
) -> bytes:
    """An announcement of `signer`'s key as ``convenio keys generate|rotate --server``
    makes it: signed by the key itself, and by `old` for a rotation."""
    replaced = None if old is None else old.verifier()
    text = announcement(origin, party or signer.name, signer.verifier(), replaced)
    return sign(text, [signer] if old is None else [old, signer])


@dataclass(frozen=True)
class Announced:
    """XAT's first key and its rotation, as sent and as answered."""

    first: SignerKey
    second: SignerKey
    answers: tuple[Any, Any]
    before: tuple[int, int, int]


def _serve(url: str, tmp: Path) -> Iterator[Served]:
    store = Store(url)
    try:
        people = prepare(store, tmp)
        with TestClient(create_app(store, Settings(data_dir=tmp / "data"))) as client:
            origin = client.get("/api/v1/log/checkpoint").json()["origin"]
            yield Served(store, client, people, origin)
    finally:
        store.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp(f"keys-{request.param}")
    with backend_url(request.param, tmp) as url:
        yield from _serve(url, tmp)


@pytest.fixture(scope="module")
def announced(served: Served) -> Announced:
    """XAT's commission announces a first key, then rotates it."""
    before = served.state()
    first, _ = generate_signer("XAT")
    second, _ = generate_signer("XAT")
    one = served.post(note_of(served.origin, first))
    two = served.post(note_of(served.origin, second, first))
    return Announced(first, second, (one, two), before)


def _problem(answer: Any, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    detail: str = answer.json()["detail"]
    return detail


# -- announced ---------------------------------------------------------------------------


def test_a_first_key_and_its_rotation_are_appended_listed_audited_and_verify(
    served: Served, announced: Announced
) -> None:
    first, second = (str(k.verifier()) for k in (announced.first, announced.second))
    one, two = announced.answers
    size, keys, _ = announced.before
    assert one.status_code == 201, one.text
    assert two.status_code == 201, two.text
    # Each announcement is one entry, and its audit entry the next.
    assert one.json() == {"party": "XAT", "verifier": first, "replaces": None, "entry": size}
    assert two.json() == {"party": "XAT", "verifier": second, "replaces": first, "entry": size + 2}
    listed = served.client.get(KEYS).json()
    assert [k for k in listed if k["party"] == "XAT"] == [
        {"party": "XAT", "verifier": first},
        {"party": "XAT", "verifier": second},
    ]
    with served.store.unit_of_work() as uow:
        assert [uow.log.locate(KEY, key_id) for key_id in (keys + 1, keys + 2)] == [size, size + 2]
        assert verify(uow).log_size == served.head()
        routes = uow.connection.execute(
            select(audit_log.c.route, audit_log.c.status).order_by(audit_log.c.seq.desc()).limit(2)
        ).all()
    assert [tuple(r) for r in routes] == [(KEYS, 201), (KEYS, 201)]


# -- refused -----------------------------------------------------------------------------


def _refused(served: Served, note: bytes, name: str | None, status: int) -> str:
    before = served.state()
    detail = _problem(served.post(note, name), status)
    assert served.state() == before, f"a refused announcement wrote: {detail}"
    return detail


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("commission-XBO", 403),
        ("treasury-XAT", 403),
        ("admin", 403),
        ("auditor", 403),
        (None, 401),
    ],
)
def test_only_a_commission_of_that_party_announces_its_key(
    served: Served, announced: Announced, name: str | None, status: int
) -> None:
    rotation = note_of(served.origin, generate_signer("XAT")[0], announced.second)
    detail = _refused(served, rotation, name, status)
    if name == "commission-XBO":
        assert detail.startswith("commission-xbo may not announce a key of XAT")


def test_one_party_cannot_announce_the_others_first_key(served: Served) -> None:
    foreign = note_of(served.origin, generate_signer("XBO")[0])
    assert "may not announce a key of XBO" in _refused(served, foreign, "commission-XAT", 403)


def test_a_forged_rotation_is_422(served: Served, announced: Announced) -> None:
    """Signed by a key that is not XAT's current one, under its current key's name and
    id: the rotation names the current key but the current key did not sign it."""
    stranger, _ = generate_signer("XAT")
    new, _ = generate_signer("XAT")
    text = announcement(served.origin, "XAT", new.verifier(), announced.second.verifier())
    forged = sign(text, [stranger, new])
    detail = _refused(served, forged, "commission-XAT", 422)
    assert detail == (
        f"the key announcement does not hold: it is not signed by {announced.second.verifier()}"
    )


@pytest.mark.parametrize(
    ("note", "said"),
    [
        (b"not a note\n", "not a key announcement"),
        (b"convenio key\nconvenio/x\nXAT\nnot-a-key\n\n\xe2\x80\x94 XAT AAAA\n", "the key"),
    ],
    ids=["not-a-note", "bad-key"],
)
def test_an_ill_formed_note_is_422(
    served: Served, announced: Announced, note: bytes, said: str
) -> None:
    assert said in _refused(served, note, "commission-XAT", 422)


def test_a_rotation_without_its_signatures_is_422(served: Served, announced: Announced) -> None:
    signed = note_of(served.origin, generate_signer("XAT")[0], announced.second)
    unsigned = signed[: signed.index(b"\n\n") + 2]
    detail = _refused(served, unsigned, "commission-XAT", 422)
    assert detail == (
        f"the key announcement does not hold: it is not signed by {announced.second.verifier()}"
    )


def test_a_note_of_another_log_or_named_for_another_party_is_422(
    served: Served, announced: Announced
) -> None:
    new, _ = generate_signer("XAT")
    elsewhere = note_of("convenio/another-log", new, announced.second)
    detail = _refused(served, elsewhere, "commission-XAT", 422)
    assert f"in the log {served.origin}" in detail
    misnamed = note_of(served.origin, generate_signer("XBO")[0], party="XAT")
    assert "named XBO, not XAT" in _refused(served, misnamed, "commission-XAT", 422)


def test_a_party_not_of_the_agreement_is_422(served: Served) -> None:
    foreign = note_of(served.origin, generate_signer("FOO")[0])
    said = _refused(served, foreign, "commission-XAT", 422)
    assert said == "party: no party 'FOO' in the terms (known: XAT, XBO)"


def test_a_second_first_key_or_a_rotation_of_a_retired_key_is_409(
    served: Served, announced: Announced
) -> None:
    current = announced.second.verifier()
    again = note_of(served.origin, generate_signer("XAT")[0])
    assert _refused(served, again, "commission-XAT", 409) == (
        f"XAT has a key already ({current}): a new one must replace it, signed by it"
    )
    stale = note_of(served.origin, generate_signer("XAT")[0], announced.first)
    assert _refused(served, stale, "commission-XAT", 409) == (
        f"it replaces {announced.first.verifier()}, not XAT's current key {current}"
    )


def test_a_note_sent_as_another_media_type_is_422(served: Served) -> None:
    note = note_of(served.origin, generate_signer("XBO")[0])
    before = served.state()
    answer = served.client.post(
        KEYS,
        content=note,
        headers={**bearer(served.people["commission-XBO"]), "Content-Type": "application/json"},
    )
    assert "as text/plain, not application/json" in _problem(answer, 422)
    assert served.state() == before


def test_an_idempotency_key_replays_the_first_answer_and_writes_nothing(served: Served) -> None:
    note = note_of(served.origin, generate_signer("XBO")[0])
    key = {"Idempotency-Key": "xbo-first-key"}
    first = served.post(note, "commission-XBO", **key)
    assert first.status_code == 201, first.text
    after = served.state()
    again = served.post(note, "commission-XBO", **key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert served.state() == after
    assert _problem(served.post(note, "commission-XBO"), 409).startswith("XBO has a key already")
