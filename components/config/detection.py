"""Detect and respond: the security-alarm topic and its subscribers, the alarms' thresholds, GuardDuty, Falco."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import Namespace, StrictModel
from .kubernetes import ChartVersion, ImageTag

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}$")
_HTTPS = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[^\s]*)?$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")


class Subscription(StrictModel):
    """Who hears the security alarms: an address, an HTTPS endpoint (a pager, a SIEM), or an existing topic."""

    protocol: Literal["email", "https", "sns"] = Field(
        description="email (confirmed by its owner), https (confirmed by the endpoint) or sns (a topic ARN)."
    )
    endpoint: Annotated[str, Field(min_length=3, max_length=2048)] = Field(
        description="The address, the https:// URL, or the topic ARN (arn:aws:sns:<region>:<account>:<name>)."
    )

    @model_validator(mode="after")
    def _endpoint_fits_protocol(self) -> Subscription:
        shape = {"email": _EMAIL, "https": _HTTPS, "sns": _TOPIC_ARN}[self.protocol]
        if not shape.match(self.endpoint):
            wanted = {
                "email": "an e-mail address such as secops@example.com",
                "https": "an https:// URL (plain http would carry alarms unencrypted)",
                "sns": "an SNS topic ARN such as arn:aws:sns:us-east-1:111122223333:secops",
            }[self.protocol]
            raise ValueError(f"endpoint {self.endpoint[:80]!r} is not {wanted}")
        return self


class Alarm(StrictModel):
    """One alarm: it fires when the metric reaches `threshold` in `evaluation_periods` periods in a row."""

    threshold: float = Field(ge=0, le=1e15, description="The metric's sum per period at which the alarm fires.")
    period_seconds: int = Field(
        ge=60, le=86400, multiple_of=60, description="The period (seconds, a multiple of 60) the metric is summed over."
    )
    evaluation_periods: int = Field(default=1, ge=1, le=100, description="Periods in a row before it fires.")


class Alarms(StrictModel):
    """Thresholds and periods of each alarm (named for the signal it watches). The defaults alarm on the first
    event wherever one event already means something is wrong."""

    denied_network_policy_flows: Alarm = Field(
        default_factory=lambda: Alarm(threshold=20, period_seconds=300),
        description="Flows the VPC CNI's network-policy agent denied (its policy event log).",
    )
    egress_refused: Alarm = Field(
        default_factory=lambda: Alarm(threshold=1, period_seconds=300),
        description="Connections refused on their way out: flow-log REJECTs to addresses outside the VPC, and the "
        "mesh's BlackHole / REGISTRY_ONLY drops per zone.",
    )
    undeclared_artifact_access: Alarm = Field(
        default_factory=lambda: Alarm(threshold=1, period_seconds=300),
        description="Object reads or writes of an artifact bucket by a principal none of its declared identities.",
    )
    large_transfer_out: Alarm = Field(
        default_factory=lambda: Alarm(threshold=5 * 1024**3, period_seconds=3600),
        description="Bytes per source subnet to destinations outside the VPC and the routed networks.",
    )
    log_delivery_stopped: Alarm = Field(
        default_factory=lambda: Alarm(threshold=1, period_seconds=3600),
        description="Fewer than `threshold` events delivered by the trail (or the flow log) in the period.",
    )
    security_configuration_changed: Alarm = Field(
        default_factory=lambda: Alarm(threshold=1, period_seconds=300),
        description="Changes to KMS key policies, the trail, bucket policies, security groups or EKS access "
        "entries by anyone but the deployment roles.",
    )


class GuardDuty(StrictModel):
    """GuardDuty: `create` makes the stack's own detector; `organization` says the organisation's delegated
    administrator runs it (the pack accepts that with a note); `off` has neither (the pack refuses that in staging
    and prod)."""

    mode: Literal["create", "organization", "off"] = Field(default="create", description="create | organization | off.")
    finding_frequency: Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"] = Field(
        default="FIFTEEN_MINUTES", description="How often updated findings are published."
    )


class Falco(StrictModel):
    """Runtime detection in the cluster: Falco (modern eBPF) with falcosidekick publishing to the alarm topic."""

    enabled: bool = Field(
        default=False,
        description="Install Falco and falcosidekick (needs detection.alarms: alerts go to the alarm topic). Images "
        "come from kubernetes.image_mirror, docker.io without one.",
    )
    namespace: Namespace = Field(default="falco", description="Falco's own namespace, outside every zone.")
    chart: ChartVersion = Field(default="9.1.1", description="falcosecurity/falco Helm chart version (pinned).")
    image: ImageTag = Field(default="0.44.1", description="Falco's image tag (the chart's appVersion).")
    sidekick_image: ImageTag = Field(default="2.32.0", description="falcosidekick's image tag.")
    model_paths: list[Annotated[str, Field(pattern=r"^/[A-Za-z0-9._/-]*$", max_length=256)]] = Field(
        default_factory=lambda: ["/models", "/mnt/models", "/opt/ml/model"],
        max_length=16,
        description="Paths where inference pods read model weights: a write there is an alert.",
    )


class Detection(StrictModel):
    """Detect and respond (on in staging and prod). Off, the pack's DETECT-04..12 controls fail unless the pack
    config says otherwise, with a note."""

    alarms: bool = Field(
        default=True,
        description="The security-alarm topic (KMS-encrypted), CloudTrail notifications, metric filters and alarms.",
    )
    subscriptions: list[Subscription] = Field(
        default_factory=list, max_length=16, description="Who the alarm topic notifies."
    )
    thresholds: Alarms = Field(default_factory=Alarms)
    deployment_role_arns: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")]] = (
        Field(
            default_factory=list,
            max_length=16,
            description="Roles whose changes to keys, the trail, bucket policies, security groups and access "
            "entries raise no alarm (those `pulumi up` runs as). Default: cluster.admin_role_arns.",
        )
    )
    guardduty: GuardDuty = Field(default_factory=GuardDuty)
    falco: Falco = Field(default_factory=Falco)
