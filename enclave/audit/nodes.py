"""Node groups and their launch templates: GPU taint (NODE-04), IMDSv2 with hop limit 1 (NODE-01), encrypted
volumes on a customer key (NODE-02), no public IPs (NODE-03), EFA security groups admitting only themselves
(EFA-01)."""

from __future__ import annotations

from typing import Any

from .context import Context
from .session import CheckFailed

GPU_AMI = ("NVIDIA", "NEURON", "GPU")
GPU_FAMILIES = ("p", "g")


def read(ctx: Context) -> None:
    """The launch template version of every node group, and the security groups of EFA interfaces."""
    r = ctx.reader
    wanted = {
        (g["launchTemplate"]["id"], str(g["launchTemplate"].get("version", "$Default")))
        for g in ctx.live.nodegroups.values()
        if g.get("launchTemplate", {}).get("id")
    }

    def template(ref: tuple[str, str]) -> None:
        lt_id, version = ref
        got = (
            r.call(
                f"launch template {lt_id}",
                "ec2",
                "describe_launch_template_versions",
                LaunchTemplateId=lt_id,
                Versions=[version],
            )
            or {}
        )
        versions = got.get("LaunchTemplateVersions", [])
        ctx.live.templates[f"{lt_id}:{version}"] = versions[0] if versions else None

    r.each(sorted(wanted), template, lambda ref: f"launch template {ref[0]}:{ref[1]}")
    efa = sorted(
        {
            sg
            for lt in ctx.live.templates.values()
            if lt
            for ni in lt.get("LaunchTemplateData", {}).get("NetworkInterfaces", [])
            if str(ni.get("InterfaceType", "")).startswith("efa")
            for sg in ni.get("Groups", [])
        }
    )
    if efa:
        try:
            groups = r.paginate(
                "EFA security groups (EFA-01)", "ec2", "describe_security_groups", "SecurityGroups", GroupIds=efa
            )
            for g in groups:
                ctx.live.security_groups[g["GroupId"]] = g
        except CheckFailed:
            pass
    ctx.result.count("launch templates", len(wanted))


def _is_gpu(group: dict[str, Any]) -> bool:
    ami = str(group.get("amiType", "")).upper()
    types = group.get("instanceTypes") or []
    return any(x in ami for x in GPU_AMI) or any(t[:1] in GPU_FAMILIES and t[1:2].isdigit() for t in types)


def check(ctx: Context) -> None:
    templates = ctx.live.templates
    for key, g in sorted(ctx.live.nodegroups.items()):
        label = g.get("nodegroupArn", key)
        taints = {(t.get("key"), t.get("value"), t.get("effect")) for t in g.get("taints") or []}
        pool = (g.get("labels") or {}).get("enclave.dev/pool")
        if _is_gpu(g) and ("nvidia.com/gpu", "true", "NO_SCHEDULE") not in taints:
            ctx.finding(
                "NODE-04",
                label,
                f"a GPU node group with taints {sorted(taints) or 'none'}; it must carry "
                "nvidia.com/gpu=true:NoSchedule",
            )
        elif pool == "system" and ("CriticalAddonsOnly", "true", "NO_SCHEDULE") not in taints:
            ctx.finding("NODE-04", label, "the system pool is not tainted CriticalAddonsOnly=true:NoSchedule")
        ref = g.get("launchTemplate") or {}
        if not ref.get("id"):
            ctx.finding(
                "NODE-01",
                label,
                "has no launch template, so IMDSv2 and the hop limit are not set; give it "
                "one with http_tokens required and hop limit 1",
            )
            continue
        lt_key = f"{ref['id']}:{ref.get('version', '$Default')}"
        if lt_key not in templates:
            continue  # the read failed: already incomplete
        lt = templates[lt_key]
        if lt is None:
            ctx.finding("NODE-01", label, f"launch template {lt_key} does not exist")
            continue
        _template(ctx, label, f"launch template {lt_key}: ", lt.get("LaunchTemplateData", {}))
    for sg_id, group in sorted(ctx.live.security_groups.items()):  # the groups of EFA interfaces (read())
        _efa(ctx, sg_id, group)


def _template(ctx: Context, label: str, lt: str, data: dict[str, Any]) -> None:
    meta = data.get("MetadataOptions") or {}
    if meta.get("HttpTokens") != "required" or meta.get("HttpPutResponseHopLimit") != 1:
        ctx.finding(
            "NODE-01",
            label,
            f"{lt}metadata options are HttpTokens {meta.get('HttpTokens', 'optional')}, hop "
            f"limit {meta.get('HttpPutResponseHopLimit', 'default')}; they must be required and 1",
        )
    mappings = [m for m in data.get("BlockDeviceMappings") or [] if "Ebs" in m]
    if not mappings:
        ctx.finding(
            "NODE-02",
            label,
            f"{lt}declares no EBS volume, so the root volume takes the account default; "
            "declare it encrypted with a customer key",
        )
    for m in mappings:
        ebs = m["Ebs"]
        if not ebs.get("Encrypted"):
            state = "unencrypted"
        else:
            problem = ctx.customer_key_problem(ebs.get("KmsKeyId"))
            state = f"encrypted with {problem}" if problem else ""
        if state:
            device = m.get("DeviceName")
            ctx.finding("NODE-02", label, f"{lt}volume {device} is {state}; it must be encrypted with a customer key")
    for ni in data.get("NetworkInterfaces") or []:
        if ni.get("AssociatePublicIpAddress"):
            ctx.finding(
                "NODE-03",
                label,
                f"{lt}interface {ni.get('DeviceIndex', 0)} associates a public IP address; it must not",
            )


def _efa(ctx: Context, sg_id: str, group: dict[str, Any]) -> None:
    def self_only(rules: list[dict[str, Any]]) -> bool:
        if len(rules) != 1:
            return False
        rule = rules[0]
        pairs = [p.get("GroupId") for p in rule.get("UserIdGroupPairs", [])]
        return (
            rule.get("IpProtocol") == "-1"
            and pairs == [sg_id]
            and not rule.get("IpRanges")
            and not rule.get("Ipv6Ranges")
            and not rule.get("PrefixListIds")
        )

    for direction, rules in (
        ("ingress", group.get("IpPermissions", [])),
        ("egress", group.get("IpPermissionsEgress", [])),
    ):
        if not self_only(rules):
            shown = "; ".join(_rule(x) for x in rules) or "none"
            ctx.finding(
                "EFA-01",
                sg_id,
                f"EFA security group {direction} rules are [{shown}]; it must be exactly one "
                "all-traffic rule referencing the group itself",
            )


def _rule(rule: dict[str, Any]) -> str:
    peers = [p.get("GroupId", "?") for p in rule.get("UserIdGroupPairs", [])]
    peers += [x.get("CidrIp", "?") for x in rule.get("IpRanges", [])] + [
        x.get("CidrIpv6", "?") for x in rule.get("Ipv6Ranges", [])
    ]
    return f"{rule.get('IpProtocol')} {rule.get('FromPort', '')}-{rule.get('ToPort', '')} {','.join(peers)}"
