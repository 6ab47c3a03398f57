"""Log records in the shapes their sources write, for judging what a metric filter's pattern would count.

- the VPC CNI network-policy agent's CloudWatch line (aws-network-policy-agent, pkg/ebpf/events: "Node: <node>;
  SIP: <ip>;SPORT: <port>;DIP: <ip>;DPORT: <port>;PROTOCOL: <p>;PolicyVerdict: <verdict>", newer releases append
  ";Tier: <tier>"; DENY always, ACCEPT only at debug level);
- VPC flow-log lines in a given `log_format` (fields by name; a flow the format leaves out cannot be judged);
- CloudTrail events as CloudTrail writes them to CloudWatch Logs (one JSON record per event);
- Envoy JSON access-log lines as Container Insights' Fluent Bit ships them (Kubernetes metadata, the parsed line
  under `log_processed`).
The rules ask a pattern about these: a filter that misses the positive ones or counts the negative ones does not
watch the signal.
"""

from __future__ import annotations

import json
import re
from typing import Any

ACCOUNT = "111122223333"
OUTSIDE = "52.94.133.131"  # an address of no private network (an AWS public range)


def cni_line(verdict: str = "DENY", tier: str | None = "default", dport: int = 8080) -> str:
    line = (
        f"Node: ip-10-20-3-17.ec2.internal;SIP: 10.20.3.44;SPORT: 41522;DIP: 10.20.5.12;DPORT: {dport};"
        f"PROTOCOL: TCP;PolicyVerdict: {verdict}"
    )
    return line + (f";Tier: {tier}" if tier else "")


FLOW_DEFAULTS = {
    "version": "5", "account-id": ACCOUNT, "interface-id": "eni-0a1b2c3d4e5f60718", "srcaddr": "10.20.3.44",
    "dstaddr": OUTSIDE, "srcport": "43512", "dstport": "443", "protocol": "6", "packets": "3", "bytes": "180",
    "start": "1733400000", "end": "1733400060", "action": "REJECT", "log-status": "OK",
    "vpc-id": "vpc-0abc1234def567890", "subnet-id": "subnet-0123456789abcdef0", "flow-direction": "egress",
    "pkt-srcaddr": "10.20.3.44", "pkt-dstaddr": OUTSIDE, "type": "IPv4", "tcp-flags": "2", "az-id": "use1-az1",
    "traffic-path": "-", "instance-id": "i-0123456789abcdef0", "region": "us-east-1",
    "sublocation-type": "-", "sublocation-id": "-", "pkt-src-aws-service": "-", "pkt-dst-aws-service": "-",
}  # fmt: skip
DEFAULT_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} "
    "${bytes} ${start} ${end} ${action} ${log-status}"
)


def format_fields(log_format: str | None) -> list[str] | None:
    """The field names of a flow-log format (AWS's default when None); None when it is not a format."""
    text = log_format or DEFAULT_FORMAT
    fields = re.findall(r"\$\{([a-z0-9-]+)\}", text)
    return fields if fields and re.fullmatch(r"(\s*\$\{[a-z0-9-]+\})+\s*", text) else None


def flow_line(log_format: str | None = None, **values: str) -> str | None:
    """A flow-log line in `log_format`; None when the format lacks a field `values` sets (it cannot say it)."""
    fields = format_fields(log_format)
    if fields is None:
        return None
    merged = {**FLOW_DEFAULTS, **{k.replace("_", "-"): v for k, v in values.items()}}
    if any(k.replace("_", "-") not in fields for k in values):
        return None
    return " ".join(merged.get(f, "-") for f in fields)


def nodata_line(log_format: str | None = None) -> str | None:
    fields = format_fields(log_format)
    if fields is None:
        return None
    keep = {"version", "account-id", "interface-id", "start", "end", "vpc-id", "subnet-id"}
    return " ".join(FLOW_DEFAULTS[f] if f in keep else ("NODATA" if f == "log-status" else "-") for f in fields)


def _identity(principal: str, account: str = ACCOUNT) -> dict[str, Any]:
    """userIdentity of an assumed-role session, an IAM user, the root user or an AWS service (of `account`)."""
    if principal == "root":
        return {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account}
    if principal.startswith("user/"):
        return {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": f"arn:aws:iam::{account}:{principal}",
                "accountId": account, "userName": principal[5:]}  # fmt: skip
    if principal.startswith("service:"):
        return {"type": "AWSService", "invokedBy": principal[8:]}
    role = principal.removeprefix("role/")
    name = role.rsplit("/", 1)[-1]
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE:{name}-session",
        "arn": f"arn:aws:sts::{account}:assumed-role/{name}/{name}-session",
        "accountId": account,
        "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLE",
                "userName": name,
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
            },
            "attributes": {"creationDate": "2026-12-05T09:58:00Z", "mfaAuthenticated": "false"},
        },
    }


def trail_event(source: str, name: str, principal: str, account: str = ACCOUNT, **request: Any) -> str:
    """A management event of `source` (kms.amazonaws.com, ...) named `name`, made by `principal` of `account`."""
    return json.dumps(
        {
            "eventVersion": "1.11",
            "userIdentity": _identity(principal, account),
            "eventTime": "2026-12-05T10:00:00Z",
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "10.20.1.9",
            "userAgent": "aws-sdk-go-v2/1.32.0",
            "requestParameters": request or None,
            "responseElements": None,
            "requestID": "0a1b2c3d-0000-4000-8000-000000000001",
            "eventID": "0a1b2c3d-0000-4000-8000-000000000002",
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        }
    )


def s3_data_event(bucket: str, principal: str, name: str = "GetObject", key: str = "v1/part-0001.parquet") -> str:
    """An S3 object-level data event on `bucket` by `principal`."""
    return json.dumps(
        {
            "eventVersion": "1.10",
            "userIdentity": _identity(principal),
            "eventTime": "2026-12-05T10:00:00Z",
            "eventSource": "s3.amazonaws.com",
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "10.20.3.44",
            "userAgent": "[aws-sdk-go-v2/1.32.0]",
            "requestParameters": {"bucketName": bucket, "Host": f"{bucket}.s3.us-east-1.amazonaws.com", "key": key},
            "responseElements": None,
            "additionalEventData": {"SignatureVersion": "SigV4", "bytesTransferredIn": 0, "bytesTransferredOut": 1024},
            "requestID": "0a1b2c3d4e5f6a7b",
            "eventID": "0a1b2c3d-0000-4000-8000-000000000003",
            "readOnly": name.startswith(("Get", "Head", "List")),
            "resources": [
                {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
                {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
            ],
            "eventType": "AwsApiCall",
            "managementEvent": False,
            "recipientAccountId": ACCOUNT,
            "vpcEndpointId": "vpce-0a1b2c3d4e5f60718",
            "eventCategory": "Data",
        }
    )


def envoy_record(namespace: str, upstream_cluster: str, route_name: str | None = None, code: int = 0,
                 container: str = "istio-proxy") -> str:  # fmt: skip
    """An Envoy access-log line (Istio's JSON encoding) of a pod in `namespace`, as Fluent Bit ships it."""
    line = {
        "start_time": "2026-12-05T10:00:00.123Z", "method": None, "path": None, "protocol": None,
        "response_code": code, "response_flags": "-", "response_code_details": None,
        "bytes_received": 0, "bytes_sent": 0, "duration": 0, "upstream_host": None,
        "upstream_cluster": upstream_cluster, "route_name": route_name, "authority": None,
        "downstream_local_address": f"{OUTSIDE}:443", "downstream_remote_address": "10.20.3.44:52114",
        "requested_server_name": "pypi.org", "upstream_transport_failure_reason": None,
    }  # fmt: skip
    text = json.dumps(line)
    return json.dumps(
        {
            "time": "2026-12-05T10:00:00.124Z",
            "stream": "stdout",
            "_p": "F",
            "log": text,
            "log_processed": line,
            "kubernetes": {
                "pod_name": "trainer-0",
                "namespace_name": namespace,
                "pod_id": "0a1b2c3d-0000-4000-8000-00000000000a",
                "host": "ip-10-20-3-17.ec2.internal",
                "container_name": container,
                "docker_id": "0a1b2c3d4e5f",
                "container_hash": "sha256:0a1b",
                "container_image": "istio/proxyv2:1.27.3",
            },
        }
    )
