"""Values of the right shape for any SDK class, read from the installed SDK's own type hints: the outputs of a
resource type enclave.fakes has no special answer for, and the result of an invoke it has no answer for.

Two styles. `realistic` values stand for what a created resource's provider computes (an update's outputs:
`<name>-<hash>` ids, private addresses, ARNs of the fake account), as enclave.fakes' own answers do. `marked`
values answer invokes no one recorded: each carries a mark enclave.placeholders finds again wherever the program
put it (see there), so a policy never decides on one as if it were real.
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import importlib
import inspect
import re
import typing
from dataclasses import dataclass
from typing import Any

import pulumi

from components.pulumi_internals import is_output_type, property_types, unwrap_type

from .fakes import digest

MAX_DEPTH = 6  # Kubernetes' schema types nest themselves (JSONSchemaProps); real outputs are shallower
# Base-class properties that are not outputs of the resource (the engine sets them).
NOT_OUTPUTS = frozenset({"id", "urn"})

# Marked placeholders: a string carries `placeholder-<8 hex>`; an address or CIDR lies in 198.18.0.0/15 (RFC 2544's
# benchmarking range, which no VPC or internet host uses) or 2001:db8::/32 (RFC 3849, documentation); a number
# lies in PLACEHOLDER_NUMBERS; a boolean is negative zero: falsy, as the SDK's result classes accept for a bool
# (`if x and not isinstance(x, bool)`), and the one falsy value whose mark survives the engine's wire.
MARK = "placeholder-"
MARK_RE = re.compile(r"placeholder-[0-9a-f]{8}")
PLACEHOLDER_NUMBERS = range(7_340_000, 7_350_000)
PLACEHOLDER_BOOL = -0.0


@dataclass(frozen=True)
class ResourceRef:
    """An output that is another resource (pulumi_eks' `eks_cluster`, awsx's `load_balancer`): a child a remote
    component's provider makes. enclave.synth registers a stand-in the SDK can rehydrate."""

    cls: type
    token: str
    name: str


@functools.cache
def resource_token(cls: type) -> str | None:
    """The type token a generated SDK class registers with (`aws:lb/loadBalancer:LoadBalancer`), read from its
    constructor's `super().__init__('<token>', ...)`."""
    for fn in (getattr(cls, "_internal_init", None), getattr(cls, "__init__", None)):
        try:
            source = inspect.getsource(fn) if fn is not None else ""
        except (OSError, TypeError):
            continue
        found = re.search(r"__init__\(\s*['\"]([\w.-]+:[\w./-]+:\w+)['\"]", source)
        if found:
            return found[1]
    return None


@dataclass(frozen=True)
class Context:
    """What a placeholder is for: the resource type or invoke token, the name or args digest, the account."""

    token: str
    name: str
    region: str
    account: str
    partition: str = "aws"

    @property
    def service(self) -> str:
        module = self.token.split(":")[1] if self.token.count(":") >= 2 else "index"
        return module.split("/")[0].lower().replace("index", "resource")

    @property
    def kind(self) -> str:
        """`ami` for aws:ec2/getAmi:getAmi, `instance` for aws:ec2/instance:Instance."""
        short = self.token.rsplit(":", 1)[-1]
        return (short[3:] if short.startswith("get") and short[3:4].isupper() else short).lower() or "value"


def _words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)]


def _string(name: str, ctx: Context, path: str, marked: bool) -> str:
    words = _words(name)
    last = words[-1] if words else ""
    h = digest(ctx.token, ctx.name, path, length=8)
    n = int(h, 16)
    tag = f"{MARK}{h}" if marked else f"{ctx.name}-{h[:7]}"
    if last == "arn":
        return f"arn:{ctx.partition}:{ctx.service}:{ctx.region}:{ctx.account}:{ctx.kind}/{tag}"
    if "cidr" in words or "cidrs" in words:
        if "ipv6" in words:
            return f"2001:db8:{n % 0xFFFF:x}::/56" if marked else f"fd00:{n % 0xFFFF:x}::/56"
        return f"198.{18 + n % 2}.{n % 256}.0/24" if marked else f"10.{n % 256}.0.0/16"
    if "ip" in words or "ipv4" in words or name.lower() in ("address", "ipaddress"):
        a, b = n % 256, (n >> 8) % 254 + 1
        return f"198.{18 + n % 2}.{a}.{b}" if marked else f"10.{n % 256}.{a}.{b}"
    if "ipv6" in words:
        return f"2001:db8::{n % 0xFFFF:x}" if marked else f"fd00::{n % 0xFFFF:x}"
    if last in ("url", "uri"):
        return f"https://{tag}.example.invalid" if marked else f"https://{tag}.example.com"
    if last in ("hostname", "host", "dns", "endpoint", "domain", "fqdn") or "dns" in words:
        return f"{tag}.example.invalid" if marked else f"{tag}.{ctx.region}.example.com"
    if last in ("json", "policy", "document"):
        return f'{{"Version": "2012-10-17", "Id": "{tag}", "Statement": []}}'
    if last == "id" or name == "id":
        return f"{ctx.kind}-{tag}" if marked else tag
    return tag


def _number(ctx: Context, path: str, marked: bool, floating: bool) -> int | float:
    h = int(digest(ctx.token, ctx.name, path, length=8), 16)
    value = PLACEHOLDER_NUMBERS.start + h % len(PLACEHOLDER_NUMBERS) if marked else 1
    return value + 0.5 if floating and marked else value


def value_of(typ: Any, name: str, ctx: Context, path: str, marked: bool, depth: int = 0) -> Any:
    """A value of type `typ` for the property `name` at `path`; None where nothing of that type can be made
    offline (a resource reference, an asset, Any)."""
    typ = unwrap_type(typ)
    origin = typing.get_origin(typ)
    args = typing.get_args(typ)
    if origin is typing.Union:
        members = [a for a in args if a is not type(None)]
        return value_of(members[0], name, ctx, path, marked, depth) if members else None
    if origin is typing.Literal:
        return args[0] if args else None
    if origin in (list, tuple, collections.abc.Sequence, typing.Sequence):
        if depth >= MAX_DEPTH or not args:
            return []
        return [value_of(args[0], name, ctx, f"{path}.0", marked, depth + 1)]
    if origin in (dict, collections.abc.Mapping, typing.Mapping):
        return {}
    if typ is bool:
        return PLACEHOLDER_BOOL if marked else False
    if typ is int:
        return _number(ctx, path, marked, floating=False)
    if typ is float:
        return _number(ctx, path, marked, floating=True)
    if typ is str:
        return _string(name, ctx, path, marked)
    if isinstance(typ, type) and issubclass(typ, enum.Enum):
        first = next(iter(typ), None)
        return first.value if first is not None else None
    if is_output_type(typ) or _is_result_type(typ):
        return {} if depth >= MAX_DEPTH else object_of(typ, ctx, path, marked, depth + 1)
    if isinstance(typ, type) and issubclass(typ, pulumi.Resource) and not marked:
        token = resource_token(typ)  # type: ignore[arg-type]
        return ResourceRef(typ, token, f"{ctx.name}-{path.replace('.', '-')}") if token else None
    return None


def object_of(
    cls: type, ctx: Context, path: str, marked: bool, depth: int = 0, skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Every property of an output type / result class / resource class, by engine name (None values left out)."""
    out: dict[str, Any] = {}
    for key, typ in _safe_types(cls).items():
        if key in skip:
            continue
        value = value_of(typ, key, ctx, f"{path}.{key}" if path else key, marked, depth)
        if value is not None:
            out[key] = value
    return out


def _is_result_type(typ: Any) -> bool:
    """An invoke's result class (`GetVpcResult`): a plain class of `@pulumi.getter` properties."""
    return isinstance(typ, type) and typ.__name__.endswith("Result") and bool(_safe_types(typ))


_TYPES: dict[type, dict[str, Any]] = {}


def _safe_types(cls: type) -> dict[str, Any]:
    """The class's property types, read once and kept (a class whose hints do not resolve has no shape we read)."""
    found = _TYPES.get(cls)
    if found is None:
        try:
            found = property_types(cls)
        except Exception:
            found = {}
        _TYPES[cls] = found
    return found


def prepare(cls: type, depth: int = 0) -> None:
    """Read the types of `cls` and of every class its outputs name, now: called as the program constructs a
    resource (enclave.synth's transformation), so the outputs are later made without reading any SDK module.
    The SDKs load their modules lazily, and a load must never interleave with the SDK's own (the engine's RPC
    phase runs in other threads and in callbacks of the program's event loop)."""
    if cls in _TYPES or depth > MAX_DEPTH:
        return
    if depth == 0 and issubclass(cls, pulumi.Resource):
        _input_names(cls)
    for typ in _safe_types(cls).values():
        for inner in _classes_in(typ):
            prepare(inner, depth + 1)


def _classes_in(typ: Any) -> list[type]:
    typ = unwrap_type(typ)
    args = typing.get_args(typ)
    if args:
        return [c for a in args for c in _classes_in(a)]
    if isinstance(typ, type) and (is_output_type(typ) or issubclass(typ, pulumi.Resource)):
        return [typ]
    return []


_INPUTS: dict[type, frozenset[str]] = {}


def _input_names(cls: type) -> frozenset[str]:
    """The properties a resource takes as inputs (the parameters of its constructor, `api_version` for
    `apiVersion`): an input the program left out is the provider's default, not a value it computes, so it is not
    made up."""
    found = _INPUTS.get(cls)
    if found is None:
        init: Any = getattr(cls, "_internal_init", None) or getattr(cls, "__init__", None)
        try:
            params = {p.replace("_", "").lower() for p in inspect.signature(init).parameters}
        except (TypeError, ValueError):
            params = set()
        found = frozenset(k for k in _safe_types(cls) if k.replace("_", "").lower() in params)
        _INPUTS[cls] = found
    return found


def resource_outputs(cls: type, ctx: Context, given: collections.abc.Mapping[str, Any]) -> dict[str, Any]:
    """The outputs a created resource of class `cls` computes (its properties that are not inputs) that `given`
    (its inputs and the fakes' answers) lacks, as realistic values."""
    out: dict[str, Any] = {}
    inputs = _input_names(cls)
    for key, typ in _safe_types(cls).items():
        if key in NOT_OUTPUTS or key in given or key in inputs:
            continue
        value = value_of(typ, key, ctx, key, marked=False)
        if value is not None:
            out[key] = value
    return out


def result_class(token: str) -> type | None:
    """The result class of an invoke, found the way the SDKs are generated: `aws:ec2/getAmi:getAmi` ->
    pulumi_aws.ec2.GetAmiResult (`index` is the package itself)."""
    parts = token.split(":")
    if len(parts) != 3:
        return None
    package, module, function = parts
    module_path = (
        [m for m in module.split("/")[:-1] if m != "index"]
        if "/" in module
        else ([] if module == "index" else [module])
    )
    names = [f"pulumi_{package.replace('-', '_')}", *(m.replace("-", "_").replace(".", "_") for m in module_path)]
    candidates = [".".join(names[: i + 1]) for i in range(len(names))][::-1]
    wanted = function[:1].upper() + function[1:] + "Result"
    for name in candidates:
        try:
            found = getattr(importlib.import_module(name), wanted, None)
        except ImportError:
            continue
        if isinstance(found, type):
            return found
    return None


def invoke_placeholder(token: str, args: collections.abc.Mapping[str, Any], ctx: Context) -> dict[str, Any] | None:
    """A marked answer for an invoke of `token`: every property of its result class, except those that echo an
    argument of the same name (a data source returns what it was asked for: `get_vpc(default=True).default`).
    None when the SDK that defines the invoke is not installed."""
    cls = result_class(token)
    if cls is None:
        return None
    out = object_of(cls, ctx, "", marked=True, skip=frozenset(args))
    for key, value in args.items():
        if key in property_types(cls):
            out[key] = value
    return out
