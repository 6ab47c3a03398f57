"""What one audit run shares: the reader, the catalog, the thresholds and what was read of the account."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog
from .model import AuditResult, Finding
from .session import CheckFailed, Reader


@dataclass
class Thresholds:
    min_retention_days: int = 365
    min_audit_retention_days: int = 2192
    object_lock_days: int = 2192
    max_session_seconds: int = 3600

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Thresholds:
        return cls(
            min_retention_days=catalog.setting("log-groups-retained", "minRetentionDays", 365),
            min_audit_retention_days=catalog.setting("log-groups-retained", "minAuditRetentionDays", 2192),
            object_lock_days=catalog.setting("s3-audit-bucket-object-locked", "minAuditRetentionDays", 2192),
            max_session_seconds=catalog.setting("iam-role-sessions-short", "maxSessionSeconds", 3600),
        )


@dataclass
class Live:
    """What was read, per kind; a field a read could not fetch is absent (its check is already incomplete)."""

    keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # by key ARN
    aliases: dict[str, str] = field(default_factory=dict)  # alias name -> key ARN
    remote_keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # keys of other regions, by ARN
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # by user name: arn, keys (active key ids)
    root_keys: int | None = None  # the account's root access keys (GetAccountSummary)
    oidc_providers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by provider ARN: url, client_ids
    trails: dict[str, dict[str, Any]] = field(default_factory=dict)  # by trail ARN
    log_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)
    nodegroups: dict[str, dict[str, Any]] = field(default_factory=dict)  # by "<cluster>/<nodegroup>"
    templates: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # by "<id>:<version>"
    security_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    vpcs: dict[str, dict[str, Any]] = field(default_factory=dict)
    topics: dict[str, dict[str, Any]] = field(default_factory=dict)  # by topic ARN: its attributes
    alarms: list[dict[str, Any]] = field(default_factory=list)  # CloudWatch metric alarms
    metric_filters: list[dict[str, Any]] = field(default_factory=list)
    event_rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # by rule ARN, with _targets
    detectors: dict[str, dict[str, Any]] = field(default_factory=dict)  # GuardDuty, by detector id
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)  # Secrets Manager secrets by ARN
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)  # Firehose streams by ARN: their description
    subscriptions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # log group -> subscription filters
    repositories: dict[str, dict[str, Any]] = field(default_factory=dict)  # ECR, by ARN: name, policy, tags
    read: set[str] = field(default_factory=set)  # kinds whose listing succeeded


@dataclass
class Context:
    reader: Reader
    catalog: Catalog
    result: AuditResult
    thresholds: Thresholds
    tags: bool = False  # read tags of every resource (drift needs them)
    skip: frozenset[str] = frozenset()  # control ids not to check
    live: Live = field(default_factory=Live)
    progress: Callable[[str], None] = lambda _label: None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def partition(self) -> str:
        return "aws-cn" if self.result.region.startswith("cn-") else "aws"

    @property
    def account(self) -> str:
        return self.result.account

    def finding(self, cid: str, resource: str, message: str) -> None:
        control = self.catalog.control(cid)
        self.result.add_finding(
            Finding(
                control=cid,
                citations=list(control.citations),
                severity=control.severity,
                resource=resource,
                message=f"{resource}: {message}. Fix: {control.remediation}",
                level=self.catalog.level(cid),
            )
        )

    def key_for(self, ref: str | None) -> dict[str, Any] | None:
        """The live key a key id, ARN, alias name or alias ARN names, when it is in this account and region."""
        if not ref:
            return None
        if ref in self.live.keys:
            return self.live.keys[ref]
        name = ref.split(":", 5)[-1] if ref.startswith("arn:") else ref
        if name.startswith("alias/"):
            arn = self.live.aliases.get(name)
            return self.live.keys.get(arn) if arn else None
        key_id = name.split("/", 1)[-1]
        return next((k for k in self.live.keys.values() if k["id"] == key_id), None)

    def remote_key(self, arn: str, region: str) -> dict[str, Any] | None:
        """Key `arn` of another region (a backup replica's), described there once; None when the read failed."""
        with self._lock:
            if arn in self.live.remote_keys:
                return self.live.remote_keys[arn]
        try:
            answer = self.reader.call(f"KMS key {arn}", "kms", "describe_key", in_region=region, KeyId=arn)
        except CheckFailed:
            return None
        meta = (answer or {}).get("KeyMetadata", {})
        key = {"arn": arn, "manager": meta.get("KeyManager"), "state": meta.get("KeyState")}
        with self._lock:
            self.live.remote_keys[arn] = key
        return key

    def customer_key_problem(self, ref: str | None) -> str | None:
        """Why `ref` is not a customer-managed key, or None when it is (or is another account's key)."""
        if not ref:
            return "no KMS key"
        if "alias/aws/" in ref:
            return f"the AWS-managed key {ref}"
        key = self.key_for(ref)
        parts = ref.split(":")
        if key is None and ref.startswith("arn:") and len(parts) > 5 and parts[3] not in ("", self.result.region):
            if parts[4] != self.account:
                return None  # another account's key: customer-managed by definition
            key = self.remote_key(ref, parts[3])  # a key of the backups' region: described there
            if key is None:
                return None  # the read failed: already incomplete
        if key is None:
            if "kms" not in self.live.read:
                return None  # the KMS listing failed: already incomplete
            if ref.startswith("arn:") and f":{self.account}:" not in ref:
                return None  # another account's key: customer-managed by definition
            return f"{ref}, which is not a key of this account and region"
        if key.get("manager") != "CUSTOMER":
            return f"the AWS-managed key {key['arn']}"
        if key.get("state") not in (None, "Enabled"):
            return f"the key {key['arn']}, which is {key.get('state')}"
        return None
