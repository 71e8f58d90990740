"""Add a feed to the configuration file's text, keeping everything else as written. Pure (text in, text out).

``stance-monitor feeds add`` must not lose the operator's comments, order or quoting, so the file is not
loaded and dumped again: the new entry is inserted as text, found through PyYAML's node tree (which knows
where each node starts and ends). The new entry follows the last one of the ``feeds:`` list, indented like
it; a flow list (``feeds: []``) gets a flow entry; a file without ``feeds:`` gets the key at its end.
Values are written as JSON scalars (valid YAML), so no value can break the file.
"""

from __future__ import annotations

import json
import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_DASH = re.compile(r"^(\s*)-(\s+)$")


def append_feed(text: str, entry: dict[str, str | bool | float]) -> str:
    """``text`` with ``entry`` (``url`` first) added to its ``feeds:`` list. Raises ValueError if it cannot."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"the configuration is not valid YAML: {exc}") from None
    if root is None:
        return _ensure_newline(text) + "feeds:\n" + _block(entry, "  - ", "    ")
    if not isinstance(root, MappingNode):
        raise ValueError("the configuration is not a mapping of keys")
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value == "feeds":
            return _append_to(text, key, value, entry)
    return _ensure_newline(text) + "\nfeeds:\n" + _block(entry, "  - ", "    ")


def _append_to(text: str, key: Node, feeds: Node, entry: dict[str, str | bool | float]) -> str:
    if isinstance(feeds, ScalarNode) and feeds.tag.endswith(":null"):  # "feeds:" and nothing else
        at = _line_end(text, key.end_mark.index)
        return text[:at] + "\n" + _block(entry, "  - ", "    ").rstrip("\n") + text[at:]
    if not isinstance(feeds, SequenceNode):
        raise ValueError("feeds: is not a list")
    if feeds.flow_style:
        close = text.rindex("]", feeds.start_mark.index, feeds.end_mark.index)
        item = "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in entry.items()) + "}"
        return text[:close] + (", " if feeds.value else "") + item + text[close:]
    last = feeds.value[-1]
    line_start = text.rfind("\n", 0, last.start_mark.index) + 1
    prefix = text[line_start : last.start_mark.index]
    if not _DASH.match(prefix):  # "-" alone on its line, the item below it: put the dash where it was
        prefix = " " * max(0, last.start_mark.column - 2) + "- "
    first, rest = prefix, " " * len(prefix)
    at = _line_end(text, _last_index(last))
    block = _block(entry, first, rest)
    if at >= len(text):
        return _ensure_newline(text) + block
    return text[: at + 1] + block + text[at + 1 :]


def _last_index(node: Node) -> int:
    """The offset of the last character that belongs to ``node`` (its deepest last child's last character)."""
    while isinstance(node, MappingNode | SequenceNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    return max(node.start_mark.index, node.end_mark.index - 1)


def _line_end(text: str, index: int) -> int:
    """The offset of the newline ending the line that holds ``index`` (``len(text)`` on the last line)."""
    at = text.find("\n", index)
    return len(text) if at < 0 else at


def _block(entry: dict[str, str | bool | float], first: str, rest: str) -> str:
    lines = [f"{first if i == 0 else rest}{k}: {_scalar(v)}" for i, (k, v) in enumerate(entry.items())]
    return "\n".join(lines) + "\n"


def _scalar(value: str | bool | float) -> str:
    return json.dumps(value, ensure_ascii=False)


def _ensure_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"
