"""K8S-06: Roles and ClusterRoles name their verbs, resources and API groups (no '*'), however they get them."""

from collections.abc import Iterator, Mapping

from framework.kube import selector_matches
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import ROLES
from framework.values import UNKNOWN, as_list, contains_unknown

# The label every ClusterRole Kubernetes bootstraps carries: cluster-admin and the controllers' roles, several with
# '*' in verbs, resources or apiGroups. An aggregation selector matching it copies their rules into the role.
BOOTSTRAP_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}


def _wildcards(rule: Mapping[str, object]) -> list[str]:
    """The fields of one PolicyRule that RBAC matches as a wildcard: '*' anywhere, and '*/<subresource>' in
    resources (that subresource of every resource, as the authorizer reads it)."""
    wild = [field for field in ("verbs", "apiGroups", "nonResourceURLs") if "*" in as_list(rule.get(field))]
    if any(isinstance(x, str) and (x == "*" or x.startswith("*/")) for x in as_list(rule.get("resources"))):
        wild.insert(1, "resources")
    return wild


def _aggregation(r: Resource) -> Iterator[Finding]:
    """A ClusterRole's aggregationRule: the controller replaces its rules with those of every ClusterRole a
    selector matches; one matching the bootstrapped roles (an empty selector among them) takes cluster-admin's."""
    rule = r.get("aggregationRule")
    if rule is None:
        return
    if contains_unknown(rule):
        yield Finding(r.urn, f"{r.label()}: its aggregationRule is not known yet", True)
        return
    selectors = as_list(rule.get("clusterRoleSelectors")) if isinstance(rule, Mapping) else []
    for i, selector in enumerate(selectors):
        if selector_matches(selector, BOOTSTRAP_LABELS) or not isinstance(selector, Mapping):
            yield Finding(
                r.urn,
                f"{r.label()}: aggregationRule selector {i} matches the ClusterRoles Kubernetes bootstraps "
                "(cluster-admin's '*' included); select only roles labelled for this persona (matchLabels)",
            )


@resource_rule("rbac-roles-name-verbs-and-resources", "K8S-06", "Roles name their verbs and resources", ROLES)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    yield from _aggregation(r)
    rules = r.get("rules")
    if rules is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its rules are not known yet", True)
        return
    for i, rule in enumerate(as_list(rules)):
        if not isinstance(rule, Mapping):
            continue
        wild = _wildcards(rule)
        if wild:
            yield Finding(r.urn, f"{r.label()}: rule {i} uses '*' in {', '.join(wild)}; name what the persona needs")
