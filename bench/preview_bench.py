"""Policy-pack benchmark: what `enclave preview` costs, and how the pack scales with stack size.

    .venv/bin/python bench/preview_bench.py [--repeat 9] [--stacks prod] [--scale 1 8 24]

1. One call per (stack, mode), each in a fresh process, side by side: median wall seconds of `enclave
   preview` against (a) a process that only imports the SDK resource classes the stack registers (the
   floor of any offline check of it; target: preview within 2x) and (b) `enclave synth` of the same stack;
   peak RSS of the preview process and of the pack process it starts.
2. The pack alone, in process (the server's Analyze per resource and AnalyzeStack once, prod config): prod
   grown by k-1 more training teams (k = --scale; each a zone, namespace, GPU pool, bucket and identity), so a
   superlinear rule shows as a growing microseconds-per-resource figure.

Targets and last figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policy_packs" / "hipaa"

DRIVER = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from enclave.preview import run_preview
from enclave.synth import synth
kind, stack, preview = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
result = run_preview(stack, preview=preview) if kind == "preview" else synth(stack, preview=preview)
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "resources": result.resources if kind == "preview" else len(result.resources)}))
"""


def one_call(kind: str, stack: str, preview: bool) -> dict[str, Any]:
    """Wall seconds from interpreter start, and peak RSS (KiB) of the process and its waited children."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", DRIVER, kind, stack, "1" if preview else "0"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["wall"] = time.perf_counter() - start
    return figures


IMPORT_ONLY = """
import importlib, json, sys
for module, name in json.loads(sys.argv[1]):
    getattr(importlib.import_module(module), name)
print("{}")
"""
K8S_BUILTIN = {"core", "apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io",
               "admissionregistration.k8s.io", "policy", "helm.sh"}  # fmt: skip


def sdk_class(token: str) -> tuple[str, str] | None:
    """(module, class) of the SDK class a resource type token names; None for this project's components."""
    package, _, rest = token.partition(":")
    if package == "pulumi" and rest.startswith("providers:"):
        provider = rest.split(":", 1)[1]
        return (f"pulumi_{provider}", "Provider")
    if package == "aws":
        module, _, name = rest.partition(":")
        mod = module.split("/")[0]
        return ("pulumi_aws" if mod == "index" else f"pulumi_aws.{mod}", name)
    if package == "kubernetes":
        group_version, _, kind = rest.partition(":")
        group, _, version = group_version.rpartition("/")
        if group not in K8S_BUILTIN:
            return ("pulumi_kubernetes.apiextensions", "CustomResource")  # Istio and Kyverno kinds
        short = group.split(".")[0] if group != "helm.sh" else "helm"
        return (f"pulumi_kubernetes.{short}.{version}", kind)
    return None


def classes_of(stack: str) -> list[tuple[str, str]]:
    from enclave.synth import synth

    found = sorted({c for r in synth(stack).resources if (c := sdk_class(r["type"])) is not None})
    subprocess.run([sys.executable, "-c", IMPORT_ONLY, json.dumps(found)], cwd=ROOT, check=True, capture_output=True)
    return found


def import_only(found: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORT_ONLY, json.dumps(found)], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def cli_table(stacks: list[str], repeat: int) -> None:
    print(f"{'stack':8} {'mode':8} {'resources':>9} {'classes':>7} {'import s':>9} {'synth s':>8} "
          f"{'preview s':>10} {'/import':>8} {'/synth':>7} {'CLI MiB':>8} {'pack MiB':>9}")  # fmt: skip
    for stack in stacks:
        found = classes_of(stack)
        for preview in (True, False):
            imports, synths, previews = [], [], []
            for _ in range(repeat):  # interleaved, so a busy moment of the machine hits all three alike
                imports.append(import_only(found))
                synths.append(one_call("synth", stack, preview))
                previews.append(one_call("preview", stack, preview))
            i = statistics.median(imports)
            s = statistics.median(r["wall"] for r in synths)
            p = statistics.median(r["wall"] for r in previews)
            # ratios per round (the three ran back to back), then their median: steadier on a noisy machine
            by_import = statistics.median(r["wall"] / t for r, t in zip(previews, imports, strict=True))
            by_synth = statistics.median(r["wall"] / q["wall"] for r, q in zip(previews, synths, strict=True))
            cli = max(r["self"] for r in previews) / 1024
            pack = max(r["children"] for r in previews) / 1024
            mode = "preview" if preview else "update"
            print(f"{stack:8} {mode:8} {previews[0]['resources']:9d} {len(found):7d} {i:9.2f} {s:8.2f} {p:10.2f} "
                  f"{by_import:8.2f} {by_synth:7.2f} {cli:8.0f} {pack:9.0f}")  # fmt: skip


def grown(k: int, tmp: Path) -> Path:
    """prod plus k-1 more training teams, each a zone with its namespace, GPU pool, dataset bucket and job
    identity: a stack that grows the way a real one does."""
    import yaml

    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8"))
    data = doc["config"]["gpu-enclave:platform"]
    for i in range(k - 1):
        team = f"team{i}"
        data["zones"].append(
            {
                "name": team,
                "class": "training",
                "namespaces": [team],
                "quota": {"gpus": 8},
                "access": {"data_scientist_groups": ["ml-research"]},
            }
        )
        data["node_pools"].append(
            {
                "name": f"{team}-g6",
                "zone": team,
                "instance_types": ["g6.12xlarge"],
                "min_size": 0,
                "desired_size": 0,
                "max_size": 2,
            }
        )
        data["buckets"].append({"name": f"{team}-data", "purpose": "datasets", "zone": team})
        data["identities"].append(
            {
                "name": f"{team}-job",
                "zone": team,
                "namespace": team,
                "service_account": f"{team}-job",
                "grants": [{"bucket": f"{team}-data", "prefix": "in", "access": "read"}],
            }
        )
    path = tmp / f"Pulumi.prod-{k}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def scale_table(scales: list[int], tmp: Path) -> None:
    sys.path.insert(0, str(PACK))
    sys.path.insert(0, str(ROOT))
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2

    from catalog import CONTROLS
    from enclave.preview import _request, _stack_resource, policy_configs, read_pack_config
    from enclave.synth import synth
    from framework.pack import policies
    from framework.rules import load_all
    from framework.server import Servicer

    rules = load_all("rules")
    servicer = Servicer(rules, policies(rules), CONTROLS, "gpu-enclave-hipaa", "bench")
    info = servicer.GetAnalyzerInfo(empty_pb2.Empty(), None)
    configs = policy_configs(info, read_pack_config(PACK / "config" / "prod.json"), "prod.json")
    servicer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=configs), None)
    print(f"{'teams':>6} {'resources':>9} {'Analyze s':>10} {'AnalyzeStack s':>15} {'us/resource':>12}")
    for k in scales:
        records = synth("prod", config_file=grown(k, tmp)).resources
        requests = [_request(r, r["inputs"], None) for r in records]
        stack = analyzer_pb2.AnalyzeStackRequest(resources=[_stack_resource(r, r["inputs"], None) for r in records])
        t0 = time.perf_counter()
        for request in requests:
            servicer.Analyze(request, None)
        t1 = time.perf_counter()
        servicer.AnalyzeStack(stack, None)
        t2 = time.perf_counter()
        print(f"{k:6d} {len(records):9d} {t1 - t0:10.3f} {t2 - t1:15.3f} {(t2 - t0) / len(records) * 1e6:12.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--stacks", nargs="+", default=["prod"])
    parser.add_argument("--scale", nargs="+", type=int, default=[1, 8, 24])
    args = parser.parse_args()
    cli_table(args.stacks, args.repeat)
    print()
    with tempfile.TemporaryDirectory() as tmp:
        scale_table(args.scale, Path(tmp))


if __name__ == "__main__":
    main()
