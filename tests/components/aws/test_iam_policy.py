"""The IAM generator: exact IRSA trust policy; property tests that grants never widen."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from components.aws.iam_policy import WRITE_ACTIONS, ResolvedGrant, grants_policy, trust_policy
from framework.evaluator import Request, evaluate

ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER = (
    "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
)


def test_trust_policy_is_exact() -> None:
    host = ISSUER.removeprefix("https://")
    assert trust_policy(PROVIDER, ISSUER, "training", "trainer") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "IrsaOneServiceAccount",
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{host}:sub": "system:serviceaccount:training:trainer",
                        f"{host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


ACCOUNT = "111122223333"


def test_no_grants_no_policy() -> None:
    assert grants_policy([], "us-east-1", ACCOUNT) is None


def test_read_grant_has_no_write_action() -> None:
    grant = ResolvedGrant("arn:aws:s3:::models", "alias/enclave/prod/inference", "clf/v12", "read")
    doc = grants_policy([grant], "us-east-1", ACCOUNT)
    assert doc is not None
    actions = {a for s in doc["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}
    assert not actions & WRITE_ACTIONS
    listing = next(s for s in doc["Statement"] if s["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["clf/v12", "clf/v12/*"]}}
    kms = next(s for s in doc["Statement"] if s["Resource"].startswith("arn:aws:kms"))
    assert kms["Condition"]["StringEquals"] == {
        "kms:ViaService": "s3.us-east-1.amazonaws.com",
        "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::models",
    }


KEY = "arn:aws:kms:us-east-1:111122223333:key/shared"
ALIAS = "alias/enclave/prod/training"


def _decrypt(
    doc: dict,
    context_arn: str | None,
    via: str = "s3.us-east-1.amazonaws.com",
    aliases: tuple[str, ...] = (ALIAS,),
    key: str = KEY,
) -> str:
    ctx: dict[str, object] = {"kms:ViaService": via, "kms:ResourceAliases": list(aliases)}
    if context_arn is not None:
        ctx["kms:EncryptionContext:aws:s3:arn"] = context_arn
    return evaluate(doc, Request("kms:Decrypt", key, principal_arn="arn:aws:iam::111122223333:role/r", context=ctx))


def test_kms_grant_decrypts_only_its_own_bucket_through_s3() -> None:
    """Two buckets may share a zone key: the grant's KMS permission follows the bucket, not just the key. Every
    bucket encrypts with an S3 Bucket Key, so the context S3 sends is the bucket's ARN; an object ARN (an upload that
    turned the bucket key off for itself) is refused: the grant fails closed rather than widening."""
    doc = grants_policy([ResolvedGrant("arn:aws:s3:::models", ALIAS, "clf/v12", "read")], "us-east-1", ACCOUNT)
    assert doc is not None
    assert _decrypt(doc, "arn:aws:s3:::models") == "Allow", "S3 Bucket Key context: the bucket ARN"
    assert _decrypt(doc, "arn:aws:s3:::models/clf/v12/weights.bin") == "ImplicitDeny", "object context: no bucket key"
    assert _decrypt(doc, "arn:aws:s3:::datasets") == "ImplicitDeny", "another bucket under the same key"
    assert _decrypt(doc, "arn:aws:s3:::models-staging") == "ImplicitDeny", "a bucket sharing the name prefix"
    assert _decrypt(doc, "arn:aws:s3:::models/other/x") == "ImplicitDeny", "another prefix, object context"


def test_kms_grant_conditions_hold_no_prefix_that_could_never_match() -> None:
    """The prefix scoping of a grant is on the object statement; the KMS statement names only what S3 sends (the
    bucket ARN with a bucket key): a `<bucket>/<prefix>/*` context value would be inert, so none is left."""
    grants = [ResolvedGrant("arn:aws:s3:::models", ALIAS, "clf/v12", "read"),
              ResolvedGrant("arn:aws:s3:::models", ALIAS, "clf/v13", "write")]  # fmt: skip
    doc = grants_policy(grants, "us-east-1", ACCOUNT)
    assert doc is not None
    kms = [s for s in doc["Statement"] if str(s["Resource"]).startswith("arn:aws:kms")]
    assert len(kms) == 2
    for stmt in kms:
        context = [
            v
            for block in stmt["Condition"].values()
            for k, v in block.items()
            if k == "kms:EncryptionContext:aws:s3:arn"
        ]
        assert context == ["arn:aws:s3:::models"], stmt
    objects = {s["Resource"] for s in doc["Statement"] if s["Action"] != "s3:ListBucket" and s not in kms}
    assert objects == {"arn:aws:s3:::models/clf/v12/*", "arn:aws:s3:::models/clf/v13/*"}
    assert _decrypt(doc, None) == "ImplicitDeny", "a direct KMS call carries no S3 context"
    assert _decrypt(doc, "arn:aws:s3:::models", via="ec2.us-east-1.amazonaws.com") == "ImplicitDeny"


def test_kms_grant_names_its_key_by_alias_only() -> None:
    """The key is named by its alias (known before the key exists): another key of the account, one in another
    region or account, or one without the alias is refused."""
    doc = grants_policy([ResolvedGrant("arn:aws:s3:::models", ALIAS, "clf/v12", "read")], "us-east-1", ACCOUNT)
    assert doc is not None
    assert _decrypt(doc, "arn:aws:s3:::models", aliases=(ALIAS, "alias/other")) == "Allow", "extra aliases are fine"
    assert _decrypt(doc, "arn:aws:s3:::models", aliases=("alias/enclave/prod/inference",)) == "ImplicitDeny"
    assert _decrypt(doc, "arn:aws:s3:::models", aliases=()) == "ImplicitDeny"
    assert _decrypt(doc, "arn:aws:s3:::models", key="arn:aws:kms:us-west-2:111122223333:key/k") == "ImplicitDeny"
    assert _decrypt(doc, "arn:aws:s3:::models", key="arn:aws:kms:us-east-1:444455556666:key/k") == "ImplicitDeny"


segment = st.from_regex(r"[a-z0-9][a-z0-9_.=-]{0,8}", fullmatch=True).filter(lambda s: s not in {".", ".."})
prefixes = st.lists(segment, min_size=1, max_size=4).map("/".join)
buckets = st.from_regex(r"[a-z][a-z0-9-]{2,20}", fullmatch=True)
grants = st.builds(
    ResolvedGrant,
    bucket_arn=buckets.map(lambda b: f"arn:aws:s3:::{b}"),
    key_alias=buckets.map(lambda a: f"alias/enclave/{a}"),
    prefix=prefixes,
    access=st.sampled_from(["read", "write"]),
)


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


@settings(max_examples=300, deadline=None)
@given(st.lists(grants, min_size=1, max_size=8))
def test_generated_policies_stay_inside_the_grants(gs: list[ResolvedGrant]) -> None:
    doc = grants_policy(gs, "us-east-1", ACCOUNT)
    assert doc is not None
    allowed_objects = {f"{g.bucket_arn}/{g.prefix}/*" for g in gs}
    allowed_buckets = {g.bucket_arn for g in gs}
    account_keys = "arn:aws:kms:us-east-1:111122223333:key/*"
    allowed_keys = {account_keys}
    writable = {f"{g.bucket_arn}/{g.prefix}/*" for g in gs if g.access == "write"}
    writable_keys = {account_keys}
    for stmt in doc["Statement"]:
        assert stmt["Effect"] == "Allow"
        actions = _list(stmt["Action"])
        resources = _list(stmt["Resource"])
        assert all("*" not in a for a in actions), actions
        assert "*" not in resources and "arn:aws:s3:::*" not in resources
        if account_keys in resources:  # the account's keys, narrowed to the grants' aliases
            aliases = stmt["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"]
            assert aliases in {g.key_alias for g in gs}, stmt
        for res in resources:
            assert res in allowed_objects | allowed_buckets | allowed_keys, res
        if any(a in WRITE_ACTIONS for a in actions):
            assert all(r in writable | writable_keys for r in resources), (stmt, writable)
        if "s3:ListBucket" in actions:
            assert set(resources) <= allowed_buckets
            prefixes_ok = {p for g in gs for p in (g.prefix, f"{g.prefix}/*")}
            assert set(stmt["Condition"]["StringLike"]["s3:prefix"]) <= prefixes_ok
