"""EncryptedVolumes: the EBS CSI add-on on its own IRSA role, KMS use on the zones' keys only (evaluated, not read),
and a StorageClass per zone on its key."""

from __future__ import annotations

import json
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.aws.volumes import ADDON, EncryptedVolumes, EncryptedVolumesArgs, zone_keys_policy
from components.config import ConfigError, Storage, validate_platform
from framework.evaluator import Request, evaluate
from tests.components.harness import Captured, capture
from tests.conftest import stack_data

ACCOUNT = "111122223333"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER.removeprefix('https://')}"
KEYS = {z: (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{z}", f"alias/enclave/prod/{z}") for z in ("training", "inference")}
SC = "kubernetes:storage.k8s.io/v1:StorageClass"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/prod-ebs-csi-role"


def build(settings: Storage | None = None, system_pool: bool = True) -> Captured:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        EncryptedVolumes(
            "prod",
            EncryptedVolumesArgs(
                cluster_name="enclave-prod",
                oidc_provider_arn=OIDC,
                oidc_issuer_url=ISSUER,
                region="us-east-1",
                zone_keys=KEYS,
                kubernetes_provider=provider,
                settings=settings or Storage(),
                system_pool=system_pool,
            ),
        )

    return capture(program)


def kms(action: str, alias: str, via: str = "ec2.us-east-1.amazonaws.com", **context: Any) -> Request:
    return Request(
        action,
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
        principal_arn=ROLE,
        context={"kms:ResourceAliases": [alias], "kms:ViaService": via, **context},
    )


POLICY = json.loads(zone_keys_policy([a for _, a in KEYS.values()], ACCOUNT, "us-east-1", "aws"))


@pytest.mark.parametrize("zone", ["training", "inference"])
def test_the_driver_may_use_each_zone_key_through_ec2(zone: str) -> None:
    alias = KEYS[zone][1]
    for action in ("kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"):
        assert evaluate(POLICY, kms(action, alias)) == "Allow", action
    grant = kms("kms:CreateGrant", alias, **{"kms:GrantIsForAWSResource": "true"})
    assert evaluate(POLICY, grant) == "Allow"


@pytest.mark.parametrize(
    ("what", "request_"),
    [
        ("the audit key", kms("kms:Decrypt", "alias/enclave/prod/audit")),
        ("the production models key", kms("kms:Decrypt", "alias/enclave/prod/models-prod")),
        (
            "a key with no alias",
            Request(
                "kms:Decrypt",
                f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
                principal_arn=ROLE,
                context={"kms:ViaService": "ec2.us-east-1.amazonaws.com"},
            ),
        ),
        ("a zone key, not through EC2", kms("kms:Decrypt", KEYS["training"][1], via="s3.us-east-1.amazonaws.com")),
        (
            "a grant for a principal, not an AWS resource",
            kms("kms:CreateGrant", KEYS["training"][1], **{"kms:GrantIsForAWSResource": "false"}),
        ),
        (
            "a zone key of another account",
            Request(
                "kms:Decrypt",
                "arn:aws:kms:us-east-1:444455556666:key/k",
                principal_arn=ROLE,
                context={"kms:ResourceAliases": [KEYS["training"][1]], "kms:ViaService": "ec2.us-east-1.amazonaws.com"},
            ),
        ),
    ],
)
def test_the_driver_may_use_nothing_else(what: str, request_: Request) -> None:
    assert evaluate(POLICY, request_) == "ImplicitDeny", what


def test_the_role_trusts_the_add_on_service_account_only_and_the_add_on_uses_it() -> None:
    c = build()
    role = c.one("aws:iam/role:Role")
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert len(trust) == 1 and trust[0]["Condition"]["StringEquals"] == {
        f"{ISSUER.removeprefix('https://')}:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
        f"{ISSUER.removeprefix('https://')}:aud": "sts.amazonaws.com",
    }, role["urn"]
    assert role["inputs"]["maxSessionDuration"] == 3600
    attached = c.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")["inputs"]["policyArn"]
    assert attached.endswith(":iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy")
    keys = c.doc("aws:iam/rolePolicy:RolePolicy")
    assert keys == POLICY
    addon = c.one("aws:eks/addon:Addon")
    assert addon["inputs"]["addonName"] == ADDON and addon["inputs"]["addonVersion"] == Storage().ebs_csi_driver
    assert role["urn"] in addon["propertyDependencies"]["serviceAccountRoleArn"], addon["urn"]
    values = json.loads(addon["inputs"]["configurationValues"])
    assert values["defaultStorageClass"] == {"enabled": False}, "the add-on's own default class is unencrypted"
    assert values["controller"]["nodeSelector"] == {"enclave.dev/pool": "system"}
    assert values["node"] == {"tolerateAllTaints": True}, "the node plugin must run on tainted GPU pools"
    assert "controller" not in json.loads(
        build(system_pool=False).one("aws:eks/addon:Addon")["inputs"]["configurationValues"]
    )


def test_one_encrypted_class_per_zone_on_its_own_key_never_default() -> None:
    c = build()
    classes = {r["inputs"]["metadata"]["name"]: r for r in c.of_type(SC)}
    assert set(classes) == {"enclave-training", "enclave-inference"}
    addon = c.urn("aws:eks/addon:Addon")
    for zone, (arn, _) in KEYS.items():
        r = classes[f"enclave-{zone}"]
        inputs = r["inputs"]
        assert inputs["provisioner"] == "ebs.csi.aws.com", r["urn"]
        assert inputs["parameters"]["encrypted"] == "true" and inputs["parameters"]["kmsKeyId"] == arn, r["urn"]
        assert inputs["parameters"]["type"] == "gp3"
        assert inputs["volumeBindingMode"] == "WaitForFirstConsumer"
        assert inputs["reclaimPolicy"] == "Retain" and inputs["allowVolumeExpansion"] is True
        assert inputs["metadata"]["labels"]["enclave.dev/zone"] == zone
        assert inputs["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "false"
        assert addon in r["dependencies"], r["urn"]


def test_reclaim_policy_and_expansion_come_from_the_config() -> None:
    c = build(Storage(reclaim_policy="Delete", allow_volume_expansion=False))
    for r in c.of_type(SC):
        assert r["inputs"]["reclaimPolicy"] == "Delete" and r["inputs"]["allowVolumeExpansion"] is False, r["urn"]


def test_args_refuse_no_zone_and_a_bad_region() -> None:
    with pytest.raises(ValueError, match=r"EncryptedVolumesArgs.zone_keys=\{\}: a StorageClass per zone"):
        EncryptedVolumesArgs(
            cluster_name="c",
            oidc_provider_arn=OIDC,
            oidc_issuer_url=ISSUER,
            region="us-east-1",
            zone_keys={},
            kubernetes_provider=None,
        )  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"EncryptedVolumesArgs.region='mars-1'"):
        EncryptedVolumesArgs(
            cluster_name="c",
            oidc_provider_arn=OIDC,
            oidc_issuer_url=ISSUER,
            region="mars-1",
            zone_keys=KEYS,
            kubernetes_provider=None,
        )  # type: ignore[arg-type]


def test_the_stack_file_refuses_an_unknown_reclaim_policy() -> None:
    data = stack_data("prod")
    data["storage"]["reclaim_policy"] = "Recycle"
    with pytest.raises(ConfigError) as err:
        validate_platform(data)
    shown = str(err.value)
    assert "storage.reclaim_policy" in shown and "Recycle" in shown, shown


def test_volumes_off_makes_no_driver_and_zones_claim_nothing() -> None:
    from components.platform import Platform

    data = stack_data("prod")
    data["storage"]["encrypted_volumes"] = False
    cfg = validate_platform(data)
    result = capture(lambda: Platform(cfg)).resources
    assert not [r for r in result if r["type"] == SC]
    assert not [r for r in result if r["type"] == "aws:eks/addon:Addon" and r["inputs"]["addonName"] == ADDON]
    quotas = [r for r in result if r["name"].endswith("resourcequota-storage-classes")]
    assert len(quotas) == sum(len(z.namespaces) for z in cfg.zones)
    for q in quotas:
        assert q["inputs"]["spec"]["hard"] == {"persistentvolumeclaims": "0", "requests.storage": "0"}, q["urn"]
    assert not [r for r in result if "validatingadmissionpolicy-enclave-storage-" in r["name"]]
