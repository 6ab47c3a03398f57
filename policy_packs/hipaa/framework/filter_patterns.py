"""CloudWatch Logs filter patterns (metric filters, subscription filters), evaluated as AWS documents them.

Standard library only (the pack and the audit load it by path). The three documented kinds:

- term patterns: `ERROR`, `"exact phrase"`, `ERROR -Exiting` (all terms, none of the excluded), `?ERROR ?WARN`
  (any of them), `%regex%`; terms are case-sensitive and match where they appear in the event;
- JSON patterns: `{ $.a.b = "x" && ($.c > 5 || $.d IS TRUE) }` with `=`, `!=`, `<`, `<=`, `>`, `>=`, `IS NULL`,
  `IS TRUE`, `IS FALSE`, `NOT EXISTS`, `*` wildcards in string values, `%regex%` values, `[n]` array indexes;
  a comparison whose selector names nothing in the event is false (except NOT EXISTS); an event that is not a
  JSON object matches no JSON pattern;
- space-delimited patterns: `[version, account, ..., action=REJECT, bytes>1000]`, fields named in order, `...`
  for any number of fields, conditions joined with `&&` / `||`; in the event, text inside `"..."` or `[...]`
  is one field.
The empty pattern matches every event. `extract` gives the named values a matching event yields, which is what
a metric transformation's `$field` / `$.path` value reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_PATTERN_LENGTH = 1024  # PutMetricFilter: filterPattern length 0..1024
MAX_REGEX_PER_PATTERN = 2
_REGEX_REFUSED = re.compile(r"[()]")


class PatternError(ValueError):
    """A pattern CloudWatch Logs would refuse (the message says where and why)."""


@dataclass(frozen=True)
class _Value:
    text: str
    quoted: bool
    regex: bool = False

    def number(self) -> float | None:
        if self.quoted or self.regex:
            return None
        try:
            return float(self.text)
        except ValueError:
            return None


def _glob(text: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else re.escape(c) for c in text), re.DOTALL)


def _regex(text: str, where: str) -> re.Pattern[str]:
    if _REGEX_REFUSED.search(text):
        raise PatternError(f"{where}: '(' and ')' are not supported in filter-pattern regular expressions")
    try:
        return re.compile(text)
    except re.error as exc:
        raise PatternError(f"{where}: not a regular expression ({exc})") from None


def _compare(actual: Any, op: str, value: _Value, where: str) -> bool:
    """One comparison of an event's value with a pattern value."""
    if value.regex:
        if not isinstance(actual, str | int | float) or isinstance(actual, bool):
            return False
        hit = _regex(value.text, where).search(str(actual)) is not None
        return hit if op == "=" else (not hit if op == "!=" else _bad_op(op, where))
    number = value.number()
    if op in ("<", "<=", ">", ">="):
        if number is None:
            raise PatternError(f"{where}: {op} needs a number, got {value.text!r}")
        got = _as_number(actual)
        if got is None:
            return False
        return {"<": got < number, "<=": got <= number, ">": got > number, ">=": got >= number}[op]
    if number is not None and not isinstance(actual, str):
        got = _as_number(actual)
        equal = got is not None and got == number
    elif isinstance(actual, bool) or actual is None or isinstance(actual, dict | list):
        equal = False
    else:
        equal = _glob(value.text).fullmatch(str(actual)) is not None
    return equal if op == "=" else not equal


def _check_op(op: str, value: _Value, where: str) -> None:
    """What CloudWatch refuses when the pattern is put: an order comparison with no number, a regex with one."""
    if op in ("<", "<=", ">", ">="):
        if value.regex:
            _bad_op(op, where)
        if value.number() is None:
            raise PatternError(f"{where}: {op} needs a number, got {value.text!r}")


def _bad_op(op: str, where: str) -> bool:
    raise PatternError(f"{where}: a regular expression is compared with = or != only, not {op}")


def _as_number(actual: Any) -> float | None:
    if isinstance(actual, bool):
        return None
    if isinstance(actual, int | float):
        return float(actual)
    if isinstance(actual, str):
        try:
            return float(actual)
        except ValueError:
            return None
    return None


# --- JSON patterns ------------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(
    r"""\s*(?:
        (?P<sel>\$(?:\.[A-Za-z0-9_\-@]+|\[\d+\]|\.\*)*)
      | (?P<op>&&|\|\||!=|<=|>=|=|<|>)
      | (?P<paren>[()])
      | (?P<kw>IS\s+NULL|IS\s+TRUE|IS\s+FALSE|NOT\s+EXISTS)\b
      | (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<re>%[^%]*%)
      | (?P<bare>[^\s()&|=!<>"]+)
    )""",
    re.VERBOSE,
)

_Node = Callable[[Any], bool]
_MISSING = object()


def _tokens(body: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        m = _JSON_TOKEN.match(body, pos)
        if m is None or m.end() == pos:
            raise PatternError(f"JSON pattern: cannot read {body[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _select(event: Any, selector: str) -> Any:
    current = event
    for part in re.findall(r"\.[^.\[]+|\[\d+\]", selector[1:]):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return _MISSING
            current = current[index]
        else:
            key = part[1:]
            if not isinstance(current, dict) or key not in current:
                return _MISSING
            current = current[key]
    return current


def _any_of(parts: tuple[_Node, ...]) -> _Node:
    return lambda e: any(p(e) for p in parts)


def _all_of(parts: tuple[_Node, ...]) -> _Node:
    return lambda e: all(p(e) for p in parts)


class _JsonParser:
    def __init__(self, body: str) -> None:
        self.toks = _tokens(body)
        self.i = 0
        self.regexes = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise PatternError("JSON pattern ends too early")
        self.i += 1
        return tok

    def parse(self) -> _Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise PatternError(f"JSON pattern: unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_expr(self) -> _Node:
        parts = [self.and_expr()]
        while self.peek() == ("op", "||"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else _any_of(tuple(parts))

    def and_expr(self) -> _Node:
        parts = [self.unary()]
        while self.peek() == ("op", "&&"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else _all_of(tuple(parts))

    def unary(self) -> _Node:
        kind, text = self.take()
        if (kind, text) == ("paren", "("):
            node = self.or_expr()
            if self.take() != ("paren", ")"):
                raise PatternError("JSON pattern: a '(' is not closed")
            return node
        if kind != "sel":
            raise PatternError(f"JSON pattern: expected a selector such as $.eventName, got {text!r}")
        selector = text
        kind, text = self.take()
        if kind == "kw":
            word = " ".join(text.split())
            return _keyword(selector, word)
        if kind != "op" or text in ("&&", "||"):
            raise PatternError(f"JSON pattern: expected a comparison after {selector}, got {text!r}")
        op = text
        vkind, vtext = self.take()
        if vkind == "str":
            value = _Value(json.loads(vtext), quoted=True)
        elif vkind == "re":
            self.regexes += 1
            value = _Value(vtext[1:-1], quoted=False, regex=True)
            _regex(value.text, selector)
        elif vkind == "bare":
            value = _Value(vtext, quoted=False)
        else:
            raise PatternError(f"JSON pattern: expected a value after {selector} {op}, got {vtext!r}")
        _check_op(op, value, selector)

        def compare(e: Any, s: str = selector, o: str = op, v: _Value = value) -> bool:
            actual = _select(e, s)
            return actual is not _MISSING and _compare(actual, o, v, s)

        return compare


def _keyword(selector: str, word: str) -> _Node:
    if word == "NOT EXISTS":
        return lambda e: _select(e, selector) is _MISSING
    if word == "IS NULL":
        return lambda e: _select(e, selector) is None
    wanted = word == "IS TRUE"
    return lambda e: _select(e, selector) is wanted


# --- space-delimited patterns -------------------------------------------------------------------------------

_COND = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(!=|<=|>=|=|<|>)\s*(.+?)\s*$", re.DOTALL)


@dataclass(frozen=True)
class _Field:
    name: str  # '...' for the ellipsis
    groups: tuple[tuple[tuple[str, str, _Value], ...], ...] = ()  # OR of ANDs of (field, op, value)


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, quote, start, i = [], 0, False, 0, 0
    while i < len(text):
        c = text[i]
        if c == '"' and (i == 0 or text[i - 1] != "\\"):
            quote = not quote
        elif not quote and c == "%":
            end = text.find("%", i + 1)
            i = end if end != -1 else i
        elif not quote and text.startswith(sep, i) and depth == 0:
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _value(raw: str) -> _Value:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return _Value(json.loads(raw), quoted=True)
    if len(raw) >= 2 and raw[0] == raw[-1] == "%":
        return _Value(raw[1:-1], quoted=False, regex=True)
    if not raw:
        raise PatternError("space-delimited pattern: a condition has no value")
    return _Value(raw, quoted=False)


def _parse_fields(body: str) -> list[_Field]:
    fields: list[_Field] = []
    for raw in _split_top(body, ","):
        raw = raw.strip()
        if raw == "...":
            fields.append(_Field("..."))
            continue
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", raw):
            fields.append(_Field(raw))
            continue
        groups = []
        for alt in _split_top(raw, "||"):
            conds = []
            for part in _split_top(alt, "&&"):
                m = _COND.match(part)
                if m is None:
                    raise PatternError(f"space-delimited pattern: cannot read the field {raw!r}")
                value = _value(m.group(3))
                _check_op(m.group(2), value, m.group(1))
                conds.append((m.group(1), m.group(2), value))
            groups.append(tuple(conds))
        names = {c[0] for g in groups for c in g}
        if len(names) != 1:
            raise PatternError(f"space-delimited pattern: {raw!r} must compare one field (it names {sorted(names)})")
        fields.append(_Field(names.pop(), tuple(groups)))
    named = [f.name for f in fields if f.name != "..."]
    if len(named) != len(set(named)):
        raise PatternError("space-delimited pattern: a field name is used twice")
    return fields


def split_event(message: str) -> list[str]:
    """The fields of a space-delimited event: runs of non-spaces, with `"..."` and `[...]` one field each."""
    out: list[str] = []
    i, n = 0, len(message)
    while i < n:
        c = message[i]
        if c.isspace():
            i += 1
            continue
        close = {'"': '"', "[": "]"}.get(c)
        if close is not None:
            end = message.find(close, i + 1)
            if end != -1:
                out.append(message[i + 1 : end])
                i = end + 1
                continue
        j = i
        while j < n and not message[j].isspace():
            j += 1
        out.append(message[i:j])
        i = j
    return out


def _align(fields: list[_Field], values: list[str]) -> dict[str, str] | None:
    """Named field -> its value, when the event's fields line up with the pattern's (ellipses absorb any)."""

    def go(fi: int, vi: int) -> dict[str, str] | None:
        if fi == len(fields):
            return {} if vi == len(values) else None
        f = fields[fi]
        if f.name == "...":
            for take in range(len(values) - vi + 1):
                rest = go(fi + 1, vi + take)
                if rest is not None:
                    return rest
            return None
        if vi >= len(values):
            return None
        if f.groups and not any(all(_compare(values[vi], op, v, f.name) for _n, op, v in g) for g in f.groups):
            return None
        rest = go(fi + 1, vi + 1)
        return None if rest is None else {f.name: values[vi], **rest}

    return go(0, 0)


# --- the three kinds together -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterPattern:
    """A parsed pattern; `matches` / `extract` judge one log event message."""

    text: str
    kind: str  # all | terms | regex | json | delimited
    _json: _Node | None = None
    _fields: tuple[_Field, ...] = ()
    _terms: tuple[tuple[str, str], ...] = ()  # (mode, term): mode '+', '-', '?'

    def extract(self, message: str) -> dict[str, Any] | None:
        """None when the event does not match; else the values a metric transformation can read: `$name` of a
        space-delimited pattern, `$.path` of a JSON event (the event itself under '$')."""
        if self.kind == "all":
            return {}
        if self.kind == "json":
            event = _json_event(message)
            if event is None or self._json is None or not self._json(event):
                return None
            return {"$": event}
        if self.kind == "delimited":
            got = _align(list(self._fields), split_event(message))
            return None if got is None else {f"${k}": v for k, v in got.items()}
        if self.kind == "regex":
            return {} if _regex(self._terms[0][1], self.text).search(message) else None
        plus = [t for m, t in self._terms if m == "+"]
        minus = [t for m, t in self._terms if m == "-"]
        anyof = [t for m, t in self._terms if m == "?"]
        ok = all(t in message for t in plus) and not any(t in message for t in minus)
        ok = ok and (not anyof or any(t in message for t in anyof))
        return {} if ok else None

    def matches(self, message: str) -> bool:
        return self.extract(message) is not None

    def value(self, message: str, expression: str) -> float | None:
        """The metric value `expression` ('1', '$bytes', '$.detail.size') gives for a matching event."""
        got = self.extract(message)
        if got is None:
            return None
        if not expression.startswith("$"):
            return float(expression)
        if expression.startswith("$.") and "$" in got:
            return _as_number(_select(got["$"], expression))
        return _as_number(got.get(expression))


def _json_event(message: str) -> Any:
    try:
        event = json.loads(message)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def parse(text: str) -> FilterPattern:
    """The pattern `text`, or PatternError naming what CloudWatch Logs would refuse."""
    try:
        return _parse(text)
    except (ValueError, RecursionError) as exc:  # an unbalanced quote or escape inside a term or value
        if isinstance(exc, PatternError):
            raise
        raise PatternError(f"a filter pattern with a malformed quoted string or escape: {text[:80]!r}") from exc


def _parse(text: str) -> FilterPattern:
    if not isinstance(text, str):
        raise PatternError(f"a filter pattern is a string, got {type(text).__name__}")
    if len(text) > MAX_PATTERN_LENGTH:
        raise PatternError(f"a filter pattern is at most {MAX_PATTERN_LENGTH} characters; this one has {len(text)}")
    body = text.strip()
    if not body:
        return FilterPattern(text, "all")
    if text.count("%") // 2 > MAX_REGEX_PER_PATTERN and not (body.startswith("%") and body.endswith("%")):
        raise PatternError(f"a filter pattern holds at most {MAX_REGEX_PER_PATTERN} regular expressions")
    if body.startswith("{"):
        if not body.endswith("}"):
            raise PatternError("a JSON pattern ends with '}'")
        parser = _JsonParser(body[1:-1])
        return FilterPattern(text, "json", _json=parser.parse())
    if body.startswith("["):
        if not body.endswith("]"):
            raise PatternError("a space-delimited pattern ends with ']'")
        return FilterPattern(text, "delimited", _fields=tuple(_parse_fields(body[1:-1])))
    if len(body) >= 2 and body.startswith("%") and body.endswith("%") and body.count("%") == 2:
        _regex(body[1:-1], "pattern")
        return FilterPattern(text, "regex", _terms=(("+", body[1:-1]),))
    terms: list[tuple[str, str]] = []
    for m in re.finditer(r'([?-]?)("(?:[^"\\]|\\.)*"|\S+)', body):
        mode, term = m.group(1) or "+", m.group(2)
        terms.append((mode, json.loads(term) if term.startswith('"') else term))
    return FilterPattern(text, "terms", _terms=tuple(terms))


def matches(pattern: str, message: str) -> bool:
    return parse(pattern).matches(message)


def check_samples(pattern: str, positive: list[str], negative: list[str]) -> list[str]:
    """What is wrong with `pattern` against samples it must match and must not: one line per problem."""
    try:
        parsed = parse(pattern)
    except PatternError as exc:
        return [str(exc)]
    out = [f"does not match {m[:120]!r}" for m in positive if not parsed.matches(m)]
    out += [f"matches {m[:120]!r}" for m in negative if parsed.matches(m)]
    return out
