"""DETECT-04: nobody outside the account may publish to (or read) a topic: every statement of its policy, decided
by evaluation (principals of other accounts, anonymous callers, AWS services acting for other accounts), keeps
them out. A policy the topic carries inline counts as one given by a TopicPolicy."""

from collections.abc import Iterator

from framework.documents import named_accounts, open_to_outsiders, problem, statements
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.types import SNS_TOPIC, SNS_TOPIC_POLICY
from framework.values import MISSING, UNKNOWN


@stack_rule(
    "alarm-topic-publishers-scoped",
    "DETECT-04",
    "Only this account's alarm services publish to a topic",
    subjects=(*SNS_TOPIC, *SNS_TOPIC_POLICY),
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for r in [*stack.of_type(*SNS_TOPIC), *stack.of_type(*SNS_TOPIC_POLICY)]:
        document = r.get("policy")
        if document is MISSING or document is None:
            continue  # a topic with no inline policy: SNS's default (the owner account) or its TopicPolicy
        found = statements(document)
        if found is UNKNOWN:
            yield Finding(r.urn, f"{r.label()}: its policy is not known yet", True)
            continue
        if found is None:
            yield Finding(r.urn, f"{r.label()}: the policy is refused by AWS ({problem(document)})")
            continue
        for s in found:
            # the topic's own account is the one its ARN names; a principal of any other is an outsider too
            own = {str(a).split(":")[4] for a in s.resources() if str(a).startswith("arn:") and str(a).count(":") >= 5}
            foreign = sorted(named_accounts(s) - own) if s.effect == "Allow" and own else []
            outsiders = open_to_outsiders(s) + [f"account {a}" for a in foreign]
            if outsiders:
                yield Finding(
                    r.urn,
                    f"{r.label()}: statement {s.label} lets {'; '.join(outsiders)} in; pin services with "
                    "aws:SourceAccount / aws:SourceArn of this account and name no principal of another account",
                )
