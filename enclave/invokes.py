"""`--invokes FILE`: real answers to a program's invokes, recorded once (from `pulumi preview --json`, the AWS CLI,
the console) and replayed offline instead of placeholders.

The file is a JSON object: invoke token -> a list of answers, each `{"args": {...}, "result": {...}}` with
property names as the engine sends them (camelCase: `mostRecent`, `imageId`). An answer is used when each of its
`args` equals the invoke's argument of that name (no `args`: any call); the first that matches wins. A result
property the answer leaves out is answered with a placeholder, as an invoke without an answer is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.pulumi_internals import property_types

from .jsonfile import JsonFileError, read_json
from .project import ProjectError
from .shapes import result_class

TOKEN = re.compile(r"^[A-Za-z0-9_.-]+:[A-Za-z0-9_./-]+:[A-Za-z0-9_]+$")
EXAMPLE = (
    '{"aws:ec2/getAmi:getAmi": [{"args": {"mostRecent": true}, "result": {"id": "ami-0abc", "imageId": "ami-0abc"}}]}'
)
SHOWN_NAMES = 12


class InvokesFileError(ProjectError):
    """The --invokes file cannot be used (exit status 2): the message names the file, the entry and the fix."""


@dataclass
class RecordedInvokes:
    """The answers of an --invokes file, by token."""

    source: str
    answers: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = field(default_factory=dict)

    def answer(self, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
        for wanted, result in self.answers.get(token, []):
            if all(key in args and args[key] == value for key, value in wanted.items()):
                return dict(result)
        return None


def read_invokes(path: Path) -> RecordedInvokes:
    """The file's answers, every entry checked (token form, keys, result property names against the installed
    SDK's result type) before the program runs."""
    where = f"--invokes {path}"
    try:
        data = read_json(path)
    except JsonFileError as exc:
        raise InvokesFileError(f"{where}: {exc}") from None
    if not isinstance(data, dict):
        raise InvokesFileError(f"{where}: must be a JSON object of invoke token -> answers, e.g. {EXAMPLE}")
    recorded = RecordedInvokes(str(path))
    for token, entries in data.items():
        if not TOKEN.match(token):
            raise InvokesFileError(
                f"{where}: entry {token!r} is not an invoke token; tokens look like aws:ec2/getAmi:getAmi "
                "(package:module/function:function, as `pulumi preview --json` shows them)"
            )
        items = entries if isinstance(entries, list) else [entries]
        recorded.answers[token] = [_entry(where, token, i, item) for i, item in enumerate(items)]
    return recorded


def _entry(where: str, token: str, index: int, item: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    name = f"{where}: entry {token}[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("result"), dict):
        raise InvokesFileError(
            f'{name}: needs "result": {{...}}, the invoke\'s answer by property name, e.g. {EXAMPLE}'
        )
    extra = sorted(set(item) - {"args", "result"})
    if extra:
        raise InvokesFileError(f'{name}: unknown key {extra[0]!r}; an answer has "args" (optional) and "result"')
    args = item.get("args", {})
    if not isinstance(args, dict):
        raise InvokesFileError(
            f'{name}: "args" must be an object of argument name -> value (e.g. {{"mostRecent": true}})'
        )
    result: dict[str, Any] = item["result"]
    cls = result_class(token)
    if cls is not None:
        known = property_types(cls)
        for key in result:
            if key not in known:
                names = sorted(known)
                shown = ", ".join(names[:SHOWN_NAMES]) + (", ..." if len(names) > SHOWN_NAMES else "")
                raise InvokesFileError(
                    f"{name}: result.{key} is not a property of {token}'s result; its properties (engine names): "
                    f"{shown}"
                )
    return args, result
