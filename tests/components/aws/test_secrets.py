"""Secrets from the manager: each zone's Secrets Manager secrets on its key, rotation only where a Lambda is named,
the CSI driver and provider as node agents that never sync Kubernetes Secrets, a SecretProviderClass per namespace
of a zone with secrets, and workload roles that read their zone's path only (evaluated, not read)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.aws.iam_policy import secrets_read_statements
from components.config import ConfigError, ManagerSecret, Secrets, validate_platform
from components.k8s.pod_spec import MANAGER_SECRETS_DIR, workload_pod_template
from components.k8s.secrets_store import CSI_DRIVER, FILE_PERMISSION, mirror_copies
from framework.evaluator import Request, evaluate
from tests.components.harness import Captured, capture
from tests.conftest import stack_data

ACCOUNT = "111122223333"
REGION = "us-east-1"
SECRET = "aws:secretsmanager/secret:Secret"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
SPC = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"
RELEASE = "kubernetes:helm.sh/v3:Release"
LAMBDA = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotate-tracker"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/prod-trainer"
PATH = "enclave/prod/training"
POLICY = {"Version": "2012-10-17", "Statement": secrets_read_statements(PATH, f"alias/{PATH}", REGION, ACCOUNT)}


def platform(edit: Any = None) -> Captured:
    from components.platform import Platform

    data = stack_data("prod")
    if edit is not None:
        edit(data)
    cfg = validate_platform(data)
    return capture(lambda: Platform(cfg))


@pytest.fixture(scope="module")
def prod() -> Captured:
    return platform()


def secret_arn(name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"


def read(action: str, name: str) -> Request:
    return Request(action, secret_arn(name), principal_arn=ROLE)


def decrypt(alias: str, name: str, via: str = f"secretsmanager.{REGION}.amazonaws.com") -> Request:
    return Request(
        "kms:Decrypt",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k",
        principal_arn=ROLE,
        context={
            "kms:ResourceAliases": [alias],
            "kms:ViaService": via,
            "kms:EncryptionContext:SecretARN": secret_arn(name),
        },
    )


def test_a_workload_role_reads_and_decrypts_its_zone_secrets() -> None:
    for action in ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"):
        assert evaluate(POLICY, read(action, f"{PATH}/tracker-token")) == "Allow", action
    assert evaluate(POLICY, decrypt(f"alias/{PATH}", f"{PATH}/tracker-token")) == "Allow"


@pytest.mark.parametrize(
    ("what", "request_"),
    [
        ("another zone's secret", read("secretsmanager:GetSecretValue", "enclave/prod/inference/token")),
        ("another environment's", read("secretsmanager:GetSecretValue", "enclave/staging/training/token")),
        ("a path that only starts like the zone's", read("secretsmanager:GetSecretValue", f"{PATH}-x/token")),
        ("writing a value", read("secretsmanager:PutSecretValue", f"{PATH}/tracker-token")),
        ("listing every secret", Request("secretsmanager:ListSecrets", "*", principal_arn=ROLE)),
        ("another zone's key", decrypt("alias/enclave/prod/inference", f"{PATH}/tracker-token")),
        (
            "the zone key outside Secrets Manager",
            decrypt(f"alias/{PATH}", f"{PATH}/t", via=f"s3.{REGION}.amazonaws.com"),
        ),
        ("the zone key for another zone's secret", decrypt(f"alias/{PATH}", "enclave/prod/inference/token")),
    ],
)
def test_a_workload_role_reads_nothing_else(what: str, request_: Request) -> None:
    assert evaluate(POLICY, request_) != "Allow", what


def test_each_zone_secret_is_on_its_zone_key_with_no_value(prod: Captured) -> None:
    secrets = {r["inputs"]["name"]: r for r in prod.of_type(SECRET)}
    assert set(secrets) == {
        "enclave/prod/training/experiment-tracker-token",
        "enclave/prod/inference/model-registry-token",
    }
    keys = {r["urn"]: r for r in prod.of_type("aws:kms/key:Key")}
    for name, r in secrets.items():
        zone = name.split("/")[2]
        (key,) = r["propertyDependencies"]["kmsKeyId"]
        assert keys[key]["inputs"]["tags"]["enclave:zone"] == zone, r["urn"]
        assert r["inputs"]["tags"]["enclave:zone"] == zone and r["inputs"]["recoveryWindowInDays"] == 30
    assert not prod.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert not prod.of_type(ROTATION)


def test_rotation_only_where_a_lambda_is_named() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["secrets"]["secrets"][0].update(rotation_lambda_arn=LAMBDA, rotation_days=14)

    c = platform(edit)
    rotation = c.one(ROTATION)
    assert rotation["inputs"]["rotationLambdaArn"] == LAMBDA
    assert rotation["inputs"]["rotationRules"] == {"automaticallyAfterDays": 14}
    assert rotation["propertyDependencies"]["secretId"] == [c.urn(SECRET, "prod-training-experiment-tracker-token")]


def test_the_driver_and_provider_are_node_agents_that_never_sync_secrets(prod: Captured) -> None:
    driver = prod.one(RELEASE, "prod-secrets-store-csi-driver")["inputs"]
    provider = prod.one(RELEASE, "prod-secrets-store-provider-aws")["inputs"]
    for release in (driver, provider):
        assert release["namespace"] == "node-agents" and release["createNamespace"] is False
    assert driver["version"] == "1.4.8" and driver["values"]["syncSecret"] == {"enabled": False}
    assert driver["values"]["linux"]["crds"] == {"enabled": False}  # no hook Jobs in the agent namespace
    assert provider["values"]["secrets-store-csi-driver"] == {"install": False}
    mirror = "111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror"
    assert driver["values"]["linux"]["image"] == {"repository": f"{mirror}/csi-secrets-store/driver", "tag": "v1.4.8"}
    assert provider["values"]["image"]["repository"].startswith(mirror + "/aws-secrets-manager/")
    copies = dict(mirror_copies(validate_platform(stack_data("prod")).kubernetes, Secrets()))
    pulled = {
        f"{v['repository']}:{v['tag']}"
        for v in (*(driver["values"]["linux"][k] for k in ("image", "registrarImage", "livenessProbeImage")),
                  provider["values"]["image"])
    }  # fmt: skip
    assert set(copies.values()) == pulled  # `enclave images` lists exactly what the releases pull
    assert "registry.k8s.io/csi-secrets-store/driver:v1.4.8" in copies
    taints = {t["key"] for t in driver["values"]["linux"]["tolerations"]}
    assert taints == {t["key"] for t in provider["values"]["tolerations"]} == {"nvidia.com/gpu", "CriticalAddonsOnly"}


def test_one_class_per_namespace_of_a_zone_with_secrets(prod: Captured) -> None:
    classes = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"]): r for r in prod.of_type(SPC)}
    assert set(classes) == {("training", "enclave-training"), ("inference", "enclave-inference")}
    spec = classes[("training", "enclave-training")]["inputs"]["spec"]
    assert "secretObjects" not in spec and spec["provider"] == "aws"
    assert spec["parameters"]["usePodIdentity"] == "false" and spec["parameters"]["region"] == REGION
    assert yaml.safe_load(spec["parameters"]["objects"]) == [
        {
            "objectName": "enclave/prod/training/experiment-tracker-token",
            "objectType": "secretsmanager",
            "objectAlias": "experiment-tracker-token",
            "filePermission": FILE_PERMISSION,
        }
    ]


def test_zone_roles_read_their_zone_path(prod: Captured) -> None:
    doc = prod.doc("aws:iam/rolePolicy:RolePolicy", "prod-trainer-grants")
    resources = [s["Resource"] for s in doc["Statement"] if "secretsmanager:GetSecretValue" in s["Action"]]
    assert resources == [f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:enclave/prod/training/*"]


def test_off_makes_no_secret_driver_class_or_grant() -> None:
    c = platform(lambda d: d.update(secrets={"from_manager": False}))
    assert not c.of_type(SECRET) and not c.of_type(SPC)
    assert not [r for r in c.of_type(RELEASE) if "secrets-store" in r["name"]]
    assert "secretsmanager" not in json.dumps(c.doc("aws:iam/rolePolicy:RolePolicy", "prod-trainer-grants"))


def test_the_stack_file_refuses_a_bad_secret() -> None:
    data = stack_data("prod")
    data["secrets"]["secrets"].append({"zone": "training", "name": "Bad_Name"})
    with pytest.raises(ConfigError) as info:
        validate_platform(data)
    assert "secrets.secrets[2].name" in str(info.value)


def test_the_pod_template_mounts_the_zone_class_read_only() -> None:
    cfg = validate_platform(stack_data("prod"))
    zone = cfg.zone("training")
    pool = next(p for p in cfg.node_pools if p.zone == "training")
    tpl = workload_pod_template(
        zone, pool, name="t", image="i", service_account="trainer",
        secret_provider_class=Secrets.provider_class("training"),
    )  # fmt: skip
    (volume,) = [v for v in tpl["spec"]["volumes"] if "csi" in v]
    assert volume["csi"] == {
        "driver": CSI_DRIVER,
        "readOnly": True,
        "volumeAttributes": {"secretProviderClass": "enclave-training"},
    }
    (container,) = tpl["spec"]["containers"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == volume["name"])
    assert mount == {"name": volume["name"], "mountPath": MANAGER_SECRETS_DIR, "readOnly": True}
    assert not any("valueFrom" in e for e in container["env"])
    assert ManagerSecret(zone="training", name="x").rotation_lambda_arn is None
