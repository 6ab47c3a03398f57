"""Who may pull a zone's images (IAM-08), as ECR decides it: asked of a repository policy by the pack's rule
(`rules/iam/zone_images_pulled_by_zone_nodes.py`) and by `enclave audit` on a live account.

Standard library only and free of the rest of the framework, so `enclave audit` loads this file by path; each caller
passes the policy evaluator it has (`framework/evaluator.py`, imported as a package or loaded by path).

Within one account an identity policy's Allow is enough for ECR (every node role's AmazonEC2ContainerRegistryPullOnly
allows pulls on `*`), so only an explicit Deny in the repository policy keeps a role out; a role of another account
pulls only with the repository policy's Allow and no Deny. The probes are every role the policies name, a stranger
role of the repository's account, and a stranger of every other account the policies name and of one they do not.
"""

import json
import re
from collections.abc import Sequence
from typing import Any

FETCH = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
STRANGER = "enclave-image-probe"  # a role name no account is expected to hold: a role the policy does not name
UNNAMED_ACCOUNTS = ("999988887777", "444455556666")  # an account the policies do not name: the first one free
_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")


def stranger(account: str, partition: str = "aws") -> str:
    """The probe standing for every role of `account` that the policies do not name."""
    return f"arn:{partition}:iam::{account}:role/{STRANGER}"


def is_stranger(arn: str) -> bool:
    return arn.endswith(f":role/{STRANGER}")


def named_roles(evaluator: Any, docs: Sequence[Any]) -> list[str]:
    """Every role ARN the policies name exactly: Principal and NotPrincipal AWS values, aws:PrincipalArn values (any
    operator, any case of the key). Patterns (`*`, `?`) are not roles: the strangers stand for them."""
    out: set[str] = set()
    for doc in docs:
        for s in evaluator.parse(doc):
            out.update(s.principal_values("AWS"))
            out.update((s.not_principal or {}).get("AWS", ()))
            out.update(s.condition_values("aws:PrincipalArn"))
    return sorted(
        a for a in out if a.startswith("arn:") and a.count(":") >= 5 and ":role/" in a and not set("*?") & set(a)
    )


def other_accounts(docs: Sequence[Any], home: str) -> tuple[list[str], str]:
    """The accounts other than `home` that the policies name anywhere (a principal, an account root or id, an ARN,
    a condition value), and one account they do not name."""
    named = set(_ACCOUNT_ID.findall(json.dumps(list(docs), default=str))) - {home}
    taken = named | {home}
    free = next(a for a in (*UNNAMED_ACCOUNTS, *(f"{n:012d}" for n in range(1, 1000))) if a not in taken)
    return sorted(named), free


def pulls(evaluator: Any, docs: Sequence[Any], repo_arn: str, principal: str, home: str) -> bool:
    """Whether `principal` may fetch the repository's images: a role of `home` (the repository's account) unless an
    explicit Deny refuses it, a role of another account only with the repository policy's Allow and no Deny. A role
    whose account cannot be told is judged as one of `home` (the stricter)."""
    same_account = evaluator.account_of(principal) in (home, None)
    for action in FETCH:
        request = evaluator.Request(action, repo_arn, principal_arn=principal, context={"aws:ViaAWSService": "false"})
        decisions = {evaluator.evaluate(d, request) for d in docs}
        if "Deny" not in decisions and (same_account or "Allow" in decisions):
            return True
    return False
