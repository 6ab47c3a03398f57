"""K8S-07: ServiceAccounts do not mount API tokens into pods by default."""

from framework.rules import Expect, property_rule
from framework.types import SERVICE_ACCOUNT

property_rule(
    "service-accounts-no-token-automount",
    "K8S-07",
    "ServiceAccounts do not mount API tokens",
    SERVICE_ACCOUNT,
    [
        Expect(
            "automountServiceAccountToken", lambda v: v is False, "false", "Set automount_service_account_token False."
        )
    ],
)
