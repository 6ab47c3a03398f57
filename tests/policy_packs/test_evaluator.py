"""The pack's IAM evaluator decides as IAM does: each case is a policy and a request whose decision AWS
documents (the IAM User Guide's evaluation logic and condition-operator pages)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from framework import evaluator as ev
from framework.documents import open_to_outsiders, statements, web_identity_trusts

ACCOUNT, OTHER = "111122223333", "444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/i-0123"
FOREIGN = f"arn:aws:iam::{OTHER}:role/x"
BUCKET = "arn:aws:s3:::data"
SERVICES = "AWS services acting for other accounts"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*", **fields}


def decide(statement: dict[str, Any], action: str = "s3:GetObject", resource: str = f"{BUCKET}/k", **req: Any) -> str:
    return ev.evaluate(doc(statement), ev.Request(action, resource, **req))


def test_the_catalog_expands_wildcards_and_not_action() -> None:
    assert ev.expand_actions("kms:Put*") == {"kms:putkeypolicy"}
    assert ev.expand_actions("STS:AssumeRoleWith*") == {"sts:assumerolewithsaml", "sts:assumerolewithwebidentity"}
    assert "s3:getobject" in ev.expand_actions("s3:Get*") and "s3:putobject" not in ev.expand_actions("s3:Get*")
    assert len(ev.expand_actions("*")) > 15000 and ev.expand_actions("*") == ev.all_actions()
    s = ev.parse_statement({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert "s3:getobject" in s.action_set() and not any(a.startswith("iam:") for a in s.action_set())
    assert "Permissions management" in ev.access_level("kms:PutKeyPolicy")
    with pytest.raises(ev.PolicyError, match="names no action"):
        ev.actions_matching("kms:PutKeyPolicyy")


@pytest.mark.parametrize(
    ("statement", "request_fields", "decision"),
    [
        (allow(Action="S3:getobject"), {}, "Allow"),  # actions are case-insensitive
        (allow(Action="s3:Get*"), {}, "Allow"),
        (allow(Action="s3:?etObject"), {}, "Allow"),
        (allow(Action=None, NotAction="s3:Put*"), {}, "Allow"),
        (allow(Action=None, NotAction="s3:Get*"), {}, "ImplicitDeny"),
        (allow(Resource=None, NotResource=f"{BUCKET}/secret/*"), {}, "Allow"),
        (allow(Resource="arn:aws:s3:::DATA/*"), {}, "ImplicitDeny"),  # resources are case-sensitive
        (allow(Resource="arn:aws:s3:::${aws:username}/*"), {}, "Allow"),  # a variable may be anything
        (allow(Principal="*"), {}, "Allow"),
        (allow(Principal={"AWS": "*"}), {}, "Allow"),
        (allow(Principal={"AWS": ACCOUNT}), {"principal_arn": ROLE}, "Allow"),
        (allow(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), {"principal_arn": SESSION}, "Allow"),
        (allow(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), {"principal_arn": FOREIGN}, "ImplicitDeny"),
        (allow(Principal={"AWS": ROLE}), {"principal_arn": SESSION}, "Allow"),  # a role's sessions
        (allow(Principal={"AWS": ROLE}), {}, "ImplicitDeny"),  # anonymous is nobody named
        (allow(Principal={"Service": "Logging.S3.amazonaws.com"}), {"principal_service": "logging.s3.amazonaws.com"},
         "Allow"),
        (allow(NotPrincipal={"AWS": ROLE}), {"principal_arn": FOREIGN}, "Allow"),
        (allow(NotPrincipal={"AWS": ROLE}), {"principal_arn": ROLE}, "ImplicitDeny"),
    ],
)  # fmt: skip
def test_actions_resources_and_principals(statement: dict, request_fields: dict, decision: str) -> None:
    statement = {k: v for k, v in statement.items() if v is not None}
    assert decide(statement, **request_fields) == decision


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ({"Bool": {"aws:SecureTransport": "False"}}, {"aws:SecureTransport": "false"}, True),  # Bool ignores case
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "false"}, True),  # a JSON boolean
        ({"Bool": {"aws:SecureTransport": "no"}}, {"aws:SecureTransport": "false"}, False),
        ({"StringEquals": {"aws:SecureTransport": "False"}}, {"aws:SecureTransport": "false"}, False),
        ({"StringEqualsIgnoreCase": {"aws:username": "Bob"}}, {"aws:username": "bob"}, True),
        ({"StringEquals": {"AWS:SOURCEACCOUNT": ACCOUNT}}, {"aws:SourceAccount": ACCOUNT}, True),  # key names
        ({"StringEquals": {"aws:SourceAccount": "*"}}, {"aws:SourceAccount": OTHER}, False),  # '*' is literal here
        ({"StringLike": {"aws:SourceAccount": "*"}}, {"aws:SourceAccount": OTHER}, True),
        ({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, {}, True),  # negated, key absent: true
        ({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, {}, False),
        ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, {}, True),
        ({"Null": {"aws:SourceVpce": "true"}}, {}, True),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {}, True),  # vacuous
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {}, False),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a", "c"]}, False),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a", "c"]}, True),
        ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "7"}, True),
        ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2029-06-01T00:00:00Z"},
         True),
        # a date without a zone is UTC; epoch seconds are dates too
        ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00"}}, {"aws:CurrentTime": "1893455999"}, True),
        ({"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00"}},
         {"aws:CurrentTime": "2029-12-31T23:00:00-02:00"}, True),
        ({"BinaryEquals": {"aws:x": "aGVsbG8="}}, {"aws:x": "aGVsbG8="}, True),
        ({"BinaryEquals": {"aws:x": "aGVsbG8="}}, {"aws:x": "d29ybGQ="}, False),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"}, True),
        ({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "::/0"]}}, {"aws:SourceIp": "2001:db8::1"}, False),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}},
         {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"}, True),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*"}}, {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:1:t"},
         False),  # ARN operators match each of the six parts: a '*' does not cross a colon
    ],
)  # fmt: skip
def test_condition_operators(condition: dict, context: dict, holds: bool) -> None:
    assert (decide(allow(Condition=condition), context=context) == "Allow") is holds


def test_an_explicit_deny_wins_and_a_single_statement_object_is_a_policy() -> None:
    policy = doc(allow(), {"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    assert ev.evaluate(policy, ev.Request("s3:GetObject", f"{BUCKET}/k")) == "Deny"
    one = json.dumps({"Statement": allow()})
    assert ev.evaluate(one, ev.Request("s3:GetObject", f"{BUCKET}/k")) == "Allow"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("{not json", "not valid JSON"),
        ({"Statement": ["Allow everything"]}, "is not a statement object"),
        ({"Statement": {"Effect": "allow", "Action": "*"}}, "Effect: 'allow' is neither"),
        ({"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "s3:*"}}, "both Action and NotAction"),
        ({"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"StringEqual": {"k": "v"}}}},
         "unknown condition operator 'StringEqual'"),
        ({"Statement": {"Effect": "Allow", "Action": "*", "Principal": {"User": "x"}}}, "unknown principal kind"),
    ],
)  # fmt: skip
def test_a_document_iam_refuses_raises_a_clear_error(document: Any, problem: str) -> None:
    with pytest.raises(ev.PolicyError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        ev.parse(document)


def test_keys_the_requester_chooses() -> None:
    perimeter = {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Principal": "*",
                 "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}  # fmt: skip
    request = ev.Request("s3:GetObject", f"{BUCKET}/k", principal_arn=ROLE, chosen=["aws:SourceVpce"])
    assert ev.can_allow(doc(allow(Principal="*"), perimeter), request)  # from inside the perimeter
    assert not ev.always_denies(doc(perimeter), request)
    pinned = ev.Request("s3:GetObject", f"{BUCKET}/k", principal_arn=ROLE, context={"aws:SourceVpce": "vpce-2"})
    assert ev.always_denies(doc(perimeter), pinned)


def test_a_chosen_principal_key_is_not_the_one_the_principal_derives() -> None:
    """A probe that stands for any role of the account (S3-07's) names aws:PrincipalArn among its chosen keys: an
    identity perimeter then cannot refuse it whatever it asks; without `chosen`, the role's own ARN decides."""
    identities = {
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": "*",
        "Principal": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/x"}},
    }
    chosen = ev.Request("s3:PutObject", f"{BUCKET}/k", principal_arn=ROLE, chosen=["aws:PrincipalArn"])
    assert not ev.always_denies(doc(identities), chosen)
    assert ev.always_denies(doc(identities), ev.Request("s3:PutObject", f"{BUCKET}/k", principal_arn=ROLE))
    # chosen=True chooses only what the request does not carry: the principal's own keys stay its own
    assert ev.always_denies(doc(identities), ev.Request("s3:PutObject", f"{BUCKET}/k", principal_arn=ROLE,
                                                        chosen=True))  # fmt: skip


def _statement(**fields: Any) -> Any:
    [s] = statements(doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **fields}))
    return s


@pytest.mark.parametrize(
    ("fields", "outsiders"),
    [
        ({"Principal": "*"}, ["anyone, without credentials", "principals of other accounts", SERVICES]),
        ({"Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}}, []),
        ({"Principal": {"AWS": "*"}, "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}}},
         ["principals of other accounts"]),
        ({"Principal": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}},
         ["anyone, without credentials", "principals of other accounts", SERVICES]),
        ({"Principal": "*", "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-ours"}}},
         ["anyone, without credentials", "principals of other accounts", SERVICES]),
        ({"Principal": "*", "Condition": {"StringLike": {"aws:SourceAccount": "*"}}}, [SERVICES]),
        ({"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-ours"}}}, []),
        ({"Principal": {"Service": "cloudtrail.amazonaws.com"},
          "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}, []),
        ({"Principal": {"Service": "cloudtrail.amazonaws.com"}},
         ["cloudtrail.amazonaws.com acting for other accounts"]),
        ({"Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}}, []),  # a named account is not the public
        ({"NotPrincipal": {"AWS": ROLE}}, ["anyone, without credentials", "principals of other accounts"]),
    ],
)  # fmt: skip
def test_who_outside_the_account_a_statement_lets_in(fields: dict, outsiders: list[str]) -> None:
    assert open_to_outsiders(_statement(**fields)) == outsiders


def test_web_identity_trust_is_judged_by_the_tokens_it_admits() -> None:
    issuer = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}"

    def trust(condition: dict) -> Any:
        found = statements(doc({"Effect": "Allow", "Principal": {"Federated": provider},
                                "Action": "sts:AssumeRoleWith*", "Condition": condition}))  # fmt: skip
        [t] = web_identity_trusts(found)
        return t

    sub, aud = f"{issuer}:sub", f"{issuer}:aud"
    pinned = trust({"StringEquals": {sub: "system:serviceaccount:a:b", aud: "sts.amazonaws.com"}})
    assert pinned.kubernetes and pinned.subjects == ("system:serviceaccount:a:b",)
    assert not pinned.stray_subject and not pinned.stray_audience
    wild = trust({"StringLike": {f"{issuer}:sub": "system:serviceaccount:a:*"}})
    assert wild.stray_subject and wild.subjects == ()  # every ServiceAccount of namespace a
    anything = trust({"StringLike": {f"{issuer}:SUB": "system:serviceaccount:*"}})
    assert anything.stray_subject and anything.stray_audience
