"""Load YAML keeping the line of every key, and validate it into pydantic models. No I/O but reading the file.

Rule and configuration files are written by people; an error must say which file, which line and which key.
PyYAML's composer keeps a line mark on every node, so we build plain values from the node tree ourselves and
remember where each key path came from. Duplicate keys (which PyYAML silently overwrites) are problems too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from monitor.errors import Problem

PathKey = tuple[str | int, ...]
M = TypeVar("M", bound=pydantic.BaseModel)
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def dotted(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class SourceMap:
    """Where each key path of a YAML document starts (1-based line)."""

    file: str
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, path: PathKey) -> int | None:
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return None

    def problem(self, path: PathKey, message: str) -> Problem:
        return Problem(self.file, self.line(path), dotted(path), message)


def _build(node: yaml.Node, path: PathKey, smap: SourceMap, problems: list[Problem]) -> Any:
    smap.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _build(key_node, path, smap, [])
            if not isinstance(key, str | int | float | bool):
                problems.append(smap.problem(path, "a key must be a plain value"))
                continue
            key = str(key) if not isinstance(key, str) else key
            child = (*path, key)
            if key in out:
                problems.append(
                    Problem(smap.file, key_node.start_mark.line + 1, dotted(child), "duplicate key")
                )
            smap.lines[child] = key_node.start_mark.line + 1
            out[key] = _build(value_node, child, smap, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, (*path, i), smap, problems) for i, v in enumerate(node.value)]
    return _scalar(node)


_resolver_loader = yaml.SafeLoader("")


def _scalar(node: yaml.Node) -> Any:
    return _resolver_loader.construct_object(node, deep=True)


def load_yaml(path: Path, problems: list[Problem]) -> tuple[Any, SourceMap]:
    """Parse ``path``; syntax errors become problems (with the line) and the value ``None``."""
    smap = SourceMap(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(Problem(str(path), None, "", f"cannot read: {exc.strerror or exc}"))
        return None, smap
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), None, "", f"not UTF-8 text: {exc.reason}"))
        return None, smap
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        problems.append(Problem(str(path), line, "", f"YAML syntax error: {exc.problem}"))
        return None, smap
    if node is None:
        return None, smap
    return _build(node, (), smap, problems), smap


def expand_env(
    value: Any, smap: SourceMap, problems: list[Problem], env: Mapping[str, str], path: PathKey = ()
) -> Any:
    """Replace ``${VAR}`` in every string with the environment's value; a missing variable is a problem."""
    if isinstance(value, dict):
        return {k: expand_env(v, smap, problems, env, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, smap, problems, env, (*path, i)) for i, v in enumerate(value)]
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                problems.append(smap.problem(path, f"environment variable {name} is not set"))
                return ""
            return env[name]

        return _ENV.sub(sub, value)
    return value


def validate(
    model: type[M], data: Any, smap: SourceMap, problems: list[Problem], base: PathKey = ()
) -> M | None:
    """Validate ``data`` into ``model``; every pydantic error becomes a problem with file, line and key."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = (*base, *_clean_loc(err["loc"], data))
            problems.append(smap.problem(loc, _message(err)))
        return None


def _clean_loc(loc: tuple[Any, ...], data: Any) -> PathKey:
    """Drop the elements pydantic adds that are not keys of the document (a discriminated union's tag)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("type") == part:
            continue  # the union's tag, e.g. channels[1].webhook.url -> channels[1].url
        out.append(part if isinstance(part, int) else str(part))
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _message(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = str(err.get("msg", "invalid"))
    if "input" in err and kind not in ("missing",) and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return msg


def env_from_os() -> Mapping[str, str]:
    """The only place that reads the process environment."""
    return os.environ
