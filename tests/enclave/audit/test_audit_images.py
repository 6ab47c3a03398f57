"""IAM-08 on a live account (moto's server serves ECR repositories, their policies and tags): the zone repositories
the prod stack declares pass; each console edit that lets another principal pull is one finding on its repository,
and edits that change nothing for pulls (an Allow while the Deny holds) are none; with --stack, a deleted zone
repository is drift."""

from __future__ import annotations

import json
from typing import Any

from components.aws.registry import PULL_ACTIONS, repository_policy
from enclave.audit.catalog import load_catalog
from enclave.audit.context import Context, Thresholds
from enclave.audit.ecr import check as ecr_check
from enclave.audit.model import AuditResult, Incomplete
from enclave.audit.session import CheckFailed
from enclave.preview import default_pack

from .conftest import MOTO_SKIP, ROOT, audit, reset
from .seed import ACCOUNT, REGION, clients, repository_roles, seed_stack, widen_pullers, without_pull_deny

PARTNER = "444455556666"


def _arn(name: str) -> str:
    return f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}"


def _role(prod: Any, logical: str) -> str:
    name = next(r["inputs"]["name"] for r in prod.resources if r["name"] == logical)
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def _put(ecr: Any, name: str, doc: dict[str, Any] | str | None, zone: str | None = "inference") -> None:
    ecr.create_repository(repositoryName=name, tags=[{"Key": "enclave:zone", "Value": zone}] if zone else [])
    if doc is not None:
        ecr.set_repository_policy(repositoryName=name, policyText=doc if isinstance(doc, str) else json.dumps(doc))


def _allow(principal: Any, sid: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": PULL_ACTIONS}


def test_each_edit_that_lets_another_principal_pull_is_one_finding(
    endpoint: str, prod: Any, moto_prod: tuple[str, ...]
) -> None:
    reset(endpoint)
    seed_stack(prod, endpoint)
    run = audit(endpoint, "--format", "json", *MOTO_SKIP)
    assert run.code == 0 and run.report["findings"] == [], run.report["findings"]
    assert run.report["summary"]["resources"]["ecr repositories"] == 4
    ecr = clients(endpoint)["ecr"]
    notebooks_node = _role(prod, "prod-notebooks-g6-node-role")
    pullers, pushers = repository_roles(ecr, "prod/inference/model-server")
    zone_policy = json.loads(repository_policy(pullers, pushers))
    # the roles of the account outside a zone (its node roles and workload roles carry enclave:zone)
    zones = [(r["inputs"].get("tags") or {}).get("enclave:zone") for r in prod.by_type("aws:iam/role:Role")]
    others, inference = (sum(1 for z in zones if z != zone) for zone in ("training", "inference"))
    publisher = pushers[0].split(":")[4]  # the pushers' account (prod's images.push_role_arns), named by the policy
    ecr.delete_repository_policy(repositoryName="prod/notebooks/jupyter")  # the policy removed
    widen_pullers(ecr, "prod/inference/model-server", notebooks_node)  # another zone's nodes: Allow and Deny spared
    trainer = ecr.get_repository_policy(repositoryName="prod/training/trainer")["policyText"]
    ecr.set_repository_policy(repositoryName="prod/training/trainer", policyText=json.dumps(without_pull_deny(trainer)))
    # an Allow to another zone's nodes while the Deny holds: they still cannot pull, nothing to report
    promoter = json.loads(ecr.get_repository_policy(repositoryName="prod/platform/model-promoter")["policyText"])
    promoter["Statement"].append(_allow({"AWS": notebooks_node}, "NotebooksToo"))
    ecr.set_repository_policy(repositoryName="prod/platform/model-promoter", policyText=json.dumps(promoter))
    public = without_pull_deny(json.dumps(zone_policy))
    public["Statement"].append(_allow("*", "Everyone"))
    _put(ecr, "prod/inference/public", public)  # an Allow to '*' with the Deny dropped
    partner = json.loads(json.dumps(zone_policy))
    partner["Statement"].append(_allow({"AWS": f"arn:aws:iam::{PARTNER}:root"}, "Partner"))
    rooted = json.loads(json.dumps(partner))
    _put(ecr, "prod/inference/partner-allowed", rooted)  # another account's root allowed, the Deny holds: no pull
    deny = next(s for s in partner["Statement"] if s.get("Sid") == "PullOnlyByZoneNodes")
    deny["Condition"]["StringNotEquals"] = {"aws:PrincipalAccount": PARTNER}
    _put(ecr, "prod/inference/partner", partner)  # ... and spared by the Deny: the other account pulls
    _put(ecr, "prod/inference/untagged", zone_policy, zone=None)  # no zone: its node role is nobody's own
    _put(ecr, "team-x/tools", None, zone=None)  # not the platform's by any mark: judged all the same
    run = audit(endpoint, "--format", "json", *MOTO_SKIP)
    assert run.code == 1, run.stderr
    assert run.report["incomplete"] == []
    found = {f["resource"]: f["message"] for f in run.report["findings"] if f["control"] == "IAM-08"}
    assert len([f for f in run.report["findings"] if f["control"] == "IAM-08"]) == len(found)  # one per repository
    assert {f["control"] for f in run.report["findings"]} == {"IAM-08"}
    assert set(found) == {
        _arn(n) for n in ("prod/notebooks/jupyter", "prod/inference/model-server", "prod/training/trainer",
                          "prod/inference/public", "prod/inference/partner", "prod/inference/untagged", "team-x/tools")
    }  # fmt: skip
    for name, says in (
        ("prod/notebooks/jupyter", "(images of zone notebooks) has no repository policy"),
        ("team-x/tools", "(no enclave:zone tag, so no role counts as its own (judged strictly)) has no repository"),
        ("prod/inference/model-server", f"(images of zone inference): {notebooks_node} can pull its images"),
        ("prod/training/trainer", f"(images of zone training): any role of this account outside the zone ({others} "
                                  "roles now) can pull"),
        ("prod/inference/public", f"outside the zone ({inference} roles now); any role of account {publisher}; any "
                                  "role of any account the policy does not name can pull"),
        ("prod/inference/partner", f"(images of zone inference): any role of account {PARTNER} can pull"),
        ("prod/inference/untagged", f"(judged strictly)): {_role(prod, 'prod-infer-g6e-node-role')} can pull"),
    ):  # fmt: skip
        message = found[_arn(name)]
        assert says in message, (name, message.split(". Fix: ")[0])
        assert message.startswith(f"{_arn(name)}: repository {name} ") and "Fix: " in message, message
        assert "deny pulls unless aws:PrincipalArn is one of zone" in message
    # the trainer policy lost its Deny: another account's pusher is still not allowed to pull (cross-account pulls
    # need the policy's Allow)
    assert "111122223333" not in found[_arn("prod/training/trainer")] and publisher == "111122223333"
    # with the stack: a zone repository deleted by hand is missing; one with the stack's tags, undeclared, unexpected
    ecr.delete_repository(repositoryName="prod/notebooks/jupyter", force=True)
    tags = [{"Key": "enclave:environment", "Value": "prod"}, {"Key": "enclave:managed-by", "Value": "gpu-enclave"}]
    ecr.tag_resource(resourceArn=_arn("team-x/tools"), tags=tags)
    run = audit(endpoint, "--format", "json", *MOTO_SKIP, *moto_prod)
    drift = {(d["kind"], d["resource"]) for d in run.report["drift"]}
    assert drift == {("missing", "prod/notebooks/jupyter"), ("unexpected", _arn("team-x/tools"))}, drift
    assert _arn("prod/notebooks/jupyter") not in {f["resource"] for f in run.report["findings"]}


class _DeniedTags:
    """A reader whose ListRoleTags is refused, as Reader records a refused call: incomplete, then CheckFailed."""

    def __init__(self, result: AuditResult) -> None:
        self.result = result

    def paginate(self, check: str, service: str, op: str, key: str, **_: Any) -> list[Any]:
        self.result.add_incomplete(Incomplete(check, f"{service}:ListRoleTags: AccessDenied: not allowed"))
        raise CheckFailed(check)


def _judged(policy: str | None, tags: dict[str, str]) -> Context:
    result = AuditResult(account=ACCOUNT, region=REGION)
    ctx = Context(None, load_catalog(default_pack(ROOT)), result, Thresholds())  # type: ignore[arg-type]
    ctx.reader = _DeniedTags(result)  # type: ignore[assignment]
    ctx.live.read.add("ecr")
    ctx.live.repositories[_arn("prod/inference/x")] = {"name": "prod/inference/x", "policy": policy, "tags": tags}
    ecr_check(ctx)
    return ctx


def test_a_policy_the_evaluator_refuses_is_a_finding_and_an_unreadable_zone_is_incomplete() -> None:
    ctx = _judged(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*"}]}), {})
    [finding] = ctx.result.findings
    assert finding.control == "IAM-08"
    assert "its policy cannot be verified (Statement[0]: has neither Action nor NotAction)" in finding.message
    # the zone's node role is let in; whether it is the zone's is on its tags, which cannot be read: the
    # repository is named as not judged, never passed, and no finding is made up
    node = f"arn:aws:iam::{ACCOUNT}:role/prod-infer-g6e-node"
    ctx = _judged(repository_policy([node], []), {"enclave:zone": "inference"})
    assert ctx.result.findings == []
    assert [(i.check, i.reason) for i in ctx.result.incomplete] == [
        ("IAM role prod-infer-g6e-node (IAM-08: its zone)", "iam:ListRoleTags: AccessDenied: not allowed")
    ]
