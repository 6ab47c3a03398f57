"""Validate raw stack config into a PlatformConfig, turning every failure into named Problems."""

from __future__ import annotations

import difflib
import json
import os
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pydantic import BaseModel, ValidationError

from .duplicates import duplicate_problems
from .errors import CONFIG_KEY, ConfigError, Loc, Problem
from .names import name_problems
from .platform import PlatformConfig
from .references import check_references
from .stackfile import OFFLINE_SECRET, StackFile, check_yaml_limits, config_lines, read_stack_file

_DISCRIMINATED = ("network", "cluster")


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _model_args(tp: Any) -> list[type[BaseModel]]:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _model_args(a)]
    return []


def _walk(loc: Loc, root: type[BaseModel] = PlatformConfig) -> tuple[Loc, type[BaseModel] | None]:
    """Drop pydantic's union-tag elements from `loc`; also return the model its last key belongs to."""
    clean: list[str | int] = []
    tp: Any = root
    owner: type[BaseModel] | None = None
    for part in loc:
        models = _model_args(tp) if tp is not None else []
        inner = _unwrap(tp) if tp is not None else None
        if len(models) > 1 and isinstance(part, str):
            # A discriminated union (network, cluster): pydantic puts the tag value into the path.
            tp = next((m for m in models if repr(part) in repr(m.model_fields["mode"].annotation)), None)
            continue
        clean.append(part)
        owner = None
        if len(models) == 1 and isinstance(part, str):
            owner = models[0]
            field = _field(owner, part)
            tp = owner.model_fields[field].annotation if field else None
        elif inner is not None and typing.get_origin(inner) is list and isinstance(part, int):
            tp = typing.get_args(inner)[0]
        elif inner is not None and typing.get_origin(inner) is dict:
            tp = typing.get_args(inner)[1]
        else:
            tp = None
    return tuple(clean), owner


def _field(model: type[BaseModel], key: str) -> str | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return name
    return None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _problem_from_error(err: dict[str, Any], root: type[BaseModel] = PlatformConfig) -> Problem:
    loc, owner = _walk(tuple(err["loc"]), root)
    kind = err["type"]
    msg = err["msg"]
    value = err.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        if owner is not None:
            allowed = _allowed_keys(owner)
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            msg = f"unknown key{hint}; allowed keys here: {', '.join(allowed)}"
        else:
            msg = "unknown key"
        return Problem(loc, msg, value)
    if kind == "missing":
        return Problem(loc, "required field is missing")
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        tag = value.get("mode") if isinstance(value, dict) else value
        return Problem((*loc, "mode"), "mode must be 'create' or 'existing'", tag)
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        return Problem(loc, _quote_hint(loc, value), value)
    if value == OFFLINE_SECRET:
        return Problem(loc, "takes a plain value, not a `secure:` one (this field is not a secret)", value)
    if kind in STRICT_TYPES:  # the schema is strict: nothing is coerced, so say what to write instead
        return Problem(loc, STRICT_TYPES[kind], value)
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "literal_error" and "expected" in err.get("ctx", {}):
        msg = f"must be one of {err['ctx']['expected']}"
    elif kind == "string_pattern_mismatch":
        msg = f"does not have the expected form (pattern {err['ctx']['pattern']})"
    return Problem(loc, msg, value)


STRICT_TYPES = {
    "int_type": "must be a whole number, written as one (e.g. 2, not true, '2' or 2.0): nothing is converted",
    "int_from_float": "must be a whole number, written as one (e.g. 2, not 2.5)",
    "bool_type": "must be true or false, written as such (not 'yes', 'on', 1 or a quoted 'true'): nothing is converted",
    "float_type": "must be a number, written as one (not a quoted string or true/false)",
}


def _quote_hint(loc: Loc, value: float) -> str:
    """YAML turned a value the user wrote as text into a number: say so, and how to keep it text."""
    if isinstance(value, float):
        return (
            f"must be text, but YAML read it as the number {value!r} (an unquoted 1.30 becomes 1.3): quote it, "
            f'e.g. "{value}0" or "{value}"'
        )
    digits = str(value)
    hint = " (and leading zeros are lost)" if loc and loc[-1] == "account_id" and len(digits) < 12 else ""
    example = digits.zfill(12) if hint else digits
    return f'must be text, but YAML read it as the number {value}{hint}: quote it, e.g. "{example}"'


def validate_platform(data: Any, source: str | None = None, lines: dict[Loc, int] | None = None) -> PlatformConfig:
    """Validate `data` (the decoded `gpu-enclave:platform` object) or raise ConfigError with every problem."""
    if data is None:
        raise ConfigError(
            [Problem((), f"missing: set it in {source or 'the stack file'} under config: {CONFIG_KEY}")], source
        )
    if not isinstance(data, dict):
        shown = {str: "a string", int: "a number", float: "a number", bool: "true/false", list: "a list"}
        kind = shown.get(type(data), type(data).__name__)
        raise ConfigError([Problem((), f"must be a mapping of settings (environment, region, ...), got {kind}", data)],
                          source)  # fmt: skip
    try:
        cfg = PlatformConfig.model_validate(data)
    except ValidationError as exc:
        problems = [_problem_from_error(dict(e)) for e in exc.errors(include_url=False)]
        raise ConfigError(_with_lines(problems, lines), source) from None
    problems = check_references(cfg) + duplicate_problems(cfg) + name_problems(cfg)
    if problems:
        raise ConfigError(_with_lines(problems, lines), source)
    return cfg


def _with_lines(problems: list[Problem], lines: dict[Loc, int] | None) -> list[Problem]:
    if not lines:
        return problems
    out = []
    for p in problems:
        loc = p.loc
        # A missing field has no line of its own: point at the object that should hold it.
        while loc and loc not in lines:
            loc = loc[:-1]
        out.append(Problem(p.loc, p.message, p.value, lines.get(loc)))
    return out


# Set by `enclave synth --config-file` so messages cite the file that was really read.
STACK_FILE_ENV = "ENCLAVE_STACK_FILE"


def stack_file(stack: str, project_dir: Path) -> Path:
    """The running stack's file: the one the offline engine read, else `<stackConfigDir>/Pulumi.<stack>.yaml`
    of the project in `project_dir` (stackConfigDir from its Pulumi.yaml, default: beside it)."""
    override = os.environ.get(STACK_FILE_ENV)
    if override:
        return Path(override)
    stack_dir = project_dir
    try:
        text = (project_dir / "Pulumi.yaml").read_text(encoding="utf-8")
        check_yaml_limits(text)
        meta = yaml.safe_load(text)
        if isinstance(meta, dict) and isinstance(meta.get("stackConfigDir"), str):
            stack_dir = project_dir / meta["stackConfigDir"]
    except (OSError, yaml.YAMLError, UnicodeDecodeError, ValueError):
        pass  # no readable project file: messages cite the default path
    return stack_dir / f"Pulumi.{stack}.yaml"


def _display(path: Path, project_dir: Path) -> str:
    try:
        return str(path.resolve().relative_to(project_dir.resolve()))
    except ValueError:
        return str(path)


def load_platform_config(project_dir: Path | None = None) -> PlatformConfig:
    """Read and validate `gpu-enclave:platform` of the running stack (real engine or enclave mocks)."""
    project_dir = project_dir or Path.cwd()
    path = stack_file(pulumi.get_stack(), project_dir)
    source = _display(path, project_dir) if path.exists() else None
    lines = config_lines(path) if path.exists() else None
    raw = pulumi.Config("gpu-enclave").get("platform")
    if raw is None:
        raise ConfigError(
            [Problem((), f"missing: set it in {source or 'the stack file'} under config: {CONFIG_KEY}")], source
        )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        data = raw  # a scalar in the stack file: validate_platform says what it should be
    cfg = validate_platform(data, source, lines)
    _check_aws_region(cfg, pulumi.Config("aws").get("region"), source, lines)
    return cfg


def _check_aws_region(cfg: PlatformConfig, region: Any, source: str | None, lines: dict[Loc, int] | None) -> None:
    if region is not None and region != cfg.region:
        raise ConfigError(
            [
                Problem(
                    ("region",),
                    f"contradicts aws:region = {region!r}; set both to the same region",
                    cfg.region,
                    (lines or {}).get(("region",)),
                )
            ],
            source,
        )


def validate_stack_file(stack_file: StackFile, source: str | None = None) -> PlatformConfig:
    """The platform config of a parsed stack file, checked as the program checks it (schema, cross-field rules,
    agreement with aws:region) without running it."""
    cfg = validate_platform(stack_file.config.get(CONFIG_KEY), source, stack_file.lines)
    _check_aws_region(cfg, stack_file.config.get("aws:region"), source, stack_file.lines)
    return cfg


M = typing.TypeVar("M", bound=BaseModel)


def _running_key(key: str) -> str:
    """`bucket` -> `<project>:bucket` (pulumi.Config's namespace); a key with a namespace stays as it is."""
    return key if ":" in key else f"{pulumi.get_project()}:{key}"


def _key_context(full_key: str, project_dir: Path | None) -> tuple[str | None, dict[Loc, int]]:
    """(the stack file as the user knows it, that key's config-path lines), for messages."""
    folder = project_dir or Path.cwd()
    path = stack_file(pulumi.get_stack(), folder)
    if not path.exists():
        return None, {}
    try:
        parsed = read_stack_file(path)
    except ConfigError:
        return _display(path, folder), {}
    return _display(path, folder), parsed.key_lines.get(full_key, {})


def config_value(key: str, *, project_dir: Path | None = None) -> str:
    """A required scalar of this stack's config (`oidcIssuerUrl` or `aws:region`); ConfigError naming the
    stack file when it is not set."""
    full = _running_key(key)
    namespace, _, name = full.partition(":")
    value = pulumi.Config(namespace).get(name)
    if value is None:
        source, _ = _key_context(full, project_dir)
        raise ConfigError(
            [Problem((), f"missing: set it in {source or 'the stack file'} under config: {full}", root=full)],
            source,
        )
    return value


def config_object(
    key: str, model: type[M], *, project_dir: Path | None = None, check: Callable[[M], list[Problem]] | None = None
) -> M:
    """A structured value of this stack's config (`bucket`, `<project>:identity`), validated by `model` with the
    same messages the platform's stacks get: file and line, config path, the value, and the fix.

    For a consumer program: `bucket = config_object("bucket", Bucket)` instead of
    `Bucket.model_validate(pulumi.Config().require_object("bucket"))`. `check` adds cross-field rules: the
    problems it returns are reported like the model's (paths under the key, file and line)."""
    full = _running_key(key)
    raw = config_value(full, project_dir=project_dir)
    source, lines = _key_context(full, project_dir)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        data = raw  # a scalar: the model says what it wanted instead
    if data == OFFLINE_SECRET or raw == OFFLINE_SECRET:
        raise ConfigError([Problem((), "takes a plain value, not a `secure:` one", root=full)], source)
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem_from_error(dict(e), model) for e in exc.errors(include_url=False)]
        problems = [Problem(p.loc, p.message, p.value, root=full) for p in problems]
        located = [Problem(p.loc, p.message, p.value, p.line, full) for p in _with_lines(problems, lines)]
        raise ConfigError(located, source) from None
    problems = check(value) if check is not None else []
    if problems:
        problems = [Problem(p.loc, p.message, p.value, root=full) for p in problems]
        raise ConfigError([Problem(p.loc, p.message, p.value, p.line, full) for p in _with_lines(problems, lines)],
                          source)  # fmt: skip
    return value
