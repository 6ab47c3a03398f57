"""LOG-07 and LOG-08 live (`enclave audit` against a moto server): clusters, VPCs and Firehose streams made by hand
with the copies a console could leave (no subscription filter, a filter into Kinesis or on a pattern, a store
without object lock, under GOVERNANCE or a short retention, without SSE-KMS; a flow log only to CloudWatch or of
rejected traffic only; a stream unencrypted, under an AWS owned or disabled key) are each named with what is wrong;
the compliant paths (S3 delivery, a subscribed CloudWatch group, a flow log into Firehose) are not. Cases moto
cannot hold (a bucket of another account, a stream fed by Kinesis) run on the pure functions below."""

from __future__ import annotations

from typing import Any

import boto3

from enclave.audit import log_copies
from enclave.audit.catalog import load_catalog
from enclave.audit.context import Context, Thresholds
from enclave.audit.model import AuditResult
from enclave.preview import default_pack

from .conftest import MOTO_SKIP, ROOT, audit, reset
from .seed import ACCOUNT, REGION, clients

LOCK_DAYS = 2192
ROLE = f"arn:aws:iam::{ACCOUNT}:role/copies"


def _bucket(s3: Any, name: str, key: str | None, lock: tuple[str, int] | None) -> None:
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock is not None)
    if lock is not None:
        retention = {"DefaultRetention": {"Mode": lock[0], "Days": lock[1]}}
        s3.put_object_lock_configuration(
            Bucket=name, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": retention}
        )
    default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key} if key else {"SSEAlgorithm": "AES256"}
    rules = [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})


def _stream(firehose: Any, name: str, bucket: str, key: str | None, sse: dict[str, str] | None) -> str:
    destination: dict[str, Any] = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"}
    if key:
        destination["EncryptionConfiguration"] = {"KMSEncryptionConfig": {"AWSKMSKeyARN": key}}
    arn = firehose.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut", ExtendedS3DestinationConfiguration=destination
    )["DeliveryStreamARN"]
    if sse is not None:
        firehose.start_delivery_stream_encryption(
            DeliveryStreamName=name, DeliveryStreamEncryptionConfigurationInput=sse
        )
    return str(arn)


def _cluster(c: dict[str, Any], name: str, subnet: str, logs: bool = True, group: bool = True) -> str:
    logging = {"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": logs}]}
    vpc = {"subnetIds": [subnet], "endpointPublicAccess": False, "endpointPrivateAccess": True}
    arn = c["eks"].create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=vpc, logging=logging)["cluster"]["arn"]
    if group:
        c["logs"].create_log_group(logGroupName=f"/aws/eks/{name}/cluster")
    return str(arn)


def _subscribe(c: dict[str, Any], group: str, destination: str, pattern: str = "") -> None:
    c["logs"].put_subscription_filter(
        logGroupName=group, filterName="copy", filterPattern=pattern, destinationArn=destination, roleArn=ROLE
    )


def _vpc(c: dict[str, Any], cidr: str, **flow: Any) -> str:
    vpc = str(c["ec2"].create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"])
    if flow:
        made = c["ec2"].create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", **{"TrafficType": "ALL", **flow})
        assert not made.get("Unsuccessful"), made
    return vpc


def test_log_copies_are_judged_as_the_pack_judges_them(endpoint: str) -> None:
    reset(endpoint)
    c = clients(endpoint)
    kms, s3, firehose = c["kms"], c["s3"], c["firehose"]
    key = kms.create_key(Description="copies")["KeyMetadata"]["Arn"]
    off = kms.create_key(Description="disabled")["KeyMetadata"]
    kms.disable_key(KeyId=off["KeyId"])
    good_sse = {"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key}
    _bucket(s3, "copies-good", key, ("COMPLIANCE", LOCK_DAYS))
    _bucket(s3, "copies-unlocked", key, None)
    _bucket(s3, "copies-governance", key, ("GOVERNANCE", LOCK_DAYS))
    _bucket(s3, "copies-short", key, ("COMPLIANCE", 30))
    _bucket(s3, "copies-sse-s3", None, ("COMPLIANCE", LOCK_DAYS))
    streams = {
        name: _stream(firehose, name, bucket, key, good_sse)
        for name, bucket in (("to-good", "copies-good"), ("to-unlocked", "copies-unlocked"),
                             ("to-governance", "copies-governance"), ("to-short", "copies-short"),
                             ("to-sse-s3", "copies-sse-s3"))
    }  # fmt: skip
    streams["no-kms"] = _stream(firehose, "no-kms", "copies-sse-s3", None, None)
    streams["aws-owned"] = _stream(firehose, "aws-owned", "copies-good", key, {"KeyType": "AWS_OWNED_CMK"})
    streams["disabled-key"] = _stream(
        firehose, "disabled-key", "copies-good", off["Arn"], {"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": off["Arn"]}
    )
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    kinesis = session.client("kinesis", endpoint_url=endpoint)
    kinesis.create_stream(StreamName="not-firehose", ShardCount=1)
    not_firehose = kinesis.describe_stream(StreamName="not-firehose")["StreamDescription"]["StreamARN"]

    subnet_vpc = c["ec2"].create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    c["ec2"].create_flow_logs(ResourceIds=[subnet_vpc], ResourceType="VPC", TrafficType="ALL",
                              LogDestinationType="s3", LogDestination="arn:aws:s3:::copies-good")  # fmt: skip
    subnet = c["ec2"].create_subnet(VpcId=subnet_vpc, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
    clusters = {name: _cluster(c, name, subnet) for name in (
        "c-good", "c-nosub", "c-kinesis", "c-pattern", "c-unlocked", "c-governance", "c-short", "c-sse-s3"
    )}  # fmt: skip
    clusters["c-nogroup"] = _cluster(c, "c-nogroup", subnet, group=False)
    clusters["c-nologs"] = _cluster(c, "c-nologs", subnet, logs=False)  # no control-plane logs: EKS-02's business
    for name, stream in (("c-good", "to-good"), ("c-unlocked", "to-unlocked"), ("c-governance", "to-governance"),
                         ("c-short", "to-short"), ("c-sse-s3", "to-sse-s3")):  # fmt: skip
        _subscribe(c, f"/aws/eks/{name}/cluster", streams[stream])
    _subscribe(c, "/aws/eks/c-kinesis/cluster", not_firehose)
    _subscribe(c, "/aws/eks/c-pattern/cluster", streams["to-good"], pattern="ERROR")

    for group in ("/vpc/cloudwatch-only", "/vpc/subscribed"):
        c["logs"].create_log_group(logGroupName=group)
    _subscribe(c, "/vpc/subscribed", streams["to-good"])
    vpcs = {
        "s3": _vpc(c, "10.1.0.0/16", LogDestinationType="s3", LogDestination="arn:aws:s3:::copies-good"),
        "subscribed": _vpc(c, "10.2.0.0/16", LogDestinationType="cloud-watch-logs", LogGroupName="/vpc/subscribed",
                           DeliverLogsPermissionArn=ROLE),
        "cloudwatch-only": _vpc(c, "10.3.0.0/16", LogDestinationType="cloud-watch-logs",
                                LogGroupName="/vpc/cloudwatch-only", DeliverLogsPermissionArn=ROLE),
        "rejects-only": _vpc(c, "10.4.0.0/16", LogDestinationType="s3", LogDestination="arn:aws:s3:::copies-good",
                             TrafficType="REJECT"),
        "unlocked": _vpc(c, "10.5.0.0/16", LogDestinationType="s3", LogDestination="arn:aws:s3:::copies-unlocked"),
        "none": _vpc(c, "10.6.0.0/16"),
        "firehose": _vpc(c, "10.7.0.0/16", LogDestinationType="kinesis-data-firehose",
                         LogDestination=streams["to-good"]),
    }  # fmt: skip
    default = c["ec2"].describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]

    run = audit(endpoint, "--format", "json", *MOTO_SKIP)
    assert run.report["incomplete"] == [], run.stderr
    found: dict[tuple[str, str], list[str]] = {}
    for f in run.report["findings"]:
        if f["control"] in ("LOG-07", "LOG-08"):
            found.setdefault((f["control"], f["resource"]), []).append(f["message"].split(". Fix: ")[0])
    disabled = f"the key {off['Arn']}, which is Disabled"
    expected = {
        ("LOG-07", clusters["c-nosub"]): ["log group /aws/eks/c-nosub/cluster has no subscription filter"],
        ("LOG-07", clusters["c-nogroup"]): ["control-plane log group /aws/eks/c-nogroup/cluster does not exist"],
        ("LOG-07", clusters["c-kinesis"]): [f"subscription filter 'copy' sends to {not_firehose}, not to a Firehose"],
        ("LOG-07", clusters["c-pattern"]): ["copies only events matching 'ERROR'; use an empty pattern"],
        ("LOG-07", clusters["c-unlocked"]): ["stream to-unlocked delivers to bucket copies-unlocked: it has no object "
                                             "lock"],
        ("LOG-07", clusters["c-governance"]): ["its default retention is GOVERNANCE 2192 days, not COMPLIANCE"],
        ("LOG-07", clusters["c-short"]): ["its default retention is COMPLIANCE 30 days, not COMPLIANCE for at least "
                                          "2192 days"],
        ("LOG-07", clusters["c-sse-s3"]): ["bucket copies-sse-s3: it encrypts with AES256, not SSE-KMS"],
        ("LOG-07", vpcs["cloudwatch-only"]): ["log group /vpc/cloudwatch-only has no subscription filter copying it"],
        ("LOG-07", vpcs["rejects-only"]): ["it has no flow log of ALL traffic"],
        ("LOG-07", vpcs["unlocked"]): ["delivers to bucket copies-unlocked: it has no object lock"],
        ("LOG-07", vpcs["none"]): ["it has no flow log of ALL traffic"],
        ("LOG-07", default): ["it has no flow log of ALL traffic"],
        ("LOG-08", streams["no-kms"]): [
            "server-side encryption is off; start it with key type CUSTOMER_MANAGED_CMK",
            "sets no KMS key for its S3 objects, and its bucket copies-sse-s3: it encrypts with AES256",
        ],
        ("LOG-08", streams["aws-owned"]): ["encryption key type is AWS_OWNED_CMK; use CUSTOMER_MANAGED_CMK"],
        ("LOG-08", streams["disabled-key"]): [
            f"server-side encryption uses {disabled}; it must use a customer key",
            f"the S3 destination's KMS key is {disabled}; it must be a customer key",
        ],
    }  # fmt: skip
    assert set(found) == set(expected), (sorted(set(found) - set(expected)), sorted(set(expected) - set(found)))
    for pair, texts in expected.items():
        assert len(found[pair]) == len(texts), (pair, found[pair])
        for text in texts:
            assert sum(text in message for message in found[pair]) == 1, (pair, text, found[pair])


# ----- what moto cannot hold: judged on the answers a real account gives -----------------------------------------
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
STREAM = f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/copies"
LOCKED = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": LOCK_DAYS}}}
SSE_KMS = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}}]}


def _context(config: dict[str, Any] | None = None) -> Context:
    result = AuditResult(account=ACCOUNT, region=REGION)
    catalog = load_catalog(default_pack(ROOT), config or {})
    ctx = Context(None, catalog, result, Thresholds())  # type: ignore[arg-type]
    ctx.live.keys[KEY] = {"arn": KEY, "id": KEY.rsplit("/", 1)[1], "manager": "CUSTOMER", "state": "Enabled"}
    ctx.live.read |= {"kms", "s3", "logs", "firehose", "vpc"}
    ctx.live.buckets["store"] = {"name": "store", "object_lock": LOCKED, "encryption": SSE_KMS}
    return ctx


def _stream_to(bucket: str, **extra: Any) -> dict[str, Any]:
    destination = {
        "BucketARN": f"arn:aws:s3:::{bucket}",
        "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
    }
    return {
        "DeliveryStreamName": "copies",
        "DeliveryStreamARN": STREAM,
        "DeliveryStreamType": "DirectPut",
        "DeliveryStreamEncryptionConfiguration": {
            "Status": "ENABLED",
            "KeyType": "CUSTOMER_MANAGED_CMK",
            "KeyARN": KEY,
        },
        "Destinations": [{"DestinationId": "d-1", "ExtendedS3DestinationDescription": destination}],
        **extra,
    }


def _flow(destination: str, kind: str = "s3") -> dict[str, Any]:
    return {"FlowLogId": "fl-1", "TrafficType": "ALL", "LogDestinationType": kind, "LogDestination": destination}


def _messages(ctx: Context, control: str) -> list[str]:
    log_copies.check(ctx)
    return [f.message.split(". Fix: ")[0] for f in ctx.result.findings if f.control == control]


def test_a_flow_log_into_a_folder_of_a_locked_bucket_passes_and_a_bucket_elsewhere_only_when_vouched() -> None:
    ctx = _context()
    ctx.live.vpcs["vpc-1"] = {"_flow_logs": [_flow("arn:aws:s3:::store/flow-logs/")]}  # moto refuses the folder
    assert _messages(ctx, "LOG-07") == []
    ctx = _context()
    ctx.live.vpcs["vpc-1"] = {"_flow_logs": [_flow("arn:aws:s3:::org-log-archive/vpc/")]}
    assert _messages(ctx, "LOG-07") == [
        "vpc-1: flow logs are not copied to an immutable store: flow log fl-1 delivers to bucket org-log-archive, "
        "which is not in this account (nor in the pack config's immutableBuckets)"
    ]
    ctx = _context({"log-copies-immutable": {"immutableBuckets": ["org-log-archive"]}})
    ctx.live.vpcs["vpc-1"] = {"_flow_logs": [_flow("arn:aws:s3:::org-log-archive/vpc/")]}
    assert _messages(ctx, "LOG-07") == []


def test_six_years_of_s3_years_is_short_of_2192_days() -> None:
    """S3 counts a year as 365 days (as the pack does): Years 6 is 2190 days."""
    ctx = _context()
    ctx.live.buckets["store"]["object_lock"] = {
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 6}}
    }  # fmt: skip
    ctx.live.vpcs["vpc-1"] = {"_flow_logs": [_flow("arn:aws:s3:::store")]}
    assert _messages(ctx, "LOG-07") == [
        "vpc-1: flow logs are not copied to an immutable store: flow log fl-1 delivers to bucket store: its default "
        "retention is COMPLIANCE 2190 days, not COMPLIANCE for at least 2192 days"
    ]


def test_a_read_that_failed_leaves_the_path_unjudged_never_passed_nor_failed() -> None:
    """The failed read is already listed as incomplete (exit 2); the check neither passes nor invents a finding."""
    ctx = _context()
    del ctx.live.buckets["store"]["object_lock"]  # GetObjectLockConfiguration failed
    ctx.live.vpcs["vpc-1"] = {"_flow_logs": [_flow("arn:aws:s3:::store")]}
    assert log_copies.Judge(ctx).flow_log(ctx.live.vpcs["vpc-1"]["_flow_logs"][0]) == log_copies.UNREAD
    assert _messages(ctx, "LOG-07") == []
    ctx = _context()
    ctx.live.read.discard("firehose")  # ListDeliveryStreams failed: a filter into a stream cannot be followed
    ctx.live.clusters["c"] = {"arn": "c-arn", "logging": {"clusterLogging": [{"types": ["api"], "enabled": True}]}}
    ctx.live.log_groups["/aws/eks/c/cluster"] = {}
    ctx.live.subscriptions["/aws/eks/c/cluster"] = [{"filterName": "f", "filterPattern": "", "destinationArn": STREAM}]
    assert _messages(ctx, "LOG-07") == []
    ctx.live.read.add("firehose")  # listed, and no such stream: a finding
    assert "which is not a Firehose stream of this account and region" in _messages(ctx, "LOG-07")[0]


def test_firehose_encryption_as_the_pack_asks_it() -> None:
    key_problem = _context().customer_key_problem
    buckets = _context().live.buckets
    assert log_copies.stream_problems(_stream_to("store"), buckets, key_problem) == []  # the bucket's customer key
    # fed by a Kinesis stream: Firehose refuses server-side encryption, so none is asked
    sourced = _stream_to("store", DeliveryStreamType="KinesisStreamAsSource", DeliveryStreamEncryptionConfiguration={})
    assert log_copies.stream_problems(sourced, buckets, key_problem) == []
    enabling = _stream_to("store", DeliveryStreamEncryptionConfiguration={"Status": "ENABLING", "KeyType": "x"})
    assert log_copies.stream_problems(enabling, buckets, key_problem) == [
        "server-side encryption is ENABLING; start it with key type CUSTOMER_MANAGED_CMK"
    ]
    assert log_copies.stream_problems(_stream_to("elsewhere"), buckets, key_problem) == [
        "sets no KMS key and writes to bucket elsewhere outside this account: set the S3 destination's KMS key to a "
        "customer key"
    ]
    assert log_copies.stream_problems(_stream_to("elsewhere"), {}, key_problem, buckets_read=False) == []
    http = _stream_to("store", Destinations=[{"DestinationId": "d-1", "HttpEndpointDestinationDescription": {}}])
    assert log_copies.stream_problems(http, buckets, key_problem) == [
        "delivers to HttpEndpoint, whose encryption at rest the audit cannot judge: deliver to S3 with SSE-KMS of a "
        "customer key"
    ]
    ctx = _context()
    ctx.live.streams[STREAM] = http
    ctx.live.vpcs["vpc-1"] = {"_flow_logs": [_flow(STREAM, "kinesis-data-firehose")]}
    assert _messages(ctx, "LOG-07") == [
        "vpc-1: flow logs are not copied to an immutable store: Firehose stream copies delivers to HttpEndpoint, not "
        "to S3"
    ]
