"""EKS-05: people and roles reach the cluster through IAM access entries only, with no creator bootstrap."""

from framework.rules import Expect, property_rule
from framework.types import EKS_CLUSTER

property_rule(
    "eks-access-entries-only",
    "EKS-05",
    "Cluster access is through access entries only, with no creator bootstrap",
    EKS_CLUSTER,
    [
        Expect(
            "accessConfig.authenticationMode",
            lambda v: v == "API",
            "'API'",
            "Set access_config.authentication_mode 'API'.",
        ),
        # EKS grants the creator cluster admin unless told otherwise.
        Expect(
            "accessConfig.bootstrapClusterCreatorAdminPermissions",
            lambda v: v is False,
            "false",
            "Set bootstrap_cluster_creator_admin_permissions False and list admins in cluster.admin_role_arns.",
        ),
    ],
)
