"""RECOVER-02 (clusters): an EKS cluster cannot be deleted by accident."""

from framework.rules import Expect, property_rule
from framework.types import EKS_CLUSTER

property_rule(
    "eks-cluster-deletion-protected",
    "RECOVER-02",
    "EKS clusters keep deletion protection on",
    EKS_CLUSTER,
    [Expect("deletionProtection", lambda v: v is True, "true", "Set deletion_protection=True.")],
)
