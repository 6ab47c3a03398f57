"""Reading a JSON file a user names on the command line: what is wrong with it, in one phrase, and where each
key and list item sits (so a message can name the line to edit).

Duplicate keys are refused (Python's json keeps the last one silently, so a second `"all": "disabled"` further
down a pack config would win unseen); so are files too large or too deeply nested to be a config or report."""

from __future__ import annotations

import json
import math
from json.decoder import JSONArray, JSONDecodeError, scanstring  # type: ignore[attr-defined]  # the pure-Python parts
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

# A pack config, an audit file or a saved preview report is kilobytes to a few megabytes.
MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
Loc = tuple[str | int, ...]
_WS = " \t\n\r"


class JsonFileError(Exception):
    """The file cannot be read as JSON; the message says why ('no such file', 'is a folder, not a JSON file',
    'not valid JSON (...)', 'duplicate key ...'), for the caller to put after the option and path it names."""


class _Lined(dict[str, Any]):
    """A JSON object that remembers the line of its opening brace and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LinedList(list[Any]):
    """A JSON array that remembers the line of each item."""

    item_lines: list[int]


def _line(s: str, index: int) -> int:
    return s.count("\n", 0, index) + 1


class _Decoder(json.JSONDecoder):
    """The standard library's pure-Python decoder with object and array parsers that record lines, refuse
    duplicate keys and bound nesting."""

    def __init__(self) -> None:
        super().__init__(parse_constant=_no_constant, parse_float=_finite)
        self.depth = 0
        self.parse_object = self._object  # type: ignore[assignment]
        self.parse_array = self._array  # type: ignore[assignment]
        self.scan_once = py_make_scanner(self)

    def _enter(self, s: str, end: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise JsonFileError(f"nested deeper than {MAX_DEPTH} levels (line {_line(s, end)}); a config is shallow")

    def _object(self, s_and_end: tuple[str, int], *_args: Any) -> tuple[dict[str, Any], int]:
        s, end = s_and_end
        self._enter(s, end)
        out = _Lined()
        out.line, out.key_lines = _line(s, end - 1), {}
        end = _skip(s, end)
        if s[end : end + 1] == "}":
            self.depth -= 1
            return out, end + 1
        while True:
            if s[end : end + 1] != '"':
                raise JSONDecodeError("Expecting property name enclosed in double quotes", s, end)
            key, end = scanstring(s, end + 1, self.strict)
            line = _line(s, end)
            if key in out.key_lines:
                raise JsonFileError(
                    f"duplicate key {key!r} at lines {out.key_lines[key]} and {line}: JSON readers keep only one of "
                    "them silently; remove one"
                )
            out.key_lines[key] = line
            end = _skip(s, end)
            if s[end : end + 1] != ":":
                raise JSONDecodeError("Expecting ':' delimiter", s, end)
            end = _skip(s, end + 1)
            try:
                value, end = self.scan_once(s, end)
            except StopIteration as err:
                raise JSONDecodeError("Expecting value", s, err.value) from None
            out[key] = value
            end = _skip(s, end)
            if s[end : end + 1] == "}":
                self.depth -= 1
                return out, end + 1
            if s[end : end + 1] != ",":
                raise JSONDecodeError("Expecting ',' delimiter", s, end)
            end = _skip(s, end + 1)

    def _array(self, s_and_end: tuple[str, int], scan_once: Any, *_args: Any) -> tuple[list[Any], int]:
        s, end = s_and_end
        self._enter(s, end)
        starts: list[int] = []

        def scan(text: str, index: int) -> Any:
            starts.append(_line(text, index))
            return scan_once(text, index)

        values, end = JSONArray((s, end), scan)
        self.depth -= 1
        out = _LinedList(values)
        out.item_lines = starts[: len(values)]
        return out, end


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonFileError(f"not valid JSON ({text} is beyond a double's range; write a finite number)")
    return value


def _no_constant(name: str) -> Any:
    raise JsonFileError(f"not valid JSON ({name} is not a JSON number; write a finite number)")


def _skip(s: str, end: int) -> int:
    while end < len(s) and s[end] in _WS:
        end += 1
    return end


def _plain(value: Any, loc: Loc, lines: dict[Loc, int]) -> Any:
    """The decoded value as plain dicts and lists, and each key's and item's line under its path."""
    if isinstance(value, _Lined):
        lines[loc] = value.line
        out = {}
        for key, item in value.items():
            lines[(*loc, key)] = value.key_lines[key]
            out[key] = _plain(item, (*loc, key), lines)
        return out
    if isinstance(value, _LinedList):
        out_list = []
        for i, item in enumerate(value):
            if i < len(value.item_lines):
                lines.setdefault((*loc, i), value.item_lines[i])
            out_list.append(_plain(item, (*loc, i), lines))
        return out_list
    return value


def read_json_lines(path: Path) -> tuple[Any, dict[Loc, int]]:
    """The file's JSON and the line of every key and list item (path -> line; the root object at ())."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise JsonFileError(f"{size} bytes, more than the {MAX_BYTES // (1024 * 1024)} MiB a JSON input may be")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JsonFileError("no such file") from None
    except IsADirectoryError:
        raise JsonFileError("is a folder, not a JSON file") from None
    except PermissionError:
        raise JsonFileError("not readable (permission denied)") from None
    except UnicodeDecodeError as exc:
        raise JsonFileError(f"not valid JSON (not UTF-8: {exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise JsonFileError(f"cannot be read ({exc.strerror or exc})") from None
    decoder = _Decoder()
    try:
        value, end = decoder.raw_decode(text, _skip(text, 0))
        if _skip(text, end) != len(text):
            raise JSONDecodeError("Extra data", text, _skip(text, end))
    except JSONDecodeError as exc:
        raise JsonFileError(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise JsonFileError(f"nested deeper than {MAX_DEPTH} levels; a config is shallow") from None
    lines: dict[Loc, int] = {}
    return _plain(value, (), lines), lines


def read_json(path: Path) -> Any:
    return read_json_lines(path)[0]
