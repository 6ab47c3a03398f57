"""IAM-07: no AWS administrator or full-access managed policy is attached to a role, a user or a group, however
attached (RolePolicyAttachment, PolicyAttachment, the *PolicyAttachmentsExclusive resources, managedPolicyArns)."""

import re
from collections.abc import Iterator

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

ADMIN = re.compile(
    r":iam::aws:policy/(.*/)?(AdministratorAccess|PowerUserAccess|IAMFullAccess|[A-Za-z0-9]*FullAccess)$"
)


@stack_rule(
    "iam-no-admin-managed-policies",
    "IAM-07",
    "No administrator managed policies on roles",
    subjects=(*t.POLICY_ATTACHMENTS, *t.ROLE),
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for r in stack.of_type(*t.POLICY_ATTACHMENTS, *t.ROLE):
        yield from _check(stack, r)


def _check(stack: Stack, r: Resource) -> Iterator[Finding]:
    prop = "managedPolicyArns" if r.type in t.ROLE else "policyArns" if "policyArns" in r.props else "policyArn"
    value = r.get(prop)
    arns = [UNKNOWN] if value is UNKNOWN else as_list(value)
    for arn in arns:
        if arn is UNKNOWN and stack.sources(r, prop, *t.IAM_POLICY):
            continue  # a customer-managed policy of this stack: IAM-02 judges its document
        if arn is UNKNOWN:
            yield Finding(r.urn, f"{r.label()}: the attached policy is not known yet", True)
        elif isinstance(arn, str) and ADMIN.search(arn):
            yield Finding(
                r.urn, f"{r.label()} attaches {arn.rsplit('/', 1)[-1]}; grant the actions the role needs instead"
            )
