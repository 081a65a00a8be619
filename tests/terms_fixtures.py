"""The shipped example terms with their band table lending, for the tests of the split,
the tranches and their schedules.

The example nets Cuba's oil whole under the quarterly PDVSA–BNC compensation from June
2005 (`financed_parts: netted`, docs/settlement.md), so none of it is lent from then on.
The tests of Petrocaribe's band table (table A) and of the tranches it makes need the
table to lend, as it does for a Petrocaribe member paying in cash: `LENDING_TEXT` is the
example without that one line, `LENDING_EXAMPLE` the same written to a file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Final

from convenio.examples import EXAMPLES

__all__ = ["EXAMPLE_TEXT", "LENDING_EXAMPLE", "LENDING_TEXT", "NETTED_LINE"]

EXAMPLE_TEXT: Final = (EXAMPLES / "cuba-venezuela.yaml").read_text(encoding="utf-8")
NETTED_LINE: Final = (
    "      financed_parts: netted  # ASSUMPTION (note): the whole oil invoice is netted\n"
)
assert EXAMPLE_TEXT.count(NETTED_LINE) == 1, "the example's compensation line has changed"
LENDING_TEXT: Final = EXAMPLE_TEXT.replace(NETTED_LINE, "")
LENDING_EXAMPLE: Final = Path(tempfile.mkdtemp(prefix="convenio-terms-")) / "cuba-venezuela.yaml"
LENDING_EXAMPLE.write_text(LENDING_TEXT, encoding="utf-8")
