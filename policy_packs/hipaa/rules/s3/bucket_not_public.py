"""S3-08: no bucket policy, ACL or grant opens a bucket to the public: a statement is public when it lets in
anyone, a principal of another account or an AWS service acting for another account, decided by evaluating it
(framework.documents.open_to_outsiders), so condition values count, not their presence."""

from collections.abc import Iterator
from typing import Any

from framework import types as t
from framework.documents import open_to_outsiders, problem, statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import UNKNOWN, as_list

PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def _grants(value: Any) -> Iterator[str]:
    for grant in as_list(value):
        if isinstance(grant, dict):
            grantee = grant.get("grantee") if isinstance(grant.get("grantee"), dict) else grant
            uri = grantee.get("uri") if isinstance(grantee, dict) else None
            if uri in PUBLIC_GRANTEES:
                yield str(uri)


@resource_rule(
    "s3-bucket-not-public",
    "S3-08",
    "Bucket policies, ACLs and grants give nothing to the public",
    (*t.BUCKET, *t.BUCKET_POLICY, *t.BUCKET_ACL),
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    acl = r.get("acl")
    if acl in PUBLIC_ACLS:
        yield Finding(r.urn, f"{r.label()}: acl is {acl!r}; remove it (ACLs are disabled by BucketOwnerEnforced)")
    grants = [*_grants(r.get("grants")), *_grants(r.get("accessControlPolicy.grants"))]
    if grants:
        yield Finding(r.urn, f"{r.label()} grants access to {', '.join(sorted(set(grants)))}")
    found = statements(r.get("policy"))
    if found is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: the bucket policy is not known yet", True)
    elif found is None:
        yield Finding(r.urn, f"{r.label()}: the bucket policy is refused by AWS ({problem(r.get('policy'))})")
    elif isinstance(found, list):
        for s in found:
            who = open_to_outsiders(s)
            if who:
                what = ", ".join(s.actions()) or f"every action but {', '.join(s.not_actions())}"
                yield Finding(
                    r.urn,
                    f"{r.label()}: statement {s.label} allows {what} to {'; '.join(who)}; limit it to this "
                    "account with aws:SourceAccount, aws:SourceArn or aws:PrincipalAccount values that name it, or "
                    "remove it (a network condition such as aws:SourceVpce limits the path, not who)",
                )
