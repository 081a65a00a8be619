"""Signed notes and checkpoints: published vectors, round trips, every malformation refused.

The vectors are those published in the documentation and tests of Go's
``golang.org/x/mod/sumdb/note`` (package doc comment; note_test.go): the PeterNeumann key
pair, its signature of a two-line text, and EnochRoot's cosignature of the same text.
Hypothesis checks key ids and note bytes against a naive writer of the C2SP formats
written here from the spec (c2sp.org/signed-note, c2sp.org/tlog-checkpoint).
"""

from __future__ import annotations

import base64
import hashlib
import pickle

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from convenio.errors import InputError, IntegrityError
from convenio.log.checkpoint import Checkpoint
from convenio.log.note import (
    Opened,
    SignatureError,
    SignerKey,
    VerifierKey,
    cosign,
    generate_signer,
    open_note,
    parse_signer,
    parse_verifier,
    sign,
)

# Go's sumdb/note documentation and tests (see the module docstring).
PETER_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VERIFIER = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_LINE = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdn"
    "gotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_LINE = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnW"
    "Lox33WWd1RvMc+QQ=\n"
)
PETER_NOTE = (TEXT + "\n" + PETER_LINE).encode()
BOTH_NOTE = (TEXT + "\n" + PETER_LINE + ENOCH_LINE).encode()

ROOT = hashlib.sha256(b"root").digest()


# --- a naive writer of the formats, from the spec alone ---------------------------------


def naive_key_id(name: str, public: bytes) -> int:
    return int.from_bytes(hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4], "big")


def naive_note(text: str, seeds: list[tuple[str, bytes]]) -> bytes:
    out = text.encode() + b"\n"
    for name, seed in seeds:
        private = Ed25519PrivateKey.from_private_bytes(seed)
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        signed = naive_key_id(name, public).to_bytes(4, "big") + private.sign(text.encode())
        out += "— ".encode() + name.encode() + b" " + base64.b64encode(signed) + b"\n"
    return out


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")).filter(
        lambda c: c not in "+\x85\xa0"
    ),
    min_size=1,
    max_size=20,
)
texts = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]).filter(lambda c: c >= " " or c == "\n"),
    max_size=200,
).map(lambda t: t + "\n")
seeds = st.binary(min_size=32, max_size=32)


# --- keys ---------------------------------------------------------------------------------


def test_go_published_keys_parse_and_pair() -> None:
    signer = parse_signer(PETER_SIGNER)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == 0xC74F20A3
    assert str(signer.verifier()) == PETER_VERIFIER
    assert signer.reveal() == PETER_SIGNER
    assert str(parse_verifier(PETER_VERIFIER)) == PETER_VERIFIER


def test_generated_keys_round_trip_through_their_texts() -> None:
    signer, verifier = generate_signer("example.org/VEN")
    assert signer.verifier() == verifier
    assert parse_verifier(str(verifier)) == verifier
    again = parse_signer(signer.reveal())
    assert again.verifier() == verifier
    assert signer.reveal().startswith(f"PRIVATE+KEY+example.org/VEN+{verifier.key_id:08x}+")


def test_a_signer_key_never_shows_its_seed() -> None:
    signer = parse_signer(PETER_SIGNER)
    secret = PETER_SIGNER.split("+", 4)[4]
    seed_b64 = base64.b64encode(base64.b64decode(secret)[1:]).decode()
    for shown in (repr(signer), str(signer), f"{signer}", repr([signer])):
        assert secret not in shown
        assert seed_b64[:16] not in shown
        assert "hidden" in shown
    with pytest.raises(TypeError):
        pickle.dumps(signer)


@given(names, seeds)
def test_key_ids_are_the_specs(name: str, seed: bytes) -> None:
    signer = SignerKey(name, seed)
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert signer.key_id == naive_key_id(name, raw)
    assert str(signer.verifier()) == (
        name + f"+{naive_key_id(name, raw):08x}+" + base64.b64encode(b"\x01" + raw).decode()
    )
    assert parse_signer(signer.reveal()).verifier() == signer.verifier()


PETER_KEY_B64 = PETER_VERIFIER.rsplit("+", 1)[1]
PETER_SEED_B64 = PETER_SIGNER.split("+", 4)[4]  # base64 may hold a "+"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "3 fields"),
        ("PeterNeumann+c74f20a3", "3 fields"),
        (f"+c74f20a3+{PETER_KEY_B64}", "key name is empty"),
        (f"Peter Neumann+c74f20a3+{PETER_KEY_B64}", "space"),
        (f"Peter\u00a0Neumann+c74f20a3+{PETER_KEY_B64}", "space"),
        (f"Peter\u2028Neumann+c74f20a3+{PETER_KEY_B64}", "space"),
        (f"Peter\x01Neumann+c74f20a3+{PETER_KEY_B64}", "control character"),
        (f"PeterNeumann+c74f20a+{PETER_KEY_B64}", "8 hexadecimal digits"),
        (f"PeterNeumann+c74f20a3a+{PETER_KEY_B64}", "8 hexadecimal digits"),
        (f"PeterNeumann+c74f20g3+{PETER_KEY_B64}", "8 hexadecimal digits"),
        (f"PeterNeumann+c74f20a4+{PETER_KEY_B64}", "key id c74f20a4 is not that"),
        (f"Peter+Neumann+c74f20a3+{PETER_KEY_B64}", "8 hexadecimal digits"),
        ("PeterNeumann+c74f20a3+", "the key is empty"),
        ("PeterNeumann+c74f20a3+not*base64", "not base64"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "not base64"),
        # Go's own bad keys (note_test.go): a long key, an unknown algorithm, hashes adjusted.
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "32 bytes",
        ),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "algorithm 101"),
    ],
)
def test_malformed_verifier_keys_are_refused(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        parse_verifier(text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (PETER_VERIFIER, "PRIVATE\\+KEY"),
        (f"PRIVATE+KEYS+PeterNeumann+c74f20a3+{PETER_SEED_B64}", "PRIVATE\\+KEY"),
        (f"PRIVATE+KEY+PeterNeumann+c74f20a4+{PETER_SEED_B64}", "key id c74f20a4 is not that"),
        (f"PRIVATE+KEY+PaulNeumann+c74f20a3+{PETER_SEED_B64}", "key id c74f20a3 is not that"),
        (f"PRIVATE+KEY+Peter Neumann+c74f20a3+{PETER_SEED_B64}", "space"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr", "32 bytes, not 17"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "alg"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3", "3 fields"),
    ],
)
def test_malformed_signer_keys_are_refused(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        parse_signer(text)


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\tb", "a\nb", "a\u3000b", "a\x00b"])
def test_invalid_names_cannot_generate_keys(name: str) -> None:
    with pytest.raises(InputError, match="key name"):
        generate_signer(name)


# --- notes ----------------------------------------------------------------------------------


def test_signing_reproduces_gos_published_note() -> None:
    assert sign(TEXT, [parse_signer(PETER_SIGNER)]) == PETER_NOTE


def test_gos_doubly_signed_note_opens_with_both_verifiers() -> None:
    both = [parse_verifier(PETER_VERIFIER), parse_verifier(ENOCH_VERIFIER)]
    assert open_note(BOTH_NOTE, both) == Opened(TEXT, ("PeterNeumann", "EnochRoot"), 0)
    assert open_note(BOTH_NOTE, both[1:]) == Opened(TEXT, ("EnochRoot",), 1)


def test_cosigning_keeps_the_first_signature_and_adds_one() -> None:
    signer, verifier = generate_signer("CUB")
    cosigned = cosign(PETER_NOTE, signer)
    assert cosigned.startswith(PETER_NOTE)
    assert cosigned.count("— ".encode()) == 2
    opened = open_note(cosigned, [parse_verifier(PETER_VERIFIER), verifier])
    assert opened == Opened(TEXT, ("PeterNeumann", "CUB"), 0)
    # Cosigning twice with the same key changes nothing (one line per key).
    assert cosign(cosigned, signer) == cosigned


def test_a_checkpoint_signed_by_two_parties_verifies_with_both() -> None:
    ven, ven_v = generate_signer("convenio.example/VEN")
    cub, cub_v = generate_signer("convenio.example/CUB")
    body = Checkpoint("convenio.example/log", 1000, ROOT).format()
    note = cosign(sign(body, [ven]), cub)
    assert note == sign(body, [ven, cub])
    opened = open_note(note, [ven_v, cub_v])
    assert opened.verified == ("convenio.example/VEN", "convenio.example/CUB")
    assert Checkpoint.parse(opened.text) == Checkpoint("convenio.example/log", 1000, ROOT)
    # Each party alone verifies its own signature and counts the other's as unverified.
    assert open_note(note, [cub_v]) == Opened(body, ("convenio.example/CUB",), 1)


def test_a_signature_by_another_key_of_the_same_name_is_refused() -> None:
    ven, ven_v = generate_signer("VEN")
    impostor, _ = generate_signer("VEN")
    forged = sign(TEXT, [impostor])
    # A different key id: an unknown key, so nobody trusted signed.
    with pytest.raises(SignatureError, match="no trusted key signed the note"):
        open_note(forged, [ven_v])
    # The impostor writing VEN's key id: a known key whose signature fails.
    signed = ven.key_id.to_bytes(4, "big") + impostor.signature(TEXT.encode())
    line = f"— VEN {base64.b64encode(signed).decode()}\n"
    with pytest.raises(SignatureError, match=f"VEN\\+{ven.key_id:08x} does not verify"):
        open_note((TEXT + "\n" + line).encode(), [ven_v])
    # ... even beside VEN's genuine signature.
    with pytest.raises(SignatureError, match="does not verify"):
        open_note(sign(TEXT, [ven]) + line.encode(), [ven_v])
    assert issubclass(SignatureError, IntegrityError)


def test_a_changed_text_is_refused() -> None:
    peter = parse_verifier(PETER_VERIFIER)
    tampered = PETER_NOTE.replace(b"answer", b"answers")
    with pytest.raises(SignatureError, match="does not verify"):
        open_note(tampered, [peter])


def test_a_note_no_trusted_key_signed_is_refused() -> None:
    with pytest.raises(SignatureError, match="signed by: EnochRoot, PeterNeumann"):
        open_note(BOTH_NOTE, [])


def test_two_verifiers_with_one_name_and_id_are_refused() -> None:
    peter = parse_verifier(PETER_VERIFIER)
    # A colliding key (32 bits of key id are cheap to collide): built past the check.
    collider = object.__new__(VerifierKey)
    for field, value in (("name", peter.name), ("key_id", peter.key_id), ("public_key", ROOT)):
        object.__setattr__(collider, field, value)
    with pytest.raises(InputError, match="share the name and id"):
        open_note(PETER_NOTE, [peter, collider])
    # The same key twice is the same key.
    assert open_note(PETER_NOTE, [peter, peter]).verified == ("PeterNeumann",)


def test_a_verifier_cannot_be_built_with_another_keys_id() -> None:
    peter = parse_verifier(PETER_VERIFIER)
    with pytest.raises(InputError, match="is not that of"):
        VerifierKey("PeterNeumann", peter.key_id ^ 1, peter.public_key)


GOOD_SIG = PETER_LINE.split(" ", 2)[2].strip()


@pytest.mark.parametrize(
    ("note", "says"),
    [
        (TEXT + PETER_LINE, "no blank line"),
        (TEXT + "\n", "no signature"),
        (TEXT + "\n" + PETER_LINE.rstrip("\n"), "does not end with a newline"),
        (TEXT + "\n" + PETER_LINE + "\n", "no signature"),
        (TEXT + "\n" + PETER_LINE.replace("—", "-"), "em dash"),
        (TEXT + "\n" + PETER_LINE.replace("— ", "—"), "em dash"),
        (TEXT + "\n" + f"—  {GOOD_SIG}\n", "key name is empty"),
        (TEXT + "\n" + f"— Peter+Neumann {GOOD_SIG}\n", "contains '\\+'"),
        (TEXT + "\n" + "— PeterNeumann\n", "0 bytes, too short"),
        (TEXT + "\n" + "— PeterNeumann \n", "too short"),
        (TEXT + "\n" + "— PeterNeumann AAAAAA==\n", "4 bytes, too short"),
        (TEXT + "\n" + f"— PeterNeumann {GOOD_SIG} \n", "not base64"),
        (TEXT + "\n" + f"— PeterNeumann {GOOD_SIG[:-1]}\n", "not base64"),
        (TEXT.replace("\n", "\r\n", 1) + "\n" + PETER_LINE, "control character"),
        ("tab\there\n\n" + PETER_LINE, "control character"),
        (TEXT + "\n" + PETER_LINE * 101, "more than 100 signatures"),
    ],
)
def test_malformed_notes_are_refused(note: str, says: str) -> None:
    peter = parse_verifier(PETER_VERIFIER)
    with pytest.raises(InputError, match=says):
        open_note(note.encode(), [peter])
    with pytest.raises(InputError, match=says):
        cosign(note.encode(), parse_signer(PETER_SIGNER))


def test_a_note_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(InputError, match="UTF-8"):
        open_note(b"\xff\n\n" + PETER_LINE.encode(), [parse_verifier(PETER_VERIFIER)])


@pytest.mark.parametrize(
    ("text", "says"),
    [("no newline", "end with a newline"), ("", "end with a newline"), ("a\rb\n", "'\\\\r'")],
)
def test_texts_that_cannot_be_notes_are_not_signed(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        sign(text, [parse_signer(PETER_SIGNER)])


def test_a_note_needs_a_signer() -> None:
    with pytest.raises(InputError, match="at least one signer"):
        sign(TEXT, [])


def test_duplicate_signature_lines_are_counted_once() -> None:
    peter = parse_verifier(PETER_VERIFIER)
    assert open_note(PETER_NOTE + PETER_LINE.encode(), [peter]) == Opened(
        TEXT, ("PeterNeumann",), 0
    )
    assert open_note(BOTH_NOTE + ENOCH_LINE.encode(), [peter]) == Opened(TEXT, ("PeterNeumann",), 1)


@given(texts, st.lists(st.tuples(names, seeds), min_size=1, max_size=3, unique_by=lambda k: k[0]))
def test_notes_equal_the_naive_writer_and_open(text: str, keys: list[tuple[str, bytes]]) -> None:
    signers = [SignerKey(name, seed) for name, seed in keys]
    note = sign(text, signers)
    assert note == naive_note(text, keys)
    opened = open_note(note, [s.verifier() for s in signers])
    assert opened == Opened(text, tuple(name for name, _ in keys), 0)


@given(texts, names, seeds, seeds)
def test_cosigned_notes_open_for_either_party(text: str, name: str, a: bytes, b: bytes) -> None:
    first, second = SignerKey(name, a), SignerKey(name + "2", b)
    note = cosign(sign(text, [first]), second)
    assert note == sign(text, [first, second])
    assert open_note(note, [second.verifier()]) == Opened(text, (second.name,), 1)
    assert open_note(note, [first.verifier()]) == Opened(text, (first.name,), 1)


# --- checkpoints ----------------------------------------------------------------------------


def test_the_specs_example_checkpoint_parses_and_formats_back() -> None:
    # c2sp.org/tlog-checkpoint's example body.
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.format() == text


def test_extension_lines_round_trip() -> None:
    checkpoint = Checkpoint("o", 0, ROOT, ("ext one", "— two"))
    assert checkpoint.format() == f"o\n0\n{base64.b64encode(ROOT).decode()}\next one\n— two\n"
    assert Checkpoint.parse(checkpoint.format()) == checkpoint


origins = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
)


@given(
    origins,
    st.integers(min_value=0, max_value=2**63 - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(origins, max_size=3),
)
def test_checkpoints_round_trip(origin: str, size: int, root: bytes, ext: list[str]) -> None:
    checkpoint = Checkpoint(origin, size, root, tuple(ext))
    text = checkpoint.format()
    naive = "\n".join([origin, str(size), base64.b64encode(root).decode(), *ext]) + "\n"
    assert text == naive
    assert Checkpoint.parse(text) == checkpoint


B64_ROOT = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"o\n1\n{B64_ROOT}", "does not end with a newline"),
        ("o\n1\n", "2 line"),
        (f"\n1\n{B64_ROOT}\n", "line 1 is empty"),
        (f"o\n\n{B64_ROOT}\n", "line 2 is empty"),
        ("o\n1\n\n", "line 3 is empty"),
        (f"o\n1\n{B64_ROOT}\n\n", "line 4 is empty"),
        (f"o\n1\n{B64_ROOT}\nx\n\n", "line 5 is empty"),
        (f"o\n01\n{B64_ROOT}\n", "leading zero"),
        (f"o\n00\n{B64_ROOT}\n", "leading zero"),
        (f"o\n-1\n{B64_ROOT}\n", "not a decimal"),
        (f"o\n+1\n{B64_ROOT}\n", "not a decimal"),
        (f"o\n 1\n{B64_ROOT}\n", "not a decimal"),
        (f"o\n1.0\n{B64_ROOT}\n", "not a decimal"),
        (f"o\n\u0661\n{B64_ROOT}\n", "not a decimal"),  # an Arabic-Indic digit one
        (f"o\n{2**63}\n{B64_ROOT}\n", "not in 0..2\\^63-1"),
        (f"o\n{10**30}\n{B64_ROOT}\n", "too large"),
        (f"o\n1\n{B64_ROOT[:-1]}\n", "not base64"),
        (f"o\n1\n{B64_ROOT} \n", "not base64"),
        ("o\n1\nAAAA\n", "3 bytes, not 32"),
        (f"o\n1\n{base64.b64encode(ROOT + b'x').decode()}\n", "33 bytes"),
        ("o\n1\n" + base64.urlsafe_b64encode(b"\xff" * 32).decode() + "\n", "not base64"),
        ("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n", "not canonical"),
        (f"o\tx\n1\n{B64_ROOT}\n", "character '\\\\t'"),
    ],
)
def test_malformed_checkpoints_are_refused(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("", 1, ROOT), "origin is empty"),
        (("a\nb", 1, ROOT), "origin contains"),
        (("o", -1, ROOT), "not in 0"),
        (("o", 2**63, ROOT), "not in 0"),
        (("o", True, ROOT), "not in 0"),
        (("o", 1, ROOT[:31]), "31 bytes"),
        (("o", 1, ROOT, ("",)), "extension line is empty"),
        (("o", 1, ROOT, ("a\nb",)), "extension line contains"),
    ],
)
def test_checkpoints_that_cannot_be_written_are_refused(
    args: tuple[object, ...], says: str
) -> None:
    with pytest.raises(InputError, match=says):
        Checkpoint(*args)  # type: ignore[arg-type]


def test_the_log_package_exports_notes_and_checkpoints() -> None:
    import convenio.log
    from convenio.log import checkpoint, note

    for module in (note, checkpoint):
        for name in module.__all__:
            assert name in convenio.log.__all__
            assert getattr(convenio.log, name) is getattr(module, name)
