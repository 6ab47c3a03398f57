"""Realistic fake cloud answers for offline runs: resource outputs per type token and invoke results."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from components.pulumi_internals import UNKNOWN

DEFAULT_ACCOUNT_ID = "123456789012"


def digest(*parts: str, length: int = 17) -> str:
    """A stable lowercase hex string for the given parts (fake ids must not change between runs)."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


@dataclass
class FakeCloud:
    """One fake AWS account in one region, answering resources and invokes deterministically."""

    region: str
    account_id: str = DEFAULT_ACCOUNT_ID
    partition: str = "aws"
    # Which zone ID each AZ letter maps to: account-specific in AWS. By default `e` holds az3 (in us-east-1
    # the zone EKS does not support), so a program that forgets to exclude it still gets a, b, c.
    zone_id_numbers: tuple[int, ...] = (1, 2, 4, 6, 3, 5)
    # Answers a StackReference: the referenced stack's name -> its outputs (resolved by enclave.references
    # before the run). A name not there answers empty outputs and is recorded in `wanted_references`.
    stack_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    wanted_references: list[str] = field(default_factory=list)
    # Answers the user recorded (`--invokes FILE`), asked before any placeholder: token -> [(args, result)].
    recorded: Any = None
    # Invokes answered with a placeholder (enclave.shapes, marked): token -> how often, and which were recorded.
    placeholder_invokes: dict[str, int] = field(default_factory=dict)
    recorded_invokes: dict[str, int] = field(default_factory=dict)
    # Components of other packages the program registered (remote): type -> count.
    remote_components: dict[str, int] = field(default_factory=dict)
    # Runs a function in the program's thread (enclave.synth): where an SDK's type hints are read.
    in_program_thread: Any = lambda fn: fn()

    def availability_zones(self, exclude_zone_ids: list[str]) -> tuple[list[str], list[str]]:
        """(names, zone ids) of the region's AZs, minus excluded zone IDs, as getAvailabilityZones answers."""
        parts = self.region.split("-")
        prefix = parts[0] + "".join(p[0] for p in parts[1:-1]) + parts[-1]  # us-east-1 -> use1
        pairs = [
            (f"{self.region}{letter}", f"{prefix}-az{n}")
            for letter, n in zip("abcdef", self.zone_id_numbers, strict=True)
        ]
        kept = [(name, zid) for name, zid in pairs if zid not in exclude_zone_ids]
        return [name for name, _ in kept], [zid for _, zid in kept]

    # ----- resources -------------------------------------------------------------------------
    def outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """(physical id, outputs) for a created resource: inputs plus provider-computed values."""
        h = digest(typ, name)
        out = dict(inputs)
        acct, region, part = self.account_id, self.region, self.partition
        if typ.startswith("pulumi:providers:"):
            return f"{digest(name, length=8)}-{h[:4]}-{h[4:8]}-{h[8:12]}-{h[12:17]}000000", out
        if typ == "pulumi:pulumi:StackReference":
            target = str(inputs.get("name") or name)
            if target not in self.stack_outputs:
                self.wanted_references.append(target)
            return target, {"name": target, "outputs": self.stack_outputs.get(target, {}), "secretOutputNames": []}
        if typ.startswith("kubernetes:"):
            meta = dict(inputs.get("metadata") or {})
            meta.setdefault("name", f"{name}-{h[:8]}")
            meta.setdefault("uid", f"{h[:8]}-{h[8:12]}-4{h[12:15]}-8{h[15:17]}0-{digest(name, length=12)}")
            out["metadata"] = meta
            ns = meta.get("namespace")
            return (f"{ns}/{meta['name']}" if ns else meta["name"]), out
        handler = _HANDLERS.get(typ)
        if handler is not None:
            return handler(self, name, h, out)
        service = typ.split(":")[1].split("/")[0]
        rid = f"{name}-{h[:8]}"
        out.setdefault("arn", f"arn:{part}:{service}:{region}:{acct}:{typ.rsplit(':', 1)[1].lower()}/{rid}")
        return rid, out

    # ----- invokes ---------------------------------------------------------------------------
    def invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        acct, region, part = self.account_id, self.region, self.partition
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": acct,
                "arn": f"arn:{part}:sts::{acct}:assumed-role/enclave-offline/session",
                "userId": "AROAOFFLINEEXAMPLE:session",
                "id": acct,
            }
        if token == "aws:index/getRegion:getRegion":
            return {
                "name": region,
                "region": region,
                "id": region,
                "description": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
            }
        if token == "aws:index/getPartition:getPartition":
            return {"partition": part, "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": part}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names, zone_ids = self.availability_zones(list(args.get("excludeZoneIds") or []))
            return {
                "names": names,
                "zoneIds": zone_ids,
                "state": args.get("state", "available"),
                "id": region,
                "groupNames": [region],
            }
        if token == "aws:ssm/getParameter:getParameter":
            name = str(args.get("name", ""))
            return {
                "name": name,
                "value": f"ami-0{digest(name, length=16)}",
                "type": "String",
                "arn": f"arn:{part}:ssm:{region}:{acct}:parameter{name}",
                "version": 1,
                "insecureValue": f"ami-0{digest(name, length=16)}",
                "id": name,
            }
        if token == "aws:ec2/getSubnet:getSubnet":
            sid = str(args.get("id", "subnet-0"))
            letter = "abc"[int(digest(sid, length=4), 16) % 3]
            return {
                "id": sid,
                "availabilityZone": f"{region}{letter}",
                "vpcId": "vpc-0" + digest(region, length=16),
                "cidrBlock": "10.0.0.0/24",
                "arn": f"arn:{part}:ec2:{region}:{acct}:subnet/{sid}",
                "mapPublicIpOnLaunch": False,
                "availabilityZoneId": f"use1-az{letter}",
            }
        if token == "aws:eks/getCluster:getCluster":
            return self._existing_cluster(str(args["name"]))
        if token == "aws:iam/getPolicyDocument:getPolicyDocument":
            return policy_document(args)
        return self._placeholder(token, args)

    def _placeholder(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """A recorded answer when the user gave one, else a marked placeholder of the result's type (an SDK not
        installed: an empty result, as a data source that found nothing)."""
        from .shapes import Context, invoke_placeholder  # shapes reads the SDK's type hints; fakes stays plain

        ctx = Context(token, digest(json.dumps(args, sort_keys=True, default=str)), self.region, self.account_id,
                      self.partition)  # fmt: skip
        answer = self.recorded.answer(token, args) if self.recorded is not None else None
        filled = self.in_program_thread(lambda: invoke_placeholder(token, args, ctx)) or {}
        if answer is not None:
            self.recorded_invokes[token] = self.recorded_invokes.get(token, 0) + 1
            missing = set(filled) - set(answer)
            if missing:
                self.placeholder_invokes[token] = self.placeholder_invokes.get(token, 0) + 1
            return {**{k: filled[k] for k in missing}, **answer}
        self.placeholder_invokes[token] = self.placeholder_invokes.get(token, 0) + 1
        return filled

    def _existing_cluster(self, name: str) -> dict[str, Any]:
        h = digest("cluster", name, length=32).upper()
        return {
            "name": name,
            "id": name,
            "arn": f"arn:{self.partition}:eks:{self.region}:{self.account_id}:cluster/{name}",
            "endpoint": f"https://{h}.gr7.{self.region}.eks.amazonaws.com",
            "certificateAuthorities": [{"data": _fake_ca(name)}],
            "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{self.region}.amazonaws.com/id/{h}"}]}],
            "version": "1.33",
            "status": "ACTIVE",
            "vpcConfig": {"clusterSecurityGroupId": f"sg-0{digest('csg', name, length=16)}"},
        }


def _fake_ca(name: str) -> str:
    return base64.b64encode(f"-----BEGIN CERTIFICATE-----\nOFFLINE-{name}\n".encode()).decode()


def _ec2(prefix: str) -> Any:
    def handler(cloud: FakeCloud, name: str, h: str, out: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rid = f"{prefix}-0{h[:16]}"
        out.setdefault("arn", f"arn:{cloud.partition}:ec2:{cloud.region}:{cloud.account_id}:{_EC2_KIND[prefix]}/{rid}")
        out.setdefault("ownerId", cloud.account_id)
        if prefix == "lt":
            out.setdefault("latestVersion", 1)
        if prefix == "vpce":
            # Shaped like AWS's regional entry: *.vpce-<id>-<suffix>.<service>.<region>.vpce.amazonaws.com
            # (the wildcard label only on S3 interface endpoints).
            service = str(out.get("serviceName", "")).rsplit(".", 1)[-1]
            wildcard = "*." if service == "s3" else ""
            suffix = hashlib.sha256(rid.encode()).hexdigest()[:8]
            host = f"{wildcard}{rid}-{suffix}.{service}.{cloud.region}.vpce.amazonaws.com"
            out.setdefault("dnsEntries", [{"dnsName": host, "hostedZoneId": "Z7HUB22UULQXV"}])
        return rid, out

    return handler


_EC2_KIND = {
    "vpc": "vpc",
    "subnet": "subnet",
    "sg": "security-group",
    "sgr": "security-group-rule",
    "rtb": "route-table",
    "vpce": "vpc-endpoint",
    "fl": "vpc-flow-log",
    "lt": "launch-template",
    "igw": "internet-gateway",
    "nat": "natgateway",
    "eipalloc": "elastic-ip",
    "rtbassoc": "route-table",
}


def _named(service: str, kind: str, name_key: str = "name", sep: str = "/", regional: bool = True) -> Any:
    def handler(cloud: FakeCloud, name: str, h: str, out: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        given = out.get(name_key)
        real = given if isinstance(given, str) and given != UNKNOWN else f"{name}-{h[:7]}"
        out[name_key] = real
        region = cloud.region if regional else ""
        out.setdefault("arn", f"arn:{cloud.partition}:{service}:{region}:{cloud.account_id}:{kind}{sep}{real}")
        return real, out

    return handler


def _bucket(cloud: FakeCloud, name: str, h: str, out: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    real = out.get("bucket") or f"{name}-{h[:7]}"
    out["bucket"] = real
    out.setdefault("arn", f"arn:{cloud.partition}:s3:::{real}")
    out.setdefault("bucketDomainName", f"{real}.s3.amazonaws.com")
    out.setdefault("bucketRegionalDomainName", f"{real}.s3.{cloud.region}.amazonaws.com")
    out.setdefault("region", cloud.region)
    return real, out


def _kms_key(cloud: FakeCloud, name: str, h: str, out: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    d = digest("kms", name, length=32)
    key_id = f"{d[:8]}-{d[8:12]}-4{d[12:15]}-8{d[15:18]}-{d[18:30]}"
    out["keyId"] = key_id
    out.setdefault("arn", f"arn:{cloud.partition}:kms:{cloud.region}:{cloud.account_id}:key/{key_id}")
    return key_id, out


def _kms_alias(cloud: FakeCloud, name: str, h: str, out: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    alias = out.get("name") or f"alias/{name}"
    out.setdefault("arn", f"arn:{cloud.partition}:kms:{cloud.region}:{cloud.account_id}:{alias}")
    return alias, out


def _log_group(cloud: FakeCloud, name: str, h: str, out: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    real = out.get("name") or f"{name}-{h[:7]}"
    out["name"] = real
    out.setdefault("arn", f"arn:{cloud.partition}:logs:{cloud.region}:{cloud.account_id}:log-group:{real}")
    return real, out


def _eks_cluster(cloud: FakeCloud, name: str, h: str, out: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    real = out.get("name") or f"{name}-{h[:7]}"
    out["name"] = real
    found = cloud._existing_cluster(real)
    out.setdefault("arn", found["arn"])
    out.setdefault("endpoint", found["endpoint"])
    out.setdefault("certificateAuthority", {"data": _fake_ca(real)})
    out.setdefault("identities", found["identities"])
    out.setdefault("status", "ACTIVE")
    vpc = dict(out.get("vpcConfig") or {})
    vpc.setdefault("clusterSecurityGroupId", found["vpcConfig"]["clusterSecurityGroupId"])
    vpc.setdefault("vpcId", f"vpc-0{digest('vpc', real, length=16)}")
    out["vpcConfig"] = vpc
    return real, out


def _oidc(cloud: FakeCloud, name: str, h: str, out: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    url = str(out.get("url", f"oidc.example/{h}")).removeprefix("https://")
    arn = f"arn:{cloud.partition}:iam::{cloud.account_id}:oidc-provider/{url}"
    out.setdefault("arn", arn)
    return arn, out


def _node_group(cloud: FakeCloud, name: str, h: str, out: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    cluster = out.get("clusterName", "cluster")
    ng = out.get("nodeGroupName") or f"{name}-{h[:7]}"
    out["nodeGroupName"] = ng
    out.setdefault("arn", f"arn:{cloud.partition}:eks:{cloud.region}:{cloud.account_id}:nodegroup/{cluster}/{ng}/{h}")
    return f"{cluster}:{ng}", out


# Properties the provider fills with an auto-name (logical name + random suffix) in Check, which runs during a
# preview too: a new resource's auto-name is known in a first preview, unlike its id and ARN.
AUTONAMED: dict[str, str] = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:iam/role:Role": "name",
    "aws:iam/policy:Policy": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:cloudtrail/trail:Trail": "name",
    "aws:eks/cluster:Cluster": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:ec2/placementGroup:PlacementGroup": "name",
}

_HANDLERS: dict[str, Any] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": _named("iam", "role", regional=False),
    "aws:iam/policy:Policy": _named("iam", "policy", regional=False),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudtrail/trail:Trail": _named("cloudtrail", "trail"),
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/vpc:Vpc": _ec2("vpc"),
    "aws:ec2/subnet:Subnet": _ec2("subnet"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ec2("sgr"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _ec2("sgr"),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _ec2("rtbassoc"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _ec2("vpce"),
    "aws:ec2/flowLog:FlowLog": _ec2("fl"),
    "aws:ec2/launchTemplate:LaunchTemplate": _ec2("lt"),
    "aws:ec2/placementGroup:PlacementGroup": _named("ec2", "placement-group", sep="/"),
}


def _one_or_many(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _statement(s: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if s.get("sid"):
        out["Sid"] = s["sid"]
    out["Effect"] = s.get("effect") or "Allow"
    for key, name in (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"),
                      ("notResources", "NotResource")):  # fmt: skip
        if s.get(key):
            out[name] = _one_or_many(sorted(set(s[key]), key=str))
    for key, name in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        principals = s.get(key) or []
        if principals:
            if any(p.get("type") == "*" for p in principals):
                out[name] = "*"
            else:
                merged: dict[str, list[str]] = {}
                for p in principals:
                    merged.setdefault(p.get("type", ""), []).extend(p.get("identifiers") or [])
                out[name] = {k: _one_or_many(sorted(set(v))) for k, v in merged.items()}
    conditions: dict[str, dict[str, Any]] = {}
    for c in s.get("conditions") or []:
        conditions.setdefault(c.get("test", ""), {})[c.get("variable", "")] = _one_or_many(list(c.get("values") or []))
    if conditions:
        out["Condition"] = conditions
    return out


def policy_document(args: dict[str, Any]) -> dict[str, Any]:
    """aws.iam.get_policy_document, computed as the provider computes it (it calls no AWS API): the statements
    as IAM JSON, after the source documents' statements, with the override documents' replacing by Sid."""
    statements: list[dict[str, Any]] = []
    for source in args.get("sourcePolicyDocuments") or []:
        statements += _parsed_statements(source)
    for s in args.get("statements") or []:
        made = _statement(s)
        statements = [x for x in statements if not made.get("Sid") or x.get("Sid") != made.get("Sid")] + [made]
    for override in args.get("overridePolicyDocuments") or []:
        for made in _parsed_statements(override):
            sid = made.get("Sid")
            same = [i for i, x in enumerate(statements) if sid and x.get("Sid") == sid]
            if same:
                statements[same[0]] = made
            else:
                statements.append(made)
    doc: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        doc["Id"] = args["policyId"]
    doc["Statement"] = statements
    text = json.dumps(doc, indent=2)
    return {"json": text, "minifiedJson": json.dumps(doc, separators=(",", ":")), "id": digest(text, length=10),
            "version": doc["Version"], "statements": args.get("statements") or []}  # fmt: skip


def _parsed_statements(document: Any) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(document) if isinstance(document, str) else document
    except ValueError:
        return []
    found = parsed.get("Statement", []) if isinstance(parsed, dict) else []
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, dict)]
