"""Example files shipped with convenio (also reachable as ``examples/`` in the source tree)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).parent

__all__ = ["EXAMPLES"]
