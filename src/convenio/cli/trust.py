"""`convenio keys|checkpoint|proof …`: the parties' signing keys, signed checkpoints of the
transparency log and signed statements, and inclusion and consistency proofs.

Each command parses, makes one call to `convenio.services.keys`, `.signed` or `.log`, and
renders. A private key is written to its key file only; no command prints one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from convenio.cli.common import console, err_console, guard, open_store, print_json
from convenio.errors import InputError

if TYPE_CHECKING:
    from convenio.services.signed import Checked

keys_app = typer.Typer(
    help="Each party's signing key: generate, rotate, list.", no_args_is_help=True
)
checkpoint_app = typer.Typer(
    help="Checkpoints of the log, signed by one party and cosigned by the other.",
    no_args_is_help=True,
)
proof_app = typer.Typer(
    help="Inclusion and consistency proofs of the log (RFC 6962).", no_args_is_help=True
)

PartyOpt = Annotated[str, typer.Option("--party", help="The party's code, e.g. VEN")]
KeyFileOpt = Annotated[
    Path | None,
    typer.Option("--key-file", help="The party's key file (default: DATA_DIR/keys/PARTY.key)"),
]
KeysOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--key",
        help="A verifier key (name+id+key) that must have signed; repeat for each. "
        "Default: the keys the log announced",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON on stdout")]
ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server",
        help="Announce the key in the log of this server (http://…), as the party's "
        "commission, instead of the local store's",
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="CONVENIO_TOKEN",
        show_default=False,
        help="API token of the party's commission on --server",
    ),
]


def read_signed(path: Path) -> bytes:
    """The bytes of a signed checkpoint or statement file."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _write(path: Path, content: bytes, option: str) -> None:
    from convenio.cli.outputs import atomic_output

    with atomic_output(path, option) as out:
        out.write(content.decode())


def _what(checked: Checked) -> str:
    size = f"the checkpoint of {checked.body.size} entries"
    return size if checked.run is None else f"the statement of run {checked.run} at {size}"


def _signed_by(names: tuple[str, ...], given: bool) -> str:
    return f"{', '.join(names)} ({'the keys given' if given else 'keys the log announced'})"


# -- keys -------------------------------------------------------------------------------


def _said_generated(party: str, verifier: str, path: Path, entry: int, where: str) -> None:
    console.print(verifier, highlight=False, soft_wrap=True)
    err_console.print(
        f"{party}'s private key is in {path} (0600; keep it there); the public key above "
        f"is announced at entry {entry}{where}: give it to the other party",
        highlight=False,
        soft_wrap=True,
    )


def _said_rotated(
    party: str,
    verifier: str,
    entry: int,
    replaces: str | None,
    files: tuple[Path, Path | None],
    where: str,
) -> None:
    path, retired = files
    console.print(verifier, highlight=False, soft_wrap=True)
    err_console.print(
        f"{party}'s new key is in {path}, announced at entry {entry}{where} "
        f"(signed by the key it replaces, {replaces}); the old key file is kept as {retired}",
        highlight=False,
        soft_wrap=True,
    )


@keys_app.command("generate")
def keys_generate(
    party: PartyOpt, key_file: KeyFileOpt = None, server: ServerOpt = None, token: TokenOpt = None
) -> None:
    """Make the party's signing key: the private key goes to its key file (0600), the
    public key (printed) is announced in the log — of the local store, or with --server
    of that server, leaving the local store as it is."""
    from convenio.services import keys
    from convenio.services.remote import Remote

    with guard():
        if server is not None:
            filed = keys.generate_on(Remote(server, token), party, key_file)
            where = f" of {filed.server}'s log"
            _said_generated(party, filed.verifier, filed.key_file, filed.entry, where)
            return
        with open_store().unit_of_work(write=True) as uow:
            announced = keys.generate_key(uow, party, key_file)
    path = keys.key_file_of(party, key_file)
    _said_generated(party, announced.verifier, path, announced.entry, "")


@keys_app.command("rotate")
def keys_rotate(
    party: PartyOpt, key_file: KeyFileOpt = None, server: ServerOpt = None, token: TokenOpt = None
) -> None:
    """Replace the party's key: a new key, announced by an entry its old key signs (in
    the local store's log, or with --server in that server's); the old key file is kept
    as FILE.retired-KEYID."""
    from convenio.services import keys
    from convenio.services.remote import Remote

    with guard():
        if server is not None:
            f = keys.rotate_on(Remote(server, token), party, key_file)
            where = f" of {f.server}'s log"
            files = (f.key_file, f.retired_file)
            _said_rotated(party, f.verifier, f.entry, f.replaces, files, where)
            return
        with open_store().unit_of_work(write=True) as uow:
            rotated = keys.rotate_key(uow, party, key_file)
    k = rotated.key
    files = (rotated.key_file, rotated.retired_file)
    _said_rotated(party, k.verifier, k.entry, k.replaces, files, "")


@keys_app.command("list")
def keys_list(as_json: JsonOpt = False) -> None:
    """List the verifier keys the parties announced in the log."""
    from convenio.cli.render import Column, Listing, emit, output_format
    from convenio.services import keys

    with guard(), open_store().unit_of_work() as uow:
        found = keys.list_keys(uow)
    names = ("party", "verifier", "replaces", "announced_at", "entry")
    listing = Listing(
        f"{len(found)} key(s) announced",
        [Column(n) for n in names],
        [[k.party, k.verifier, k.replaces, k.moment, k.entry] for k in found],
        empty="no key announced yet: convenio keys generate --party PARTY",
    )
    emit(listing, output_format(as_json, False))


# -- checkpoints and statements ---------------------------------------------------------


@checkpoint_app.command("show")
def checkpoint_show(as_json: JsonOpt = False) -> None:
    """Print the checkpoint of the log as it is (unsigned): origin, size, base64 root."""
    from convenio.log import b64
    from convenio.services import log

    with guard(), open_store().unit_of_work() as uow:
        body = log.checkpoint(uow)
    if as_json:
        print_json({"origin": body.origin, "size": body.size, "root_hash": b64(body.root_hash)})
    else:
        console.print(body.format(), end="", highlight=False, markup=False, soft_wrap=True)


@checkpoint_app.command("sign")
def checkpoint_sign(
    party: PartyOpt,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write the note to")],
    key_file: KeyFileOpt = None,
) -> None:
    """Sign the checkpoint of the log as it is with the party's key (a C2SP signed note),
    write it to FILE and keep it in the store."""
    from convenio.services import signed

    with guard():
        store = open_store()
        with store.unit_of_work(write=True) as uow:
            note, body = signed.sign_checkpoint(uow, party, key_file)
        _write(output, note, "--output")
    console.print(
        f"checkpoint of {body.size} entries signed by {party}, written to {output}",
        highlight=False,
        soft_wrap=True,
    )


@checkpoint_app.command("cosign")
def checkpoint_cosign(
    file: Annotated[Path, typer.Argument(help="A checkpoint or statement the other party signed")],
    party: PartyOpt,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here (default: FILE itself)")
    ] = None,
    key_file: KeyFileOpt = None,
) -> None:
    """Check a checkpoint (or statement bundle) the other party signed against this store
    and add the party's signature to the same note; exit 4, signing nothing, if it does
    not hold."""
    from convenio.services import signed

    with guard():
        content = read_signed(file)
        store = open_store()
        with store.unit_of_work(write=True) as uow:
            cosigned, checked = signed.cosign_signed(uow, content, party, key_file)
        _write(output or file, cosigned, "--output")
    console.print(
        f"{_what(checked)} cosigned by {party} (signed by "
        f"{', '.join(checked.signers)}), written to {output or file}",
        highlight=False,
        soft_wrap=True,
    )


@checkpoint_app.command("statement")
def checkpoint_statement(
    run_id: Annotated[str, typer.Argument(help="The settlement run, e.g. 2024Q1:XAT:XBO:1")],
    party: PartyOpt,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write the bundle to")],
    key_file: KeyFileOpt = None,
) -> None:
    """Sign a settlement run's statement: a JSON bundle of the statement, the inclusion
    proofs of its run and transactions, and a note naming the checkpoint that covers them."""
    from convenio.services import signed

    with guard():
        with open_store().unit_of_work() as uow:
            bundle = signed.sign_statement(uow, run_id, party, key_file)
        text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
        _write(output, text.encode(), "--output")
    size = bundle["entry"]["tree_size"]  # type: ignore[index]
    console.print(
        f"statement of run {run_id} signed by {party} at the checkpoint of {size} entries, "
        f"written to {output}",
        highlight=False,
        soft_wrap=True,
    )


@checkpoint_app.command("check")
def checkpoint_check(
    file: Annotated[Path, typer.Argument(help="A signed checkpoint or statement bundle")],
    keys_given: KeysOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a signed checkpoint or statement bundle against this store: its signatures,
    the log's root at its size, a statement's digest and every proof (exit 4 if not)."""
    from convenio.services import signed

    with guard():
        content = read_signed(file)
        with open_store().unit_of_work() as uow:
            checked = signed.check_signed(uow, content, keys_given or [])
    if as_json:
        print_json(
            {
                "ok": True,
                "kind": checked.kind,
                "run": checked.run,
                "checkpoint_size": checked.body.size,
                "signed_by": list(checked.signers),
                "keys": "given" if checked.given_keys else "announced",
            }
        )
        return
    console.print(
        f"ok: {_what(checked)} holds against this store; signed by "
        f"{_signed_by(checked.signers, checked.given_keys)}",
        highlight=False,
        soft_wrap=True,
    )


# -- proofs -----------------------------------------------------------------------------


@proof_app.command("inclusion")
def proof_inclusion(
    txn_id: Annotated[str | None, typer.Argument(help="The transaction's id")] = None,
    entry: Annotated[
        int | None, typer.Option("--entry", help="Prove entry N of the log instead")
    ] = None,
    size: Annotated[
        int | None, typer.Option("--size", help="In the tree of N entries (default: today's)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Prove that a transaction (or entry N) is in the log: RFC 6962's audit path."""
    from convenio.log import b64
    from convenio.log.records import TXN
    from convenio.services import log

    with guard():
        if (txn_id is None) == (entry is None):
            raise InputError("give a TXN_ID or --entry N (one of them)")
        with open_store().unit_of_work() as uow:
            if entry is not None:
                proof = log.inclusion(uow, entry, size)
            else:
                assert txn_id is not None
                proof = log.inclusion_of(uow, TXN, txn_id, size)
    if as_json:
        print_json(proof.as_json())
        return
    what = "" if txn_id is None else f" (transaction {txn_id})"
    lines = [
        f"entry {proof.index}{what} is in the tree of {proof.tree_size} entries",
        f"leaf hash  {b64(proof.leaf_hash)}",
        f"root hash  {b64(proof.root_hash)}",
        f"path       {len(proof.hashes)} hash(es), leaf side first",
        *(f"  {b64(h)}" for h in proof.hashes),
    ]
    console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)


@proof_app.command("consistency")
def proof_consistency(
    old: Annotated[int, typer.Option("--from", help="The smaller tree's size")],
    new: Annotated[int | None, typer.Option("--to", help="The larger's (default: today's)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Prove that the log of --from entries is a prefix of the log of --to entries."""
    from convenio.log import b64
    from convenio.services import log

    with guard(), open_store().unit_of_work() as uow:
        proof = log.consistency(uow, old, new)
    if as_json:
        print_json(proof.as_json())
        return
    lines = [
        f"the tree of {proof.from_size} entries is a prefix of the tree of {proof.to_size}",
        f"root at {proof.from_size}  {b64(proof.from_root)}",
        f"root at {proof.to_size}  {b64(proof.to_root)}",
        f"proof  {len(proof.hashes)} hash(es)",
        *(f"  {b64(h)}" for h in proof.hashes),
    ]
    console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)
