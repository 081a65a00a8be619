"""The API under test: a store with the tutorial's terms (parties XAT and XBO), the
missions sample (Venezuela, two states, three clinics) and one user of every role, each
with a token; an in-process client over it.

Each also has a spare token (`spare_token_id`) and a finished job (`job_id`), known by
id. `people` maps a name to its token: ``admin``, ``commission-XAT``, ``commission-XBO``,
``treasury-XAT``, ``treasury-XBO``, ``coordinator-ZU`` (org unit VE-ZU: Zulia and below),
``auditor``. `bearer(token)` is the header that shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from convenio.api import create_app
from convenio.services import access
from convenio.services.financing import load_terms_file
from convenio.settings import Settings
from convenio.store import Store
from convenio.store.ledger_repo import to_micros
from tests.missions_data import load_sample

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "convenio" / "examples"
TUTORIAL = EXAMPLES / "tutorial.yaml"

PEOPLE: dict[str, tuple[str, str | None, str | None]] = {
    "admin": ("admin", None, None),
    "commission-XAT": ("commission", "XAT", None),
    "commission-XBO": ("commission", "XBO", None),
    "treasury-XAT": ("treasury", "XAT", None),
    "treasury-XBO": ("treasury", "XBO", None),
    "coordinator-ZU": ("coordinator", None, "VE-ZU"),
    "auditor": ("auditor", None, None),
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def prepare(store: Store, tmp: Path) -> dict[str, str]:
    """Terms, the missions sample and the users of `PEOPLE` into `store`; their tokens."""
    with store.unit_of_work(write=True) as uow:
        load_terms_file(uow, TUTORIAL)
    load_sample(store, tmp)
    tokens: dict[str, str] = {}
    for name, (role, party, unit) in PEOPLE.items():
        with store.unit_of_work(write=True, late_lock=True) as uow:
            access.add_user(uow, name.lower(), role, party, unit, "a long enough password")
        with store.unit_of_work(write=True, late_lock=True) as uow:
            issued, _ = access.issue_token(uow, name.lower(), None)
        tokens[name] = issued.text
    with store.unit_of_work(write=True) as uow:
        at = to_micros(datetime.now(UTC))
        for name in PEOPLE:
            user = uow.auth.user(name.lower())
            assert user is not None
            uow.auth.add_token(spare_token_id(name), user.id, "0" * 64, "spare", at, None)
            uow.auth.add_job(job_id(name), "sample", name.lower(), at)
            uow.auth.update_job(job_id(name), state="done", finished_at=at, result="{}")
        uow.commit()
    return tokens


def spare_token_id(name: str) -> str:
    """The id of a second token of `name` (no secret matches it): one to revoke."""
    return f"{list(PEOPLE).index(name) + 1:012x}"


def job_id(name: str) -> str:
    """The id of a finished job that `name` created."""
    return f"job-{name.lower()}"


@pytest.fixture
def api_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'convenio.db'}")
    yield store
    store.close()


@pytest.fixture
def people(api_store: Store, tmp_path: Path) -> dict[str, str]:
    return prepare(api_store, tmp_path)


@pytest.fixture
def client(api_store: Store, people: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(data_dir=api_store.url)  # the store is given; settings for limits
    with TestClient(create_app(api_store, settings)) as test_client:
        yield test_client


# A real `convenio serve` per test module, on SQLite and PostgreSQL (tests/api/live.py);
# imported here so that every API test module can ask for it. Late: live.py imports `prepare`.
from tests.api.live import live_server  # noqa: E402, F401
