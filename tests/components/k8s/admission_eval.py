"""Evaluate the admission objects the platform writes, for tests: ValidatingAdmissionPolicies with a real CEL
implementation (cel-python), and the subset of Kyverno mutation they use (the `+(key)` add-if-absent anchor in
patchStrategicMerge, `op: add` JSON patches applied with EnsurePathExistsOnAdd as Kyverno does, and
preconditions whose JMESPath runs on the jmespath library)."""

from __future__ import annotations

import copy
import re
from typing import Any

import celpy
import jmespath
import yaml

Manifest = dict[str, Any]


def _cel(value: Any) -> Any:
    return celpy.json_to_cel(value)


def vap_violations(
    policy: Manifest,
    obj: Manifest,
    operation: str = "CREATE",
    namespace: str = "",
    namespace_labels: dict[str, str] | None = None,
    user: dict[str, Any] | None = None,
) -> list[str]:
    """Messages of the policy's validations that `obj` fails (an evaluation error counts as a failure, as
    failurePolicy Fail makes it one). Nothing when the policy's matchConstraints do not cover the request."""
    if not covers(policy, obj, operation):
        return []
    env = celpy.Environment()
    request = {
        "operation": operation,
        "kind": {"kind": obj["kind"]},
        "namespace": namespace,
        "userInfo": user or {"username": "admin", "groups": ["system:masters", "system:authenticated"]},
    }
    ns_object = {"metadata": {"name": namespace, "labels": namespace_labels or {}}}
    activation: dict[str, Any] = {"object": _cel(obj), "request": _cel(request), "namespaceObject": _cel(ns_object)}
    variables: dict[str, Any] = {}
    for var in policy["spec"].get("variables", []):
        program = env.program(env.compile(var["expression"]))
        scope = celpy.celtypes.MapType({celpy.celtypes.StringType(k): v for k, v in variables.items()})
        variables[var["name"]] = program.evaluate({**activation, "variables": scope})
    activation["variables"] = celpy.celtypes.MapType({celpy.celtypes.StringType(k): v for k, v in variables.items()})
    failed = []
    for validation in policy["spec"]["validations"]:
        program = env.program(env.compile(validation["expression"]))
        try:
            result = program.evaluate(activation)
        except Exception as exc:  # a CEL runtime error denies, as failurePolicy Fail makes it
            failed.append(f"{validation['message']} (evaluation error: {exc})")
            continue
        if isinstance(result, Exception) or not bool(result):
            failed.append(validation["message"])
    return failed


RESOURCES = {"Pod": "pods", "Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets",
             "ReplicaSet": "replicasets", "Job": "jobs", "CronJob": "cronjobs",
             "PersistentVolumeClaim": "persistentvolumeclaims"}  # fmt: skip


def covers(policy: Manifest, obj: Manifest, operation: str) -> bool:
    """The policy's matchConstraints match this request (an UPDATE of a Pod counts as one of its
    ephemeralcontainers subresource, the only Pod update these tests make)."""
    resource = RESOURCES[obj["kind"]]
    if obj["kind"] == "Pod" and operation == "UPDATE":
        resource = "pods/ephemeralcontainers"
    rules = policy["spec"]["matchConstraints"]["resourceRules"]
    return any(resource in r["resources"] and operation in r["operations"] for r in rules)


def selects(selector: Manifest, labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels, matchExpressions In/NotIn/Exists/DoesNotExist) against labels."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for e in selector.get("matchExpressions", []):
        key, op, values = e["key"], e["operator"], e.get("values", [])
        ok = {"In": key in labels and labels[key] in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}[op]  # fmt: skip
        if not ok:
            return False
    return True


def _kyverno_vars(text: str, request: Manifest) -> Any:
    match = re.fullmatch(r"\{\{\s*(.+?)\s*\}\}", text)
    if not match:
        return text
    return jmespath.search(match[1], {"request": request})


def _precondition_holds(cond: Manifest, request: Manifest) -> bool:
    key, value = _kyverno_vars(cond["key"], request), _kyverno_vars(cond["value"], request)
    keys = key if isinstance(key, list) else [key]
    values = value if isinstance(value, list) else [value]
    if cond["operator"] == "AnyNotIn":
        return any(k not in values for k in keys)
    if cond["operator"] == "AnyIn":
        return any(k in values for k in keys)
    raise ValueError(f"unsupported precondition operator {cond['operator']}")


def _strategic_merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        anchored = re.fullmatch(r"\+\((.+)\)", key)
        if anchored:
            target.setdefault(anchored[1], copy.deepcopy(value))
        elif isinstance(value, dict):
            _strategic_merge(target.setdefault(key, {}), value)
        else:
            target[key] = copy.deepcopy(value)


def _json_patch_add(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
    cur: Any = doc
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        if part not in cur:  # EnsurePathExistsOnAdd
            cur[part] = [] if nxt == "-" or nxt.isdigit() else {}
        cur = cur[part]
    last = parts[-1]
    if isinstance(cur, list):
        cur.append(copy.deepcopy(value)) if last == "-" else cur.insert(int(last), copy.deepcopy(value))
    else:
        cur[last] = copy.deepcopy(value)


def kyverno_mutate(policy: Manifest, pod: Manifest, namespace_labels: dict[str, str]) -> Manifest:
    """Apply the ClusterPolicy's rules that match a CREATE of `pod` in a namespace with `namespace_labels`."""
    out = copy.deepcopy(pod)
    for rule in policy["spec"]["rules"]:
        (match,) = rule["match"]["any"]
        resources = match["resources"]
        selector = resources.get("namespaceSelector", {}).get("matchLabels", {})
        if "mutate" not in rule or "Pod" not in resources["kinds"]:
            continue  # validate rules do not mutate
        if any(namespace_labels.get(k) != v for k, v in selector.items()):
            continue
        request = {"operation": "CREATE", "object": out}
        if not all(_precondition_holds(c, request) for c in rule.get("preconditions", {}).get("all", [])):
            continue
        mutate = rule["mutate"]
        if "patchStrategicMerge" in mutate:
            _strategic_merge(out, mutate["patchStrategicMerge"])
        for op in yaml.safe_load(mutate.get("patchesJson6902", "[]")):
            assert op["op"] == "add", op
            _json_patch_add(out, op["path"], op["value"])
    return out
