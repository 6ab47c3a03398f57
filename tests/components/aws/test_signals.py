"""Each alarm's filter pattern against records in the shapes their sources write: it counts its positive samples
and none of its negatives (framework.filter_patterns evaluates CloudWatch's documented syntax)."""

from __future__ import annotations

import pytest

from components.aws.signals import (
    DENIED_FLOW_PATTERN,
    FLOW_LOG_FORMAT,
    SECURITY_CHANGES,
    SignalError,
    assumed_role_globs,
    cidr_globs,
    egress_refused_pattern,
    mesh_drop_pattern,
    security_change_pattern,
    transfer_out_pattern,
    undeclared_access_pattern,
)
from framework import signal_samples as s
from framework.filter_patterns import check_samples, parse

VPC = ["10.20.0.0/16"]
ROUTED = ["10.0.0.0/8", "172.16.0.0/12"]
DEPLOYER = f"arn:aws:iam::{s.ACCOUNT}:role/platform/gpu-enclave-deploy"


def flow(**values: str) -> str:
    line = s.flow_line(FLOW_LOG_FORMAT, **values)
    assert line is not None
    return line


def test_cidr_globs_cover_exactly_the_network() -> None:
    assert cidr_globs(["10.20.0.0/16"]) == ["10.20.*"]
    assert cidr_globs(["10.0.0.0/8"]) == ["10.*"]
    assert cidr_globs(["172.16.0.0/12"]) == [f"172.{i}.*" for i in range(16, 32)]
    assert cidr_globs(["10.20.16.0/20"]) == [f"10.20.{i}.*" for i in range(16, 32)]
    assert cidr_globs(["10.20.1.7/32"]) == ["10.20.1.7"]
    with pytest.raises(SignalError):
        cidr_globs(["fd00::/8"])


def test_denied_network_policy_flows() -> None:
    problems = check_samples(
        DENIED_FLOW_PATTERN,
        [s.cni_line("DENY"), s.cni_line("DENY", tier=None)],
        [s.cni_line("ACCEPT"), s.cni_line("EXPIRED/DELETED"), s.cni_line("ACCEPT", tier=None)],
    )
    assert problems == []


def test_egress_refused_in_flow_logs() -> None:
    pattern = egress_refused_pattern(VPC)
    problems = check_samples(
        pattern,
        [flow(), flow(dstaddr="8.8.8.8", dstport="53", protocol="17"), flow(dstaddr="10.200.0.5")],
        [
            flow(dstaddr="10.20.5.12"),  # inside the VPC: a security group between zones, not egress
            flow(action="ACCEPT"),
            flow(flow_direction="ingress", srcaddr=s.OUTSIDE, dstaddr="10.20.3.44"),
            s.nodata_line(FLOW_LOG_FORMAT) or "",
        ],
    )
    assert problems == []


def test_the_flow_pattern_needs_the_configured_format() -> None:
    # a line in AWS's default format has fewer fields: the pattern, written for FLOW_LOG_FORMAT, counts nothing
    default = s.flow_line(None)
    assert default is not None and not parse(egress_refused_pattern(VPC)).matches(default)


def test_large_transfers_out_per_subnet() -> None:
    pattern = parse(transfer_out_pattern([*VPC, *ROUTED]))
    big = flow(action="ACCEPT", bytes="7340032000")
    assert pattern.value(big, "$bytes") == 7340032000
    assert pattern.extract(big) is not None and pattern.extract(big)["$subnet_id"] == "subnet-0123456789abcdef0"
    for negative in (
        flow(action="ACCEPT", dstaddr="10.20.7.1"),  # inside the VPC
        flow(action="ACCEPT", dstaddr="10.31.0.9"),  # a routed network
        flow(action="ACCEPT", dstaddr="172.20.0.1"),
        flow(action="REJECT", bytes="7340032000"),
        flow(action="ACCEPT", flow_direction="ingress"),
    ):
        assert not pattern.matches(negative), negative


def test_mesh_blackhole_drops_per_zone() -> None:
    pattern = mesh_drop_pattern(["training", "training-batch"])
    problems = check_samples(
        pattern,
        [
            s.envoy_record("training", "BlackHoleCluster"),
            s.envoy_record("training-batch", "BlackHoleCluster"),
            s.envoy_record("training", "-", route_name="block_all", code=502),
        ],
        [
            s.envoy_record("inference", "BlackHoleCluster"),  # another zone's own alarm
            s.envoy_record("training", "outbound|443||pypi.org"),
            s.envoy_record("training", "PassthroughCluster"),
            s.envoy_record("training", "BlackHoleCluster", container="trainer"),  # an app that logs the word
        ],
    )
    assert problems == []


def test_artifact_access_by_an_undeclared_principal() -> None:
    declared = [f"arn:aws:iam::{s.ACCOUNT}:role/prod-trainer-role-1a2b3c4", f"arn:aws:iam::{s.ACCOUNT}:role/x/reader"]
    pattern = undeclared_access_pattern("prod-datasets-1a2b3c4", assumed_role_globs(s.ACCOUNT, declared))
    bucket = "prod-datasets-1a2b3c4"
    problems = check_samples(
        pattern,
        [
            s.s3_data_event(bucket, "role/intruder"),
            s.s3_data_event(bucket, "user/alice", name="PutObject"),
            s.s3_data_event(bucket, "root", name="DeleteObject"),
            s.s3_data_event(bucket, "service:batchoperations.s3.amazonaws.com"),
        ],
        [
            s.s3_data_event(bucket, "role/prod-trainer-role-1a2b3c4"),
            s.s3_data_event(bucket, "role/x/reader", name="PutObject"),
            s.s3_data_event("prod-models-9z8y7x6", "role/intruder"),
            s.trail_event("s3.amazonaws.com", "PutBucketPolicy", "role/intruder", bucketName=bucket),
        ],
    )
    assert problems == []


@pytest.mark.parametrize(("signal", "source", "events"), SECURITY_CHANGES, ids=[c[0] for c in SECURITY_CHANGES])
def test_security_changes_by_anyone_but_the_deployers(signal: str, source: str, events: tuple[str, ...]) -> None:
    pattern = security_change_pattern(source, events, s.ACCOUNT, [DEPLOYER])
    positive = [s.trail_event(source, e, who) for e in events for who in ("role/intruder", "user/alice", "root")]
    negative = [
        *(s.trail_event(source, e, "role/platform/gpu-enclave-deploy") for e in events),
        s.trail_event(source, events[0], "role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"),
        s.trail_event(source, "Describe" + events[0], "role/intruder"),
        s.trail_event("iam.amazonaws.com", events[0], "role/intruder"),
    ]
    assert check_samples(pattern, positive, negative) == [], signal


def test_a_pattern_too_long_for_cloudwatch_is_refused_when_built() -> None:
    many = [f"arn:aws:iam::{s.ACCOUNT}:role/{'r' * 60}{i}" for i in range(30)]
    with pytest.raises(SignalError, match="1024"):
        undeclared_access_pattern("b", assumed_role_globs(s.ACCOUNT, many))


def test_a_nodata_record_is_a_line_of_the_configured_format() -> None:
    line = s.nodata_line(FLOW_LOG_FORMAT)
    default = s.flow_line(FLOW_LOG_FORMAT)
    assert line is not None and default is not None
    assert "NODATA" in line.split() and len(line.split()) == len(default.split())
