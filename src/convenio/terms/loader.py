"""Read a terms file (YAML) into an `Agreement`, reporting every problem with its line.

The entry of terms into the data flow. The text is parsed once with `TermsYamlLoader`
— PyYAML's safe loader made exact: decimals become `Decimal` (never float), integers
must be plain decimal, only ``true``/``false`` are booleans — keeping the node tree so
that every path of the document (``versions[2].financing.bands[3].share``) has a line.
Versions that inherit are resolved (`convenio.terms.inherit`), the header and each
version validated on their own (`convenio.terms.model`), then the checks across the
document run (`convenio.terms.validate`). All problems come back together in one
`InputError`, each a `Problem(message, file, line, field)`.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from convenio.errors import InputError, Problem
from convenio.safe_yaml import BoundedLoader
from convenio.terms.inherit import Provenance, resolve_versions
from convenio.terms.model import Agreement, AgreementHeader, AgreementVersion
from convenio.terms.validate import Finding, check_agreement
from convenio.terms.values import Loc, format_loc

__all__ = ["TermsYamlLoader", "load_terms", "parse_terms"]

_PLAIN_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_BOOL_TAG = "tag:yaml.org,2002:bool"

M = TypeVar("M", bound=BaseModel)


class TermsYamlLoader(BoundedLoader):
    """PyYAML's safe loader with exact numbers: floats are `Decimal`, ints plain decimal.

    Bounded (`convenio.safe_yaml`): nesting, alias expansion and scalar errors."""

    def construct_exact(self, node: ScalarNode) -> Decimal:
        """A YAML float as the `Decimal` of its text; infinities and NaN are refused."""
        text = str(self.construct_scalar(node))
        lowered = text.lower()
        if "inf" in lowered or "nan" in lowered:
            raise ConstructorError(
                None, None, f"{text} is not a finite number; amounts are exact", node.start_mark
            )
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ConstructorError(
                None, None, f"{text} is not a plain decimal number", node.start_mark
            ) from None

    def construct_plain_int(self, node: ScalarNode) -> int:
        """A YAML integer written in plain decimal; octal, hex and base 60 are refused."""
        text = str(self.construct_scalar(node))
        if not _PLAIN_INT.match(text):
            raise ConstructorError(
                None,
                None,
                f"{text} is not a plain decimal integer (YAML would read it as octal, "
                "hexadecimal or base 60); quote it if it is text",
                node.start_mark,
            )
        return int(text.replace("_", ""))


TermsYamlLoader.add_constructor("tag:yaml.org,2002:float", TermsYamlLoader.construct_exact)
TermsYamlLoader.add_constructor("tag:yaml.org,2002:int", TermsYamlLoader.construct_plain_int)
# YAML 1.1 reads yes/no/on/off (and a party code like NO) as booleans; keep only true/false.
TermsYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
TermsYamlLoader.add_implicit_resolver(_BOOL_TAG, _BOOL, list("tTfF"))


@dataclass(frozen=True)
class _Document:
    """Parsed YAML: the plain data and the node tree it came from."""

    data: Any
    root: Node | None

    def line_of(self, loc: Loc) -> int | None:
        """The line (1-based) of the deepest node of `loc` present in the file."""
        node, line = self.root, 1 if self.root is None else self.root.start_mark.line + 1
        for part in loc:
            if isinstance(node, MappingNode):
                match = [(k, v) for k, v in node.value if _key(k) == str(part)]
                if not match:
                    break
                key, node = match[-1]
                line = key.start_mark.line + 1
            elif isinstance(node, SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line


def _key(node: Node) -> str | None:
    return str(node.value) if isinstance(node, ScalarNode) else None


def _parse(text: str, source: str) -> _Document:
    try:
        loader = TermsYamlLoader(text)
    except yaml.reader.ReaderError as error:
        where = text[: error.position].count("\n") + 1
        problem = Problem(f"YAML: character {error.character:#x} is not allowed", source, where)
        raise InputError.from_problems([problem], what=source) from None
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = None if mark is None else mark.line + 1
        message = str(error.problem or error.context or "not valid YAML")
        if error.context and error.problem:
            message = f"{error.context}: {error.problem}"
            started = error.context_mark
            if started is not None and started.line + 1 != line:
                message += f" (started on line {started.line + 1})"
        if isinstance(error, ConstructorError):
            raise InputError.from_problems([Problem(message, source, line)], what=source) from None
        problem = Problem(f"YAML syntax: {message}", source, line)
        raise InputError.from_problems([problem], what=source) from None
    finally:
        loader.dispose()
    return _Document(data, root)


def _duplicate_keys(node: Node | None, loc: Loc = ()) -> list[Finding]:
    """Keys written twice in one mapping (YAML would silently keep the last)."""
    findings: list[Finding] = []
    if isinstance(node, MappingNode):
        seen: dict[str | None, int] = {}
        for key, value in node.value:
            name = _key(key)
            if name in seen:
                message = f"key {name!r} is written twice (first on line {seen[name]})"
                findings.append(((*loc, name or "?"), message))
            else:
                seen[name] = key.start_mark.line + 1
            findings += _duplicate_keys(value, (*loc, name or "?"))
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            findings += _duplicate_keys(item, (*loc, index))
    return findings


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc` below `model`, if any."""
    for part in loc:
        if isinstance(part, int):
            continue
        fields = {info.alias or name: info for name, info in model.model_fields.items()}
        info = fields.get(part)
        found = _find_model(info.annotation) if info is not None else None
        if found is None:
            return None
        model = found
    return model


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _find_model(arg)
            if found is not None:
                return found
    return None


def _message(error: Mapping[str, Any], model: type[BaseModel], loc: Loc) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "terms":
        return str(error["msg"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
        parent = _model_at(model, loc[:-1])
        if parent is not None:
            known = [info.alias or name for name, info in parent.model_fields.items()]
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            message += f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}"
        return message
    message = str(error["msg"])
    if kind == "value_error" and "ctx" in error:
        message = str(error["ctx"]["error"])
    if isinstance(value, str | int | Decimal) and not isinstance(value, bool):
        message += f", got {value!r}" if isinstance(value, str) else f", got {value}"
    return message


class _Collector:
    """Gathers problems with their file lines, mapping resolved paths to written ones."""

    def __init__(self, source: str, document: _Document) -> None:
        self.source = source
        self.document = document
        self.provenance: list[Provenance] = []
        self.problems: list[Problem] = []

    def written(self, loc: Loc) -> Loc:
        index = loc[1] if len(loc) >= 2 and loc[0] == "versions" else None
        if isinstance(index, int) and index < len(self.provenance):
            return self.provenance[index].source_of(loc[2:])
        return loc

    def add(self, loc: Loc, message: str) -> None:
        at = self.written(loc)
        field = format_loc(at) or None
        problem = Problem(message, self.source, self.document.line_of(at), field)
        if problem not in self.problems:
            self.problems.append(problem)

    def validate(
        self, model: type[M], data: Any, prefix: Loc = (), keys: type[BaseModel] | None = None
    ) -> M | None:
        """`data` validated as `model`, or None; `keys` lists the keys known at its root."""
        try:
            return model.model_validate(data)
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                loc = (*prefix, *detail["loc"])
                self.add(loc, _message(detail, keys or model, tuple(detail["loc"])))
            return None

    def raise_if_any(self) -> None:
        if self.problems:
            self.fail()

    def fail(self) -> NoReturn:
        ordered = sorted(self.problems, key=lambda p: (p.line or 0, p.field or ""))
        raise InputError.from_problems(ordered, what=self.source)


def parse_terms(text: str, source: str = "<terms>") -> Agreement:
    """Parse and validate terms from YAML `text`; `source` names it in problems (a path).

    Raises `InputError` carrying every problem found, each with its line and field.
    """
    document = _parse(text, source)
    collect = _Collector(source, document)
    for loc, message in _duplicate_keys(document.root):
        collect.add(loc, message)
    data = document.data
    if not isinstance(data, Mapping):
        collect.add((), "a terms file is a mapping with schema, agreement, parties and versions")
        collect.fail()
    raw_versions = data.get("versions")
    head = {key: value for key, value in data.items() if key != "versions"}
    header = collect.validate(AgreementHeader, head, keys=Agreement)
    versions: list[tuple[int, AgreementVersion]] = []
    if not isinstance(raw_versions, list) or not raw_versions:
        collect.add(("versions",), "must be a list of at least one version")
    else:
        resolution = resolve_versions(raw_versions)
        collect.provenance = resolution.provenance
        for loc, message in resolution.findings:
            collect.add(loc, message)
        for index, resolved in enumerate(resolution.versions):
            prefix: Loc = ("versions", index)
            version = collect.validate(AgreementVersion, resolved, prefix)
            if version is not None:
                versions.append((index, version))
    for loc, message in check_agreement(header, versions):
        collect.add(loc, message)
    collect.raise_if_any()
    assert header is not None
    agreement = Agreement.model_validate(
        {**dict(header), "versions": [version for _, version in versions]}
    )
    agreement._origin = source
    return agreement


def load_terms(path: Path) -> Agreement:
    """Load and validate the terms file at `path` (UTF-8 YAML).

    Raises `InputError` if the file cannot be read or has any problem; every problem
    names the file, its line and the field (``versions[1].financing.bands[0].share``).
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        problem = Problem(f"cannot read the terms file: {error.strerror or error}", source)
        raise InputError.from_problems([problem], what=source) from None
    except UnicodeDecodeError as error:
        problem = Problem(f"not UTF-8 text (byte {error.start})", source)
        raise InputError.from_problems([problem], what=source) from None
    return parse_terms(text, source)
