"""The pure side of access: what each role may do and for whom, secrets, the audit
chain, the sign-in throttle and token lifetimes — no store, no server."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convenio.api.middleware import LoginThrottle
from convenio.auth import (
    ANONYMOUS,
    AUDIT_GENESIS,
    OPERATOR,
    Action,
    AuditEntry,
    Principal,
    Role,
    audit_hash,
    check_password,
    hash_password,
    new_token,
    split_token,
    verify_audit_chain,
)
from convenio.errors import AccessError, InputError, Problem
from convenio.services.access import parse_lifetime

TREASURY_VEN = Principal("t", Role.TREASURY, party="VEN")
COORDINATOR_ZU = Principal("c", Role.COORDINATOR, org_unit="VE-ZU")


def test_the_roles_table() -> None:
    writes = {
        Role.ADMIN: {Action.WRITE_TERMS, Action.WRITE_CATALOG, Action.MANAGE_USERS,
                     Action.RUN_DEMO},
        Role.COMMISSION: {Action.SETTLE},
        Role.TREASURY: {Action.WRITE_FINANCE},
        Role.COORDINATOR: {Action.WRITE_MISSIONS},
        Role.AUDITOR: set(),
    }  # fmt: skip
    all_writes = set().union(*writes.values())
    for role, own in writes.items():
        who = Principal("x", role)
        assert {a for a in all_writes if who.may(a)} == own, role
        assert who.may(Action.READ_PUBLIC) and who.may(Action.READ_TERMS)
    assert [r for r in Role if Principal("x", r).may(Action.READ_AUDIT)] == [
        Role.ADMIN, Role.AUDITOR,
    ]  # fmt: skip
    assert not any(Principal("x", r).may(Action.READ_PERSONAL) for r in Role)
    assert [a for a in Action if ANONYMOUS.may(a)] == [Action.READ_PUBLIC]
    assert all(OPERATOR.may(a) for a in Action)


def test_a_party_acts_for_its_agencies_and_not_for_another() -> None:
    assert TREASURY_VEN.may_act_for("VEN") and TREASURY_VEN.may_act_for("VEN.PDVSA")
    assert not TREASURY_VEN.may_act_for("VENX") and not TREASURY_VEN.may_act_for("CUB")
    with pytest.raises(AccessError) as refused:
        TREASURY_VEN.require_parties(
            [("VEN", Problem("p1", line=2)), ("CUB", Problem("p2", line=3)),
             ("CUB.BNC", Problem("", field="party"))]
        )  # fmt: skip
    assert [str(p) for p in refused.value.problems] == [
        "3: p2: t may not act for CUB", "party: t may not act for CUB.BNC",
    ]  # fmt: skip
    assert Principal("a", Role.AUDITOR).sees_all_parties()
    assert not TREASURY_VEN.sees_all_parties()


def test_a_coordinator_reaches_its_subtree_only() -> None:
    assert COORDINATOR_ZU.may_reach(["VE", "VE-ZU", "VE-ZU-01"])
    assert not COORDINATOR_ZU.may_reach(["VE", "VE-MI"])
    assert TREASURY_VEN.may_reach(["VE", "VE-MI"])  # no subtree scope for other roles


def test_passwords_are_argon2id_and_checked() -> None:
    stored = hash_password("a long enough password")
    assert stored.startswith("$argon2id$")
    assert check_password(stored, "a long enough password")
    assert not check_password(stored, "a long enough passworD")
    assert not check_password("not a hash", "anything")


def test_a_token_keeps_only_the_digest_of_its_secret() -> None:
    issued = new_token()
    parts = split_token(issued.text)
    assert parts is not None and parts[0] == issued.token_id
    assert issued.digest == hashlib.sha256(parts[1].encode()).hexdigest()
    assert parts[1] not in issued.digest and new_token().text != issued.text


@pytest.mark.parametrize(
    "text",
    ["", "cnv_", "cnv_0123456789ab", "cnv_0123456789ab_", "cnv_0123456789AB_x",
     "cnv_0123456789a_x", "xyz_0123456789ab_x", "cnv_0123456789ab_" + "x" * 129],
)  # fmt: skip
def test_malformed_tokens_are_not_split(text: str) -> None:
    assert split_token(text) is None


def _entry(seq: int) -> AuditEntry:
    return AuditEntry(seq, 1_700_000_000_000_000 + seq, "u", "admin", "", "POST", "/x", "",
                      "d", 201, "a", 0, 0, f"entry {seq}")  # fmt: skip


def _chain(n: int) -> list[tuple[AuditEntry, str]]:
    chain, previous = [], AUDIT_GENESIS
    for seq in range(1, n + 1):
        previous = audit_hash(previous, _entry(seq))
        chain.append((_entry(seq), previous))
    return chain


@given(st.integers(1, 8), st.data())
def test_the_audit_chain_names_the_first_altered_entry(n: int, data: st.DataObject) -> None:
    chain = _chain(n)
    assert verify_audit_chain(chain) == (n, chain[-1][1], None)
    at = data.draw(st.integers(0, n - 1))
    entry, stored = chain[at]
    altered = [*chain[:at], (dataclasses.replace(entry, status=500), stored), *chain[at + 1 :]]
    assert verify_audit_chain(altered)[2] == at + 1
    if n > 1:
        assert verify_audit_chain(chain[1:])[2] == 2  # the first removed


def test_the_throttle_counts_failures_per_login_and_address() -> None:
    throttle = LoginThrottle(attempts=3, window=3600)
    for _ in range(3):
        assert throttle.retry_after("ana", "10.0.0.1") == 0
        throttle.failed("ana", "10.0.0.1")
    assert 1 <= throttle.retry_after("ana", "10.0.0.1") <= 3601
    assert throttle.retry_after("ana", "10.0.0.2") == 0
    assert throttle.retry_after("bo", "10.0.0.1") == 0
    throttle.succeeded("ana", "10.0.0.1")
    assert throttle.retry_after("ana", "10.0.0.1") == 0


def test_many_logins_from_one_address_are_throttled_too() -> None:
    throttle = LoginThrottle(attempts=3, window=3600, per_address=10)
    for i in range(10):  # a new login each time: never 3 for one login
        assert throttle.retry_after(f"user{i}", "10.0.0.9") == 0
        throttle.failed(f"user{i}", "10.0.0.9")
    assert throttle.retry_after("anyone", "10.0.0.9") >= 1
    assert throttle.retry_after("anyone", "10.0.0.8") == 0


def test_a_window_with_nothing_left_is_forgotten() -> None:
    throttle = LoginThrottle(attempts=1, window=0)
    for i in range(100):
        throttle.failed(f"user{i}", f"10.0.{i}.1")
        throttle.retry_after(f"user{i}", f"10.0.{i}.1")
    assert throttle._failures == {} and throttle._by_address == {}


def test_failures_older_than_the_window_do_not_count() -> None:
    throttle = LoginThrottle(attempts=1, window=0)
    throttle.failed("ana", "a")
    assert throttle.retry_after("ana", "a") == 0


@pytest.mark.parametrize(
    ("text", "lifetime"),
    [("12h", timedelta(hours=12)), ("90d", timedelta(days=90)), ("2w", timedelta(weeks=2)),
     ("never", None)],
)  # fmt: skip
def test_token_lifetimes(text: str, lifetime: timedelta | None) -> None:
    assert parse_lifetime(text) == lifetime


@pytest.mark.parametrize("text", ["0d", "90", "d", "1y", "-1d", "999999d"])
def test_bad_lifetimes_name_the_field(text: str) -> None:
    with pytest.raises(InputError) as error:
        parse_lifetime(text, "expires")
    assert error.value.problems[0].field == "expires"
