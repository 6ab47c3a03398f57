"""NET-04: every VPC endpoint that supports a policy has one that keeps data in the account.

Every Allow statement is limited to this account's principals (aws:PrincipalAccount / aws:PrincipalOrgID),
and on the services that name resources also to its resources (aws:ResourceAccount / aws:ResourceOrgID), or
is one of the exceptions AWS needs: a web-identity role assumption into the account, ECR's image layers from
its own S3 bucket.
"""

import fnmatch
from collections.abc import Iterator

from framework import types as t
from framework.documents import Statement, statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import MISSING, UNKNOWN

PRINCIPAL_KEYS = ("aws:principalaccount", "aws:principalorgid")
RESOURCE_KEYS = ("aws:resourceaccount", "aws:resourceorgid")
ECR_LAYERS = "arn:*:s3:::prod-*-starport-layer-bucket/*"
# Calls that name no resource: aws:ResourceAccount has nothing to pin.
RESOURCELESS = frozenset({"ecr:getauthorizationtoken", "sts:getcalleridentity"})


def _aws_exception(s: Statement) -> bool:
    actions = {a.lower() for a in s.actions()}
    if actions == {"sts:assumerolewithwebidentity"}:
        return bool(set(s.condition_keys()) & set(RESOURCE_KEYS))
    if actions == {"s3:getobject"}:
        return bool(s.resources()) and all(fnmatch.fnmatchcase(r, ECR_LAYERS) for r in s.resources())
    return False


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
        keys = s.condition_keys()
        if not keys & set(PRINCIPAL_KEYS):
            yield Finding(
                r.urn,
                f"{r.label()}: statement {s.sid or '(no Sid)'} is not limited to this account's principals "
                "(aws:PrincipalAccount)",
            )
        elif (
            needs_resource
            and not keys & set(RESOURCE_KEYS)
            and not {a.lower() for a in s.actions()} <= RESOURCELESS
            and any(res == "*" or res.split(":")[4:5] in ([], [""], ["*"]) for res in s.resources() or ["*"])
        ):
            yield Finding(
                r.urn,
                f"{r.label()}: statement {s.sid or '(no Sid)'} lets this account's principals reach other accounts' "
                "resources; add aws:ResourceAccount",
            )
