"""`enclave images`: the exact copy list for the add-on mirror, as the charts' values will pull it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from enclave.cli import app
from tests.conftest import stack_data, write_stack

MIRROR = "111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror"


def test_prints_one_source_destination_pair_per_image() -> None:
    result = CliRunner().invoke(app, ["images", "--stack", "prod"])
    assert result.exit_code == 0, result.output
    pairs = [line.split(" ") for line in result.output.splitlines()]
    # 12 add-on images, Falco's two, 4 of the secrets releases
    assert len(pairs) == 18 and all(len(p) == 2 for p in pairs)
    assert all(dst.startswith(f"{MIRROR}/") for _, dst in pairs)
    for src, dst in pairs:
        assert dst.rsplit(":", 1)[1] == src.rsplit(":", 1)[1], "the tag is copied as is"
    assert ["reg.kyverno.io/kyverno/kyverno:v1.15.2", f"{MIRROR}/kyverno/kyverno:v1.15.2"] in pairs
    assert ["docker.io/falcosecurity/falco:0.44.1", f"{MIRROR}/falcosecurity/falco:0.44.1"] in pairs
    assert ["docker.io/falcosecurity/falcosidekick:2.32.0", f"{MIRROR}/falcosecurity/falcosidekick:2.32.0"] in pairs
    provider = "aws-secrets-manager/secrets-store-csi-driver-provider-aws:2.1.0"
    assert [f"public.ecr.aws/{provider}", f"{MIRROR}/{provider}"] in pairs


def test_without_a_mirror_lists_what_nodes_pull(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["images", "--stack", "dev"])
    assert result.exit_code == 0
    assert "docker.io/istio/proxyv2:1.27.3" in result.output.splitlines()
    assert "no kubernetes.image_mirror" in result.output


def test_a_broken_stack_file_exits_2_with_its_path(tmp_path: Path) -> None:
    data = stack_data("prod")
    data["kubernetes"]["image_mirror"] = "Not A Registry!"
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    result = CliRunner().invoke(app, ["images", "--stack", "prod", "--config-file", str(path)])
    assert result.exit_code == 2
    assert "kubernetes.image_mirror" in result.output and "Traceback" not in result.output
