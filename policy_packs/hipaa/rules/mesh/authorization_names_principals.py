"""MESH-02 (resource): an ALLOW AuthorizationPolicy's rules name their sources by principal and their ports;
no rule allows everything. A principal names its source when it pins the namespace (`<trust domain>/ns/<ns>/sa/...`,
with Istio's wildcards only outside the namespace): `*`, `cluster.local/*` or `cluster.local/ns/train*` do not."""

from collections.abc import Iterator, Mapping

from framework.flows import principal_namespace
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import AUTHORIZATION_POLICY
from framework.values import MISSING, UNKNOWN, as_list


@resource_rule(
    "authorization-names-principals", "MESH-02", "ALLOW rules name source principals and ports", AUTHORIZATION_POLICY
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    spec = r.get("spec")
    if spec is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its spec is not known yet", True)
        return
    if not isinstance(spec, Mapping) or spec.get("action", "ALLOW") != "ALLOW" or spec.get("rules", MISSING) is MISSING:
        return
    for i, rule in enumerate(as_list(spec.get("rules"))):
        where = f"{r.label()}: rule {i}"
        if not isinstance(rule, Mapping) or not rule:
            yield Finding(r.urn, f"{where} is empty: it allows every request")
            continue
        sources = [f.get("source", {}) for f in as_list(rule.get("from")) if isinstance(f, Mapping)]
        principals = [p for s in sources if isinstance(s, Mapping) for p in as_list(s.get("principals"))]
        loose = [str(p) for p in principals if principal_namespace(str(p)) is None]
        if not principals or loose:
            shown = f" ({', '.join(loose)} matches workloads of any namespace)" if loose else ""
            yield Finding(r.urn, f"{where} does not name its source principals{shown}")
        operations = [o.get("operation", {}) for o in as_list(rule.get("to")) if isinstance(o, Mapping)]
        if not any(isinstance(o, Mapping) and as_list(o.get("ports")) for o in operations):
            yield Finding(r.urn, f"{where} allows every port; list the ports of the declared flow")
