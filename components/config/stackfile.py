"""Read a Pulumi stack file strictly: duplicate keys, alias bombs and secure values are handled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import CONFIG_KEY, ConfigError, Loc, Problem

# Offline there is no key to decrypt `secure:` values with; the program sees this instead.
OFFLINE_SECRET = "<secure value: encrypted in the stack file, not readable offline>"

# Expanded node budget: a stack file is a few thousand nodes; aliases that expand past this are a bomb.
MAX_NODES = 200_000
# A stack file is kilobytes and a few levels deep; these bound what the parser is asked to build (deeper
# nesting overflows the recursive composer: a RecursionError, or in libyaml's a crash).
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64


class YamlLimitError(ValueError):
    """The text is larger or deeper than any stack or project file; the message says which limit and where."""


def _events(text: str) -> Iterator[yaml.Event]:
    yield from yaml.parse(text, Loader=_StrictLoader)


def check_yaml_limits(text: str) -> None:
    """Refuse text over MAX_BYTES, nested deeper than MAX_DEPTH or with more than MAX_NODES nodes before it is
    composed, reading the event stream (which is flat, whatever the nesting)."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise YamlLimitError(f"the file is {size} bytes; a stack or project file is at most {MAX_BYTES} bytes")
    depth = nodes = 0
    events = _events(text)
    while True:
        try:
            event = next(events)
        except StopIteration:
            return
        except yaml.YAMLError:
            return  # malformed after a shallow start: the parser that reads the file says where and why
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise YamlLimitError(f"nested deeper than {MAX_DEPTH} levels at line {line}; a config is shallow")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                raise YamlLimitError(f"more than {MAX_NODES} values; a stack file has a few thousand")


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (libyaml's parser where PyYAML has it) that refuses duplicate keys instead of silently keeping
    the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key]}); YAML would silently keep only the last",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Booleans as YAML 1.2 has them (true/false only), as Pulumi's own YAML reader: PyYAML's YAML 1.1 would turn an
# unquoted yes/no/on/off into a boolean offline that `pulumi up` hands the program as a string. Left strings,
# the strict schema refuses them where a boolean is meant, offline and in `pulumi up` alike.
_BOOL = "tag:yaml.org,2002:bool"
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass
class StackFile:
    path: Path
    config: dict[str, Any]
    secret_keys: list[str] = field(default_factory=list)
    lines: dict[Loc, int] = field(default_factory=dict)
    # every config key's lines (`enclave-consumer:bucket` -> {(): 9, ("purpose",): 11, ...}), keys as in `config`
    key_lines: dict[str, dict[Loc, int]] = field(default_factory=dict)


def _count_nodes(node: yaml.Node, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("expanded size exceeds the limit")
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _count_nodes(k, budget)
            _count_nodes(v, budget)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _count_nodes(item, budget)


def _lines(node: yaml.Node, loc: Loc, out: dict[Loc, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                sub = (*loc, key_node.value)
                out.setdefault(sub, key_node.start_mark.line + 1)
                _lines(value_node, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.setdefault((*loc, i), item.start_mark.line + 1)
            _lines(item, (*loc, i), out)


def _strip_secure(value: Any) -> tuple[Any, bool]:
    """Replace `{secure: ...}` leaves with OFFLINE_SECRET; report whether any was found."""
    if isinstance(value, dict):
        if set(value) == {"secure"} and isinstance(value["secure"], str):
            return OFFLINE_SECRET, True
        found = False
        out = {}
        for k, v in value.items():
            out[k], hit = _strip_secure(v)
            found = found or hit
        return out, found
    if isinstance(value, list):
        items = [_strip_secure(v) for v in value]
        return [v for v, _ in items], any(h for _, h in items)
    return value, False


def _fail(path: Path, line: int | None, message: str) -> ConfigError:
    return ConfigError([Problem((), message, line=line, root="")], str(path))


def read_stack_file(path: Path) -> StackFile:
    """Parse `stacks/Pulumi.<stack>.yaml` into engine config keys, secret keys and config-path lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(path, None, "stack file not found; create it or pick an existing stack") from None
    except UnicodeDecodeError as exc:
        raise _fail(path, None, f"stack file is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        check_yaml_limits(text)
        root = yaml.compose(text, Loader=_StrictLoader)
        if root is not None:
            _count_nodes(root, [MAX_NODES])
        data = yaml.load(text, Loader=_StrictLoader)
    except YamlLimitError as exc:
        raise _fail(path, None, f"not read: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        detail = " ".join(x for x in (exc.context, exc.problem) if x)
        raise _fail(path, line, f"not valid YAML: {detail}") from None
    except yaml.YAMLError as exc:
        raise _fail(path, None, f"not valid YAML: {exc}") from None
    except (ValueError, RecursionError):
        raise _fail(
            path, None, f"YAML aliases expand to more than {MAX_NODES} nodes (recursive or exponential anchors)"
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or not isinstance(data.get("config", {}), dict):
        raise _fail(path, 1, "a stack file is a mapping with a 'config:' mapping inside")
    config: dict[str, Any] = {}
    secret_keys: list[str] = []
    for key, value in (data.get("config") or {}).items():
        if not isinstance(key, str) or ":" not in key:
            key = f"gpu-enclave:{key}"
        config[key], secret = _strip_secure(value)
        if secret:
            secret_keys.append(key)
    lines: dict[Loc, int] = {}
    key_lines: dict[str, dict[Loc, int]] = {}
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            if key_node.value != "config" or not isinstance(value_node, yaml.MappingNode):
                continue
            for ckey, cval in value_node.value:
                name = str(ckey.value) if ":" in str(ckey.value) else f"gpu-enclave:{ckey.value}"
                found: dict[Loc, int] = {(): ckey.start_mark.line + 1}
                _lines(cval, (), found)
                key_lines[name] = found
                if ckey.value in (CONFIG_KEY, "platform"):
                    lines.update(found)
    return StackFile(path, config, secret_keys, lines, key_lines)


def config_lines(path: Path) -> dict[Loc, int]:
    """Config path -> line number in the stack file; empty when the file cannot be read."""
    try:
        return read_stack_file(path).lines
    except ConfigError:
        return {}
