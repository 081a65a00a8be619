"""`convenio follow|diff|log …`: each party its own verified copy of the log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from convenio.cli.common import console, guard, open_store, print_json
from convenio.errors import InputError, Problem

if TYPE_CHECKING:
    from convenio.services.diff import Compared
    from convenio.services.replica import LogHead
    from convenio.store import Store

log_app = typer.Typer(help="The transparency log as a file: export.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON on stdout")]


@log_app.command("export")
def log_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write (JSON Lines)")],
    start: Annotated[
        int, typer.Option("--from", min=0, help="First entry to write (default: the first)")
    ] = 0,
) -> None:
    """Write the log's entries to a file another party can follow: a header line (origin,
    size, root) and one line per entry, each checked against the stored log."""
    from convenio.cli.outputs import atomic_output
    from convenio.log import b64
    from convenio.services import replica as svc

    compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with guard():
        store = open_store()
        with store.unit_of_work() as uow:
            head, items = svc.export(uow, start)
            with atomic_output(output, "--output") as out:
                out.write(compact(head.as_json()) + "\n")
                for item in items:
                    out.write(compact(item.as_json()) + "\n")
    console.print(
        f"exported {head.size - start} entries (from entry {start}) of the log {head.origin}"
        f" of {head.size} entries, root {b64(head.root)}, to {output}",
        highlight=False,
        soft_wrap=True,
    )


def follow(
    source: Annotated[
        str,
        typer.Argument(help="A file written by convenio log export, or a server's URL (http://…)"),
    ],
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="A signed checkpoint the replica must be consistent with (default: the "
            "last one it kept)",
        ),
    ] = None,
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key",
            help="Verifier key (name+hash+base64) for the checkpoint's signatures, "
            "repeatable (default: the keys the log announced)",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="CONVENIO_TOKEN", show_default=False, help="API token of a server"
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Pull another party's log into this store, verify every entry, keep a verified
    replica (all or nothing: a refused follow leaves the replica as it was)."""
    from convenio.log import b64, parse_verifier
    from convenio.services import replica as svc

    with guard():
        keys = [parse_verifier(text) for text in key or []]
        note = _read_note(checkpoint)
        store = open_store()
        with svc.open_source(source, token) as src, store.unit_of_work(write=True) as uow:
            done = svc.follow(uow, src, note, keys)
    if as_json:
        print_json(
            {
                "added": done.added,
                "size": done.size,
                "root": b64(done.root),
                "checkpoint_size": done.checkpoint_size,
            }
        )
        return
    against = (
        ""
        if done.checkpoint_size is None
        else f"; consistent with the checkpoint of {done.checkpoint_size} entries"
    )
    console.print(
        f"followed {source}: {done.added} new entries; the replica's log holds {done.size} "
        f"entries, root {b64(done.root)}{against}",
        highlight=False,
        soft_wrap=True,
    )


def _read_note(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"--checkpoint {path}: cannot read it: {exc.strerror or exc}",
            [Problem("cannot read", str(path), field="--checkpoint")],
        ) from None


def diff(
    store_a: Annotated[
        str, typer.Argument(help="A store: its URL, a SQLite file or a data directory")
    ],
    store_b: Annotated[str, typer.Argument(help="The other store, named the same ways")],
    as_json: JsonOpt = False,
) -> None:
    """Name the first entry where two stores' logs differ, and what differs (exit 1; 0 when
    they are the same log)."""
    from convenio.services.diff import diff

    with guard():
        a = _store_at(store_a, "STORE_A")
        try:
            b = _store_at(store_b, "STORE_B")
            try:
                with a.unit_of_work() as x, b.unit_of_work() as y:
                    compared = diff(x, y)
            finally:
                b.close()
        finally:
            a.close()
    if as_json:
        print_json(_compared_json(compared))
    else:
        _print_compared(compared)
    if compared.divergence is not None:
        raise typer.Exit(1)


def _store_at(text: str, argument: str) -> Store:
    """The store `text` names: a URL, a SQLite file, or a data directory holding one."""
    from convenio.settings import SQLITE_FILE, Settings
    from convenio.store import Store

    url = Settings(database_url=text).store_url if "://" in text else None
    if url is None or url.startswith("sqlite:///"):
        # A store that is not there is named, not created empty.
        path = Path(text.removeprefix("sqlite:///") if url else text)
        if path.is_dir():
            path = path / SQLITE_FILE
        if not path.is_file():
            raise InputError(
                f"{argument} {text}: no store there (give a store URL, a SQLite file or a "
                "data directory)",
                [Problem("no store", field=argument)],
            )
        url = f"sqlite:///{path.resolve()}"
    return Store(url)


def _head_json(head: LogHead) -> dict[str, Any]:
    from convenio.log import b64

    return {"origin": head.origin, "size": head.size, "root": b64(head.root)}


def _compared_json(compared: Compared) -> dict[str, Any]:
    found = compared.divergence
    return {
        "identical": found is None,
        "a": _head_json(compared.a),
        "b": _head_json(compared.b),
        "first_divergent": None if found is None else found.as_json(),
    }


def _print_compared(compared: Compared) -> None:
    from convenio.log import b64

    a, b, found = compared.a, compared.b, compared.divergence
    say = console.print
    if found is None:
        say(
            f"identical: both logs hold {a.size} entries, root {b64(a.root)}",
            highlight=False,
            soft_wrap=True,
        )
        return

    def side(value: tuple[str, int | str] | None) -> str:
        return "—" if value is None else f"{value[0]} {value[1]}"

    lines = [
        f"the logs differ first at entry {found.index}: {found.reason}",
        f"  A: {side(found.a)}   ({a.size} entries, root {b64(a.root)})",
        f"  B: {side(found.b)}   ({b.size} entries, root {b64(b.root)})",
        *(f"  {d.field}: A {d.a!r} ≠ B {d.b!r}" for d in found.fields),
    ]
    for line in lines:
        say(line, highlight=False, markup=False, soft_wrap=True)
