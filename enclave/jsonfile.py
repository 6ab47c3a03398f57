"""Reading a JSON file a user names on the command line: what is wrong with it, in one phrase."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class JsonFileError(Exception):
    """The file cannot be read as JSON; the message says why ('no such file', 'is a folder, not a JSON file',
    'not valid JSON (...)'), for the caller to put after the option and path it names."""


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JsonFileError("no such file") from None
    except IsADirectoryError:
        raise JsonFileError("is a folder, not a JSON file") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonFileError(f"not valid JSON ({exc})") from None
