"""EKS-01: Kubernetes secrets are envelope-encrypted with a customer key."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.keys import customer_key
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN, as_list


@stack_rule(
    "eks-secrets-encrypted",
    "EKS-01",
    "Kubernetes secrets are envelope-encrypted with a customer key",
    subjects=t.EKS_CLUSTER,
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for cluster in stack.of_type(*t.EKS_CLUSTER):
        configs = cluster.get("encryptionConfig")
        if configs is UNKNOWN:
            yield Finding(cluster.urn, f"{cluster.label()}: encryptionConfig is not known yet", True)
            continue
        verdicts = []
        for config in as_list(configs):
            if not isinstance(config, Mapping) or "secrets" not in as_list(config.get("resources", MISSING)):
                continue
            provider = config.get("provider")
            key = provider.get("keyArn", MISSING) if isinstance(provider, Mapping) else MISSING
            verdicts.append(customer_key(stack, cluster, key, "encryptionConfig"))
        if True in verdicts:
            continue
        if None in verdicts:
            yield Finding(cluster.urn, f"{cluster.label()}: its secrets key is not known yet", True)
        else:
            yield Finding(
                cluster.urn,
                f"{cluster.label()}: secrets are not envelope-encrypted; set encryption_config with resources "
                "['secrets'] and a KMS key",
            )
