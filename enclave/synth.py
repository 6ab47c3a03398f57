"""The offline synth engine: run the real Pulumi program in-process under mocks and capture
every resource registration exactly as the engine would hand it to a policy pack."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import json
import os
import runpy
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pulumi
from google.protobuf import json_format, struct_pb2

from components.config import CONFIG_KEY, ConfigError, read_stack_file
from components.config.loading import STACK_FILE_ENV
from components.pulumi_internals import (
    RESOURCE_SIG,
    SECRET_SIG_KEY,
    UNKNOWN,
    ensure_event_loop,
    run_pulumi_func,
    whole_numbers,
)
from components.pulumi_internals import mocks as pulumi_mocks
from components.pulumi_internals import settings as pulumi_settings
from components.pulumi_internals import sync_await as _sync_await

from .fakes import AUTONAMED, DEFAULT_ACCOUNT_ID, FakeCloud
from .invokes import RecordedInvokes
from .placeholders import marked_paths
from .program import ProgramError, describe
from .project import ProjectError, StackNotFound, find_project
from .references import resolve_reference
from .secrets import Redactor, plaintexts, wrap
from .shapes import Context, ResourceRef, prepare, resource_outputs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCE_KEYS = (
    "urn",
    "type",
    "name",
    "parent",
    "custom",
    "provider",
    "inputs",
    "dependencies",
    "propertyDependencies",
    "source",
    "placeholders",
)
# Frames that are not the program's own line: the SDKs, the engine, the components a program builds on.
NOT_PROGRAM = (
    str(Path(pulumi.__file__).resolve().parent.parent),
    str(Path(sysconfig.get_paths()["stdlib"]).resolve()),
    str(Path(__file__).resolve().parent),
    str(PROJECT_ROOT / "components"),
)


@dataclass
class SynthResult:
    """The synth contract: what `enclave synth` writes as JSON."""

    stack: str
    project: str
    preview: bool
    resources: list[dict[str, Any]] = field(default_factory=list)
    # The stack's outputs (`pulumi.export`): what another stack's StackReference reads.
    outputs: dict[str, Any] = field(default_factory=dict)
    # Invokes answered with a placeholder (token -> calls) and from the --invokes file (token -> calls).
    placeholder_invokes: dict[str, int] = field(default_factory=dict)
    recorded_invokes: dict[str, int] = field(default_factory=dict)
    # Plaintexts of the run's secrets (secret config included): never written (enclave.secrets).
    secret_texts: set[str] = field(default_factory=set)
    # Components of other packages (pulumi_eks, pulumi_awsx, Helm Chart v4): type -> count. Their providers make
    # their children at deploy time, so offline (and to the pack) they are their inputs only.
    remote_components: dict[str, int] = field(default_factory=dict)

    def redactor(self) -> Redactor:
        return Redactor(self.secret_texts | plaintexts(self.resources) | plaintexts(self.outputs))

    def to_json(self) -> dict[str, Any]:
        redact = self.redactor()
        out: dict[str, Any] = {
            "stack": self.stack,
            "project": self.project,
            "preview": self.preview,
            "resources": redact(self.resources),
            "outputs": redact(self.outputs),
        }
        if self.placeholder_invokes or self.recorded_invokes:
            out["invokes"] = {"placeholders": self.placeholder_invokes, "recorded": self.recorded_invokes}
        if self.remote_components:
            out["remoteComponents"] = self.remote_components
        return out

    def by_type(self, typ: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == typ]

    def by_urn(self) -> dict[str, dict[str, Any]]:
        return {r["urn"]: r for r in self.resources}


class _Mocks(pulumi_mocks.Mocks):
    def __init__(self, cloud: FakeCloud, preview: bool) -> None:
        self.cloud = cloud
        self.preview = preview
        # The SDK class of each type token the program constructed (recorded as it constructs them): where a
        # type's output properties and their types are read from.
        self.classes: dict[str, type] = {}
        self.monitor: pulumi_mocks.MockMonitor | None = None
        # types registered as components of other packages (remote): their outputs come from the monitor
        self.remote_types: set[str] = set()
        # the region of each AWS provider instance the program made, by its id: a second region's resources
        # (replicas) get ARNs and invoke answers of that region
        self.provider_regions: dict[str, str] = {}

    def record_class(self, args: pulumi.ResourceTransformationArgs) -> None:
        if args.type_ not in self.classes:
            self.classes[args.type_] = type(args.resource)
            prepare(type(args.resource))

    def _cloud(self, provider: str | None, inputs: dict[str, Any]) -> FakeCloud:
        """The fake cloud of the region a resource (or invoke) is in: its own `region` input (pulumi-aws 7), else
        its provider's, else the stack's."""
        region = inputs.get("region")
        if not isinstance(region, str) or not region:
            region = self.provider_regions.get((provider or "").rsplit("::", 1)[-1], self.cloud.region)
        return self.cloud if region == self.cloud.region else dataclasses.replace(self.cloud, region=region)

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        cloud = self._cloud(args.provider, dict(args.inputs))
        _id, outputs = cloud.outputs(args.typ, args.name, dict(args.inputs))
        region = args.inputs.get("region")
        if args.typ == "pulumi:providers:aws" and isinstance(region, str) and _id:
            self.provider_regions[_id] = region
        # A referenced stack exists already: its outputs are known in a first preview too.
        exists = args.typ.startswith("pulumi:providers:") or args.typ == "pulumi:pulumi:StackReference"
        cls = self.classes.get(args.typ)
        # A component of this program keeps the outputs it registers itself; the SDK ignores the monitor's answer.
        local_component = not args.custom and args.typ not in self.remote_types
        if cls is not None and not exists and not local_component:
            # Every other output of the type, from the SDK's type hints: an update's realistic values, unknown
            # in a first preview (below), so a program's `.apply` over `status.load_balancer.ingress[0]` runs.
            ctx = Context(args.typ, args.name, cloud.region, cloud.account_id, cloud.partition)
            outputs.update(self.cloud.in_program_thread(lambda: self._references(resource_outputs(cls, ctx, outputs))))
        if self.preview and not exists:
            # A first preview: nothing exists yet, so the id and every computed output are unknown, nested
            # ones included (an EKS cluster's vpcConfig.clusterSecurityGroupId); the inputs come back as given,
            # and so does the auto-name the provider's Check assigns, as the engine's preview of a create does.
            known = dict(args.inputs)
            autoname = AUTONAMED.get(args.typ)
            if autoname is not None and autoname in outputs:
                known[autoname] = outputs[autoname]
            return "", _unknown_computed(known, outputs)
        return _id, outputs

    def _references(self, value: Any) -> Any:
        """`value` with each ResourceRef registered as a stand-in (its own typed outputs) and referenced as the
        engine references a resource, so the SDK rehydrates it as the class the output names."""
        if isinstance(value, dict):
            return {k: self._references(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._references(v) for v in value]
        if not isinstance(value, ResourceRef) or self.monitor is None:
            return value
        urn = self.monitor.make_urn("", value.token, value.name)
        ctx = Context(value.token, value.name, self.cloud.region, self.cloud.account_id, self.cloud.partition)
        rid, state = self.cloud.outputs(value.token, value.name, {})
        state.update(self._references(resource_outputs(value.cls, ctx, state)))
        self.monitor.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, rid, state)
        return {SECRET_SIG_KEY: RESOURCE_SIG, "urn": urn, "id": rid}

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return self._cloud(args.provider, dict(args.args)).invoke(args.token, dict(args.args)), []


def _unknown_computed(inputs: Any, outputs: Any) -> Any:
    """`outputs` with every value the inputs did not give replaced by the unknown sentinel."""
    if isinstance(outputs, dict):
        given = inputs if isinstance(inputs, dict) else {}
        return {k: _unknown_computed(given[k], v) if k in given else UNKNOWN for k, v in outputs.items()}
    return inputs


class _CapturingMonitor(pulumi_mocks.MockMonitor):
    """Records each RegisterResource request (inputs, parent, deps) before answering it."""

    def __init__(self, mocks: _Mocks, root: Path | None = None) -> None:
        super().__init__(mocks)
        self.cloud = mocks.cloud
        self.root = root
        self.fakes = mocks
        mocks.monitor = self
        self.captured: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.thread_loops: set[asyncio.AbstractEventLoop] = set()

    def _track_loop(self) -> None:
        # The mock monitor runs in executor threads and gives each its own event loop; keep them so
        # they can be closed with the run instead of being torn down noisily by the garbage collector.
        loop = ensure_event_loop()
        with self._lock:
            self.thread_loops.add(loop)

    def Invoke(self, request: Any) -> Any:
        self._track_loop()
        return super().Invoke(request)

    def RegisterResource(self, request: Any) -> Any:
        self._track_loop()
        if request.type != "pulumi:pulumi:Stack":
            inputs = json_format.MessageToDict(request.object) if request.object else {}
            for name in request.additionalSecretOutputs:
                if name in inputs:  # the output of that name is secret, and so is the input it echoes
                    inputs[name] = wrap(inputs[name])
            record = {
                "urn": self.make_urn(request.parent, request.type, request.name),
                "type": request.type,
                "name": request.name,
                "parent": request.parent,
                "custom": bool(request.custom),
                "provider": request.provider,
                "inputs": whole_numbers(inputs),
                "dependencies": sorted(set(request.dependencies)),
                "propertyDependencies": {
                    key: sorted(set(deps.urns)) for key, deps in sorted(request.propertyDependencies.items())
                },
                "source": self.source(request),
                # inputs holding an invoke's placeholder (read before whole_numbers: a boolean one is -0.0)
                "placeholders": marked_paths(inputs) if self.cloud.placeholder_invokes else {},
            }
        if request.remote:
            self.fakes.remote_types.add(request.type)
            # A component of another package takes resources as inputs, sent as references; the mock monitor would
            # rehydrate them in its worker thread, whose event loop never runs the lookup that needs: a hang. The
            # fakes need only the referenced resource's id (or URN).
            stripped = type(request)()
            stripped.CopyFrom(request)
            stripped.object.CopyFrom(_without_references(request.object))
            request = stripped
        response = super().RegisterResource(request)
        if request.additionalSecretOutputs and response.object:
            # The engine makes the outputs the registration names secret (the mock monitor does not): so does this,
            # so an export or an input made from one is a secret too (RandomPassword's result, a DB's password).
            answered = json_format.MessageToDict(response.object)
            for name in request.additionalSecretOutputs:
                if name in answered:
                    answered[name] = wrap(answered[name])
            response.object.Clear()
            response.object.update(answered)
        if request.type != "pulumi:pulumi:Stack":
            # The engine hands analyzers the inputs after the provider's Check, which fills in the auto-name.
            autoname = AUTONAMED.get(request.type)
            if autoname is not None and autoname not in record["inputs"]:
                outputs = json_format.MessageToDict(response.object) if response.object else {}
                if autoname in outputs:
                    record["inputs"][autoname] = outputs[autoname]
            with self._lock:
                self.captured.append(record)
                if request.remote:
                    remote = self.cloud.remote_components
                    remote[request.type] = remote.get(request.type, 0) + 1
        return response

    def source(self, request: Any) -> dict[str, Any] | None:
        """The program's line that made the resource: the first frame of the stack the SDK sends with the
        registration that is neither the SDK's, the engine's nor the components' (a consumer of the components
        sees their own call)."""
        for frame in request.stackTrace.frames:
            if not frame.pc.uri.startswith("file:"):
                continue
            path = unquote(urlparse(frame.pc.uri).path)
            if path.startswith(NOT_PROGRAM) or "site-packages" in path or path.startswith("<"):
                continue
            shown = Path(path)
            if self.root is not None and shown.is_relative_to(self.root):
                shown = shown.relative_to(self.root)
            return {"file": shown.as_posix(), "line": frame.pc.line}
        return None


MAX_REFERENCES = 8


def _without_references(struct: struct_pb2.Struct) -> struct_pb2.Struct:
    """`struct` with each resource reference replaced by the referenced resource's id (its URN without one)."""
    data = json_format.MessageToDict(struct)

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get(SECRET_SIG_KEY) == RESOURCE_SIG:
                return value.get("id") or value.get("urn")
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    out = struct_pb2.Struct()
    out.update(strip(data))
    return out


def _exports() -> dict[str, Any]:
    """The root stack's exports, resolved; a value not known yet (a first preview) is the unknown sentinel.
    Under mocks the root stack registers its outputs before the program runs, so they are read off it."""
    root = pulumi_settings.get_root_resource()
    out: dict[str, Any] = {}
    for name, value in sorted(getattr(root, "outputs", {}).items()):
        output = pulumi.Output.from_input(value)
        known = _sync_await(output.is_known())
        out[name] = (
            whole_numbers(json.loads(json.dumps(_sync_await(output.future()), default=str))) if known else UNKNOWN
        )
        if _sync_await(output.is_secret()):
            out[name] = wrap(out[name])
    return out


def _ordered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents before children, siblings by URN: registration order is racy, this is not."""
    children: dict[str, list[dict[str, Any]]] = {}
    urns = {r["urn"] for r in records}
    for r in records:
        parent = r["parent"] if r["parent"] in urns else ""
        children.setdefault(parent, []).append(r)
    out: list[dict[str, Any]] = []
    stack = sorted(children.get("", []), key=lambda r: r["urn"], reverse=True)
    while stack:
        r = stack.pop()
        out.append(r)
        stack.extend(sorted(children.get(r["urn"], []), key=lambda c: c["urn"], reverse=True))
    return out


def _forget_program_modules(project_dir: Path, before: set[str]) -> None:
    """Drop the modules the program imported from its own folder (`helpers`, `infra.sizes`): the next program run
    in this process may have modules of the same names. The engine's and the components' stay."""
    for name in set(sys.modules) - before:
        file = getattr(sys.modules.get(name), "__file__", None) or ""
        if file.startswith(str(project_dir)) and not file.startswith(NOT_PROGRAM):
            sys.modules.pop(name, None)


@contextlib.contextmanager
def _program_env(project_dir: Path, stack_path: Path) -> Iterator[None]:
    before = set(sys.modules)
    old_cwd, old_path = Path.cwd(), list(sys.path)
    old_env = os.environ.get(STACK_FILE_ENV)
    os.chdir(project_dir)
    sys.path.insert(0, str(project_dir))
    os.environ[STACK_FILE_ENV] = str(stack_path)
    try:
        yield
    finally:
        _forget_program_modules(project_dir, before)
        os.chdir(old_cwd)
        sys.path[:] = old_path
        if old_env is None:
            os.environ.pop(STACK_FILE_ENV, None)
        else:
            os.environ[STACK_FILE_ENV] = old_env


def _run_program(main: Path) -> None:
    runpy.run_path(str(main), run_name="__main__")


def run_under_mocks(
    program: Callable[[], None],
    *,
    stack: str = "test",
    project: str = "test",
    preview: bool = False,
    cloud: FakeCloud | None = None,
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    stack_outputs: dict[str, Any] | None = None,
    root: Path | None = None,
) -> list[dict[str, Any]]:
    """Run `program` (which registers resources) under mocks; return the captured registrations,
    parents first (and fill `stack_outputs` with the stack's exports). Also the harness of the component
    tests."""
    cloud = cloud or FakeCloud(region="us-east-1")

    def run() -> list[dict[str, Any]]:
        # Called from a thread whose event loop is running (a notebook's, playwright's sync API), the SDK's
        # synchronous waits would pump that loop while the program's work waits on this one: hidden for the run.
        outer = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(None)
        try:
            return _run()
        finally:
            asyncio.events._set_running_loop(outer)

    def _run() -> list[dict[str, Any]]:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        mocks = _Mocks(cloud, preview)
        monitor = _CapturingMonitor(mocks, root)
        cloud.in_program_thread = _in_thread(threading.get_ident(), loop)
        try:
            pulumi_settings.ROOT.set(None)
            pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys or []))
            pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
            pulumi.runtime.register_stack_transformation(mocks.record_class)
            try:
                _sync_await(run_pulumi_func(program))
            except ConfigError as exc:
                exc.registered = list(monitor.captured)
                raise
            if stack_outputs is not None:
                stack_outputs.update(_exports())
            return monitor.captured
        finally:
            for thread_loop in monitor.thread_loops:
                if thread_loop is not loop and not thread_loop.is_running():
                    thread_loop.close()
            loop.close()
            asyncio.set_event_loop(None)

    # A fresh context per run: Pulumi keeps its settings, config and root stack in context variables.
    return _ordered(contextvars.Context().run(run))


def _in_thread(ident: int, loop: asyncio.AbstractEventLoop) -> Callable[[Callable[[], Any]], Any]:
    """Runs a function in the program's thread. Reading an SDK's type hints can import its modules, which the SDKs
    load lazily with importlib's LazyLoader: not thread-safe before Python 3.12, so never from the mock monitor's
    worker threads while the program imports the same modules."""

    async def call(fn: Callable[[], Any]) -> Any:
        return fn()

    def run(fn: Callable[[], Any]) -> Any:
        if threading.get_ident() == ident:
            return fn()
        return asyncio.run_coroutine_threadsafe(call(fn), loop).result()

    return run


def synth(
    stack: str,
    preview: bool = False,
    project_dir: Path | None = None,
    config_file: Path | None = None,
    account_id: str | None = None,
    references: Mapping[str, Path] | None = None,
    config_values: Mapping[str, str] | None = None,
    secret_values: Mapping[str, str] | None = None,
    invokes: RecordedInvokes | None = None,
) -> SynthResult:
    """Run the project's program for `stack` under mocks; return every registered resource.

    The project is found from `project_dir` (default: the working directory) upwards, as `pulumi` finds it.
    `config_file` replaces its `Pulumi.<stack>.yaml` (like `pulumi --config-file`). `account_id` defaults to
    the config's account_id, else 123456789012.

    Raises components.config.ConfigError for an invalid stack file or config, with `.registered` holding
    what the program had registered (nothing, by design), ProjectError (StackNotFound for a missing stack)
    for a project or stack file that cannot be used, and whatever the program raises otherwise.
    A StackReference is answered by synthesizing the referenced stack (enclave.references; `references`
    maps a reference name to a project folder or a JSON file of outputs).
    `config_values` / `secret_values` set config as `pulumi config set [--secret] KEY VALUE` would (a KEY
    without a namespace is the project's), over the stack file's; `invokes` answers invokes from a recorded file.
    An error of the program itself (a config value it requires, a module it imports, an exception it raises)
    is a ProgramError (a ProjectError) naming the program's lines and the fix.
    """
    found = find_project(project_dir)
    project, main, project_dir = found.name, found.main, found.root
    path = found.stack_file(stack, config_file)
    stack_file = read_stack_file(path)
    platform = stack_file.config.get(CONFIG_KEY)
    platform = platform if isinstance(platform, dict) else {}
    region = platform.get("region") or stack_file.config.get("aws:region")
    account = platform.get("account_id")
    allowed = stack_file.config.get("aws:allowedAccountIds")
    if account_id is None and isinstance(allowed, list) and len(allowed) == 1 and str(allowed[0]).isdigit():
        account = str(allowed[0])  # a stack of the same account as the platform it reads
    if account_id is None:
        account_id = account if isinstance(account, str) and account.isdigit() else DEFAULT_ACCOUNT_ID
    # Pulumi hands structured values to the program as JSON strings, scalars as strings.
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in stack_file.config.items()}
    secret_keys = list(stack_file.secret_keys)
    given = {**(config_values or {}), **(secret_values or {})}
    for key, value in given.items():
        full = key if ":" in key else f"{project}:{key}"
        if full == CONFIG_KEY:
            raise ProjectError(f"--config {key}: the platform's config is validated from the stack file; edit {path}")
        config[full] = value
        if key in (secret_values or {}):
            secret_keys.append(full)
        elif full in secret_keys:
            secret_keys.remove(full)
    region = config.get("aws:region") if "aws:region" in given else region
    secret_texts = {config[k] for k in secret_keys if k in config and k in {*given, *(f"{project}:{g}" for g in given)}}
    known: dict[str, dict[str, Any]] = {}

    def program() -> None:
        with _program_env(project_dir, path):
            _run_program(main)

    # A StackReference's stack is synthesized between runs, never inside one: a run that asked for a stack not
    # known yet is repeated once that stack's outputs are (programs are deterministic, nothing is kept).
    for _ in range(MAX_REFERENCES + 1):
        cloud = FakeCloud(
            region=region if isinstance(region, str) else "us-east-1",
            account_id=account_id,
            stack_outputs=known,
            recorded=invokes,
        )
        outputs: dict[str, Any] = {}
        try:
            records = run_under_mocks(
                program,
                stack=stack,
                project=project,
                preview=preview,
                cloud=cloud,
                config=config,
                secret_keys=secret_keys,
                stack_outputs=outputs,
                root=project_dir,
            )
        except (ConfigError, ProjectError):
            if not cloud.wanted_references:
                raise
        except Exception as exc:
            if not cloud.wanted_references:
                raise describe(exc, project_dir, found.display(path), project) from exc
        if not cloud.wanted_references:
            break
        for name in cloud.wanted_references:
            known[name] = resolve_reference(name, project_dir, references or {})
    else:
        raise ProjectError(f"{stack}: more than {MAX_REFERENCES} StackReferences")
    return SynthResult(
        stack=stack, project=project, preview=preview, resources=records, outputs=outputs,
        placeholder_invokes=dict(cloud.placeholder_invokes), recorded_invokes=dict(cloud.recorded_invokes),
        secret_texts=secret_texts, remote_components=dict(cloud.remote_components),
    )  # fmt: skip


def is_unknown(value: Any) -> bool:
    return value == UNKNOWN


__all__ = [
    "PROJECT_ROOT",
    "RESOURCE_KEYS",
    "ProgramError",
    "ProjectError",
    "StackNotFound",
    "SynthResult",
    "is_unknown",
    "run_under_mocks",
    "synth",
]
