"""Limits that make PyYAML's safe loader safe for any input, shared by every YAML loader.

PyYAML's safe loader builds no objects, but three inputs still escape it or stall: a
document nested deeper than Python's recursion limit (its composer and constructor
recurse), aliases that expand a small file into an enormous tree ("billion laughs": each
walk of the tree, ours or pydantic's, follows every alias), and scalars whose
constructor raises a bare `ValueError` (``2000-02-30`` as a timestamp, an integer of
more digits than `int` converts). `BoundedLoader` refuses the first two while composing,
before anything walks the tree, and turns the third into a `ConstructorError` located
at the scalar; callers report every `yaml.YAMLError` as a located problem.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

__all__ = ["MAX_DEPTH", "MAX_EXPANDED", "BoundedLoader", "expanded_size"]

MAX_DEPTH = 64
"""Deepest nesting of collections accepted (terms and metadata files use fewer than 10)."""

MAX_EXPANDED = 100_000
"""Nodes a document may reach through aliases beyond those written (one walk's worth)."""


def expanded_size(root: Node | None) -> int:
    """The number of nodes a full walk of `root` visits, each alias followed.

    Computed once per distinct node (memoised), so an alias bomb costs no more than its
    text; the result is capped just above what any caller accepts."""
    sizes: dict[int, int] = {}
    cap = 10 * MAX_EXPANDED + 1

    def size(node: Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = cap  # an alias back into its own anchor: a cycle, refused
        total = 1
        if isinstance(node, SequenceNode):
            for item in node.value:
                total = min(cap, total + size(item))
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                total = min(cap, total + size(key) + size(value))
        sizes[id(node)] = total
        return total

    return 0 if root is None else size(root)


def _written_size(root: Node | None) -> int:
    """Distinct nodes of `root` (as written in the text, aliases counted once)."""
    seen: set[int] = set()
    stack = [] if root is None else [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return len(seen)


class BoundedLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` with a nesting bound, an alias-expansion bound, located scalar errors."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = False

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases = True
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Node | None:
        root: Node | None = super().get_single_node()
        if root is not None and self._aliases:
            written = _written_size(root)
            if expanded_size(root) > written + MAX_EXPANDED:
                raise ComposerError(
                    None,
                    None,
                    f"aliases expand the document beyond {written + MAX_EXPANDED:,} nodes",
                    root.start_mark,
                )
        return root

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, ArithmeticError) as error:
            text = node.value if isinstance(node.value, str) else ""
            shown = text if len(text) <= 40 else f"{text[:20]}… ({len(text):,} characters)"
            reason = "too many digits" if "digits" in str(error) else str(error)
            raise ConstructorError(
                None, None, f"{shown or 'a value'} cannot be read: {reason}", node.start_mark
            ) from None
