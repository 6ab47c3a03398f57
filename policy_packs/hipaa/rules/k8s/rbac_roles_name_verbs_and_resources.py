"""K8S-06: Roles and ClusterRoles name their verbs, resources and API groups (no '*')."""

from collections.abc import Iterator, Mapping

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import ROLES
from framework.values import UNKNOWN, as_list


@resource_rule("rbac-roles-name-verbs-and-resources", "K8S-06", "Roles name their verbs and resources", ROLES)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    rules = r.get("rules")
    if rules is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its rules are not known yet", True)
        return
    for i, rule in enumerate(as_list(rules)):
        if not isinstance(rule, Mapping):
            continue
        wild = [
            field for field in ("verbs", "resources", "apiGroups", "nonResourceURLs") if "*" in as_list(rule.get(field))
        ]
        if wild:
            yield Finding(r.urn, f"{r.label()}: rule {i} uses '*' in {', '.join(wild)}; name what the persona needs")
