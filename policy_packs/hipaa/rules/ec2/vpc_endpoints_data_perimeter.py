"""NET-04: every VPC endpoint that supports a policy has one that keeps data in the account.

Every Allow statement is limited to this account's principals, and on the services that name resources also to
its resources, or is one of the exceptions AWS needs: a web-identity role assumption into the account, ECR's
image layers from its own S3 bucket. Decided by evaluating each statement: a principal of another account (or
anyone) must not get through, and a principal of the account must not reach a resource of another account
(aws:ResourceAccount / aws:ResourceOrgID of an outsider) with an action that names a resource (the IAM catalog
says which name none); a condition whose value admits every account scopes nothing.
"""

import fnmatch
from collections.abc import Iterator

from framework import evaluator as ev
from framework import types as t
from framework.documents import OUTSIDER_ACCOUNT, Statement, open_to_outsiders, statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import MISSING, UNKNOWN

RESOURCE_KEYS = ("aws:resourceaccount", "aws:resourceorgid")
ECR_LAYERS = "arn:*:s3:::prod-*-starport-layer-bucket/*"


def _aws_exception(s: Statement) -> bool:
    actions = {a.lower() for a in s.actions()}
    if actions == {"sts:assumerolewithwebidentity"}:
        return bool(set(s.condition_keys()) & set(RESOURCE_KEYS))
    if actions == {"s3:getobject"}:
        return bool(s.resources()) and all(fnmatch.fnmatchcase(r, ECR_LAYERS) for r in s.resources())
    return False


def reaches_other_accounts(s: Statement) -> bool:
    """Whether a principal of the account gets through to a resource of another account with an action that
    names a resource."""
    # conditions hold alike for every action: one S3 action and one other that name a resource are enough
    actions = s.action_set()
    s3 = next((a for a in sorted(x for x in actions if x.startswith("s3:")) if ev.resource_types(a)), None)
    other = next((a for a in sorted(x for x in actions if not x.startswith("s3:")) if ev.resource_types(a)), None)
    named = [a for a in (s3, other) if a is not None]
    context = {"aws:ResourceAccount": OUTSIDER_ACCOUNT, "s3:ResourceAccount": OUTSIDER_ACCOUNT,
               "aws:ResourceOrgID": None, "aws:ResourceOrgPaths": None}  # fmt: skip

    def foreign(action: str) -> str:  # a resource of another account (S3 ARNs carry no account: the key does)
        service = action.split(":")[0]
        if service == "s3":
            return f"arn:aws:s3:::{OUTSIDER_ACCOUNT}-bucket/object"
        return f"arn:aws:{service}:us-east-1:{OUTSIDER_ACCOUNT}:enclave-probe/x"

    return any(
        ev.applies(s.parsed, ev.Request(a, foreign(a), context=context, chosen=True)) is not False for a in named
    )


@resource_rule(
    "vpc-endpoints-data-perimeter",
    "NET-04",
    "VPC endpoints let only this account's principals reach this account's resources",
    (*t.VPC_ENDPOINT, *t.VPC_ENDPOINT_POLICY),
    config={
        "policyUnsupported": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["eks-auth"],
            "description": "Services whose endpoints take no policy (last part of the service name).",
        },
        "resourcePerimeter": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["s3", "sts", "ecr.api", "ecr.dkr", "logs"],
            "description": "Services whose statements must also pin aws:ResourceAccount.",
        },
    },
)
def check(r: Resource, config: Config) -> Iterator[Finding]:
    service = r.get("serviceName")
    short = service.split(".", 3)[-1] if isinstance(service, str) else ""
    if r.type in t.VPC_ENDPOINT and short in (config.get("policyUnsupported") or []):
        return
    if r.type in t.VPC_ENDPOINT and r.get("vpcEndpointType") in ("GatewayLoadBalancer", "Resource", "ServiceNetwork"):
        return
    policy = r.get("policy")
    found = statements(policy)
    if found is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: the endpoint policy is not known yet", True)
        return
    if policy is MISSING or found is MISSING:
        if r.type in t.VPC_ENDPOINT:
            yield Finding(
                r.urn,
                f"{r.label()} ({short or service}) has no policy: AWS allows any principal to any resource through it",
            )
        return
    if not isinstance(found, list):
        yield Finding(r.urn, f"{r.label()}: the endpoint policy is not a valid policy document")
        return
    needs_resource = short in (config.get("resourcePerimeter") or [])
    for s in found:
        if s.effect != "Allow" or _aws_exception(s):
            continue
        outsiders = [w for w in open_to_outsiders(s) if not w.endswith("acting for other accounts")]
        if outsiders:
            yield Finding(
                r.urn,
                f"{r.label()}: statement {s.label} lets {'; '.join(outsiders)} through; limit it to this account's "
                "principals (aws:PrincipalAccount / aws:PrincipalOrgID naming it)",
            )
        elif needs_resource and reaches_other_accounts(s):
            yield Finding(
                r.urn,
                f"{r.label()}: statement {s.label} lets this account's principals reach other accounts' resources; "
                "add aws:ResourceAccount (or aws:ResourceOrgID) naming it",
            )
