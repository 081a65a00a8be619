"""Go's own sumdb packages as a judge of what convenio's log writes.

A test hands a Go program's source (a ``package main`` importing
``golang.org/x/mod/sumdb/tlog`` or ``.../note``) to `go_program`; it is built once per
test session in GOPATH mode against Debian's ``golang-golang-x-mod-dev`` sources (no
network), and each `GoProgram.run` feeds it stdin and returns its stdout. Where ``go`` or
the sources are missing the test is skipped with the reason, and fails under ``CI=true``
(`tests.conftest.skip_unless_ci`): a green CI means Go judged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import skip_unless_ci

__all__ = ["GO_PATH", "SUMDB", "GoProgram", "go_program", "require_go"]

# Where Debian's golang-golang-x-mod-dev puts the sources Go compiles in GOPATH mode.
GO_PATH = Path(os.environ.get("CONVENIO_TEST_GOPATH", "/usr/share/gocode"))
SUMDB = GO_PATH / "src" / "golang.org" / "x" / "mod" / "sumdb"

_INSTALL_HINT = "apt-get install golang-go golang-golang-x-mod-dev (.ci/run does this)"

JSON_LINES_MAIN = """
func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var r request
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			panic(err)
		}
		if err := out.Encode(handle(r)); err != nil {
			panic(err)
		}
	}
	if err := in.Err(); err != nil {
		panic(err)
	}
}
"""
"""The `main` of a judge that answers one JSON request a line: it needs a `request` type
and `handle(request)`, and imports bufio, encoding/json and os."""

# Built programs, by digest of their source: each is compiled once per session.
_built: dict[str, GoProgram] = {}


@dataclass(frozen=True)
class GoProgram:
    """A built Go program: run it with stdin, read its stdout."""

    binary: Path

    def completed(self, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """The finished process, whatever its exit code."""
        return subprocess.run(
            [str(self.binary)],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def run(self, stdin: str = "", timeout: float = 60) -> str:
        """Stdout of a run that must exit 0 (a failure shows Go's stderr)."""
        done = self.completed(stdin, timeout)
        if done.returncode != 0:
            pytest.fail(
                f"Go judge {self.binary.name} exited {done.returncode}:\n{done.stderr}{done.stdout}"
            )
        return done.stdout


def require_go() -> str:
    """The path of ``go``, after checking the sumdb sources are there (else skip/fail)."""
    go = shutil.which("go")
    if go is None:
        skip_unless_ci(f"go is not installed: {_INSTALL_HINT}")
    for package in ("tlog", "note"):
        if not (SUMDB / package).is_dir():
            skip_unless_ci(f"{SUMDB / package} is missing: {_INSTALL_HINT}")
    assert go is not None
    return go


def go_program(source: str, tmp_path_factory: pytest.TempPathFactory) -> GoProgram:
    """Build ``source`` (one ``main.go``) once per session; skip/fail where Go is missing."""
    go = require_go()
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    if digest in _built:
        return _built[digest]
    root = tmp_path_factory.mktemp(f"go-{digest}")
    package = f"convenio_judge_{digest}"
    src = root / "src" / package
    src.mkdir(parents=True)
    (src / "main.go").write_text(source)
    binary = root / "judge"
    env = {
        **os.environ,
        "GOPATH": f"{root}{os.pathsep}{GO_PATH}",
        "GO111MODULE": "off",
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }
    # GOCACHE must be writable; keep Go's default unless there is no home to put it in.
    if "GOCACHE" not in os.environ and not os.environ.get("HOME"):
        env["GOCACHE"] = str(root / "cache")
    done = subprocess.run(
        [go, "build", "-o", str(binary), package],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"the Go judge does not build:\n{done.stderr}")
    program = GoProgram(binary)
    _built[digest] = program
    return program
