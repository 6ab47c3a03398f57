"""IAM-04: no IAM users, login profiles or access keys: people use SSO roles, workloads IRSA."""

from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import IAM_USERS


@resource_rule("iam-no-users-or-access-keys", "IAM-04", "No IAM users or long-lived access keys", IAM_USERS)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    yield Finding(
        r.urn, f"{r.label()} creates a long-lived IAM identity; use a role (IRSA, SSO permission set) instead"
    )
