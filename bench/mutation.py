"""Mutation testing of `components/` with mutmut 3 (`make mutate`; not part of `make test` or CI).

    .tools/mutmut/bin/python bench/mutation.py run      # copy the tree to build/mutation, mutate, test
    .tools/mutmut/bin/python bench/mutation.py report   # score it: overall, outside pure text, per module

`run` copies the working tree (tracked and untracked, not ignored: uncommitted edits are measured) to a
work directory, writes mutmut's config into the copy's pyproject.toml (the repository needs none) and runs
`mutmut run` there on a reproducible sample: per module, the N mutants with the lowest sha256(seed:name)
(N = --per-module or $MUTATE_PER_MODULE, default 20; 0 takes them all). `report` classifies every mutant
statically as *text* (it only changes a message: a string literal, or an expression inside an f-string,
feeding an exception, a Problem's message, a `description=`/`reason=`-like argument, a manifest's
"message" field, or a variable or parameter used only there) or *code* (everything else: IAM actions,
ARNs, config paths, labels, numbers, operators...), and scores the two apart: the target is the killed
ratio of code mutants. `list -v` prints every mutant with its class.

The same file is the pytest plugin the mutant runs load (`-p bench.mutation`, only inside the work copy):
- while mutmut collects which tests reach which function, a session-cached synth (tests/conftest.py) or a
  module/session fixture is credited to every test that uses it, not only to the first one that built it;
  otherwise a mutant would run only that first test and the others would never get a chance to kill it;
- each mutant run starts with an empty synth cache and runs its tests cheapest module first.

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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORK = ROOT / "build" / "mutation"
SEED = 20260
SOURCE = "components"
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
# The fast tests that exercise components (the external-scanner tests, the policy pack and the CLI's
# preview are left out: minutes per run, and they reach components only through synth).
TEST_SELECTION = [
    "tests/components",
    "tests/enclave/test_synth.py",
    "tests/enclave/test_render.py",
    "tests/enclave/test_reach.py",
]
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
                    if name == "Problem":
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
        if name == "Problem":
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


def classify(root: Path, modules: list[str]) -> dict[str, list[Mutant]]:
    from mutmut.mutation import pragma_handling

    # The config sets no do_not_mutate_patterns; this keeps mutmut from looking for its config here.
    pragma_handling.get_lines_ignored_by_pattern = lambda source: set()
    return {m: classify_file(m, (root / m).read_text(encoding="utf-8")) for m in modules}


def sample(mutants: list[Mutant], n: int, seed: int) -> list[Mutant]:
    """The n mutants of a module with the lowest hash of (seed, name): the same ones on every run (whatever the
    classification, and whatever happens to the module's other functions), and a larger n only adds to them."""
    ranked = sorted(mutants, key=lambda m: hashlib.sha256(f"{seed}:{m.name}".encode()).hexdigest())
    return ranked if n <= 0 else ranked[:n]


# --------------------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------------------


def copy_tree(src: Path, dst: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=src, check=True, capture_output=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for rel in filter(None, files):
        if rel.startswith(("mutants/", "build/")):
            continue
        source = src / rel
        if not source.is_file():  # deleted in the working tree
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def mutmut_config(work: Path, modules: list[str], python: str) -> str:
    also_copy = sorted(
        p.name for p in work.iterdir() if p.name not in {SOURCE, "tests", "mutants", "pyproject.toml", ".git"}
    )
    cfg = {
        "source_paths": [SOURCE],
        "only_mutate": modules,
        "also_copy": also_copy,
        "pytest_add_cli_args": ["-p", "bench.mutation", "-p", "no:cacheprovider", "-o", "addopts="],
        "pytest_add_cli_args_test_selection": TEST_SELECTION,
        "process_isolation": "forkserver",
        "timeout_multiplier": TIMEOUT_MULTIPLIER,
        "timeout_constant": TIMEOUT_CONSTANT,
        "type_check_command": [python, "-m", "mypy", "--output", "json"],
        "use_git_change_detection": False,
    }
    lines = ["", "[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in cfg.items()]
    return "\n".join(lines) + "\n"


def head_commit() -> str:
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", SOURCE, "tests", "enclave"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    return rev + (" (with uncommitted changes to components/, tests/ or enclave/)" if dirty.strip() else "")


def cmd_run(args: argparse.Namespace) -> int:
    work: Path = args.work
    modules = args.modules or PRIORITY_MODULES
    if not args.resume:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        copy_tree(ROOT, work)
        pyproject = work / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        if "[tool.mutmut]" in text:
            sys.exit("pyproject.toml already has [tool.mutmut]; bench/mutation.py writes its own config")
        pyproject.write_text(text + mutmut_config(work, modules, sys.executable), encoding="utf-8")
    population = classify(work, modules)
    chosen: list[Mutant] = []
    for module in modules:
        chosen += sample(population[module], args.per_module, args.seed)
    meta = {
        "commit": head_commit(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "argv": sys.argv[1:],
        "modules": modules,
        "per_module": args.per_module,
        "seed": args.seed,
        "tests": TEST_SELECTION,
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
    rc = subprocess.run([mutmut, "run", "--max-children", str(args.max_children), *todo], cwd=work, env=env).returncode
    print(f"mutmut run exited {rc} after {time.time() - start:.0f}s", flush=True)
    return rc


def exit_codes(work: Path) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for meta in (work / "mutants").rglob("*.py.meta"):
        out.update(json.loads(meta.read_text())["exit_code_by_key"])
    return out


# --------------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------------


def ratio(killed: int, total: int) -> str:
    return f"{100 * killed / total:.1f}%" if total else "n/a"


def cmd_report(args: argparse.Namespace) -> int:
    work: Path = args.work
    meta = json.loads((work / "mutation-run.json").read_text())
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

    rows: list[str] = []
    totals: dict[str, Counter[str]] = {"code": Counter(), "text": Counter()}
    for module in meta["modules"]:
        ms = population[module]
        per: dict[str, Counter[str]] = {"code": Counter(), "text": Counter()}
        for m in ms:
            if m.name in chosen:
                per[m.kind][status_of(codes.get(m.name))] += 1
        for kind in per:
            totals[kind] += per[kind]
        pop = Counter(m.kind for m in ms)
        rows.append(_row(module, pop, per))
    pop_all = Counter(m.kind for ms in population.values() for m in ms)
    out = [
        f"commit: {meta['commit']}",
        f"run started: {meta['started']}; seed {meta['seed']}; mutants per module: {meta['per_module'] or 'all'}",
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
                    f"- `{m.path}:{m.line}` {m.function} [{m.kind}, {st}] `{m.before}` -> `{m.after}`"
                    f"  ({m.name.rpartition('.')[2]})"
                )
    text = "\n".join(out) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
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
    modules = args.modules or PRIORITY_MODULES
    for module, ms in classify(ROOT, modules).items():
        kinds = Counter(m.kind for m in ms)
        print(f"# {module}: {len(ms)} mutants, {kinds['code']} code, {kinds['text']} text")
        if args.verbose:
            for m in ms:
                print(f"{m.kind:4} {m.path}:{m.line} {m.function}: {m.before!r} -> {m.after!r}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("run", "report", "list"):
        p = sub.add_parser(name)
        p.add_argument("--work", type=Path, default=Path(os.environ.get("MUTATE_DIR", DEFAULT_WORK)))
        p.add_argument("--modules", nargs="*", help="paths under components/ (default: the priority modules)")
    run = sub.choices["run"]
    run.add_argument("--per-module", type=int, default=int(os.environ.get("MUTATE_PER_MODULE", 20)))
    run.add_argument("--seed", type=int, default=SEED)
    run.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    run.add_argument("--resume", action="store_true", help="keep the work copy and its results; run the rest")
    sub.choices["report"].add_argument("--out", type=Path)
    sub.choices["list"].add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    return {"run": cmd_run, "report": cmd_report, "list": cmd_list}[args.cmd](args)


# --------------------------------------------------------------------------------------------------------
# pytest plugin, loaded by the mutant runs inside the work copy (`-p bench.mutation`)
# --------------------------------------------------------------------------------------------------------


def _mode() -> str:
    return os.environ.get("MUTANT_UNDER_TEST", "")


_FIXTURE_HITS: dict[int, set[str]] = defaultdict(set)
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


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
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

    @_hookwrapper
    def pytest_runtest_call(item: Any) -> Iterator[None]:
        yield
        if _mode() != "stats":
            return
        from mutmut.state import state

        for defs in item._fixtureinfo.name2fixturedefs.values():
            if defs:
                state()._stats.update(_FIXTURE_HITS.get(id(defs[-1]), ()))


if __name__ == "__main__":
    sys.exit(main())
