"""IAM-06: the cluster's OIDC provider serves the STS audience only."""

from framework.rules import Expect, property_rule
from framework.types import OIDC_PROVIDER
from framework.values import as_list

property_rule(
    "iam-oidc-provider-sts-audience",
    "IAM-06",
    "The cluster's OIDC provider serves only the STS audience",
    OIDC_PROVIDER,
    [
        Expect(
            "clientIdLists",
            lambda v: as_list(v) == ["sts.amazonaws.com"],
            "['sts.amazonaws.com']",
            "Set client_id_lists=['sts.amazonaws.com'].",
        )
    ],
)
