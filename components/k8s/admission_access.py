"""Which ServiceAccounts a zone's people may run workloads as. RBAC lets a group create Jobs but cannot say under
which ServiceAccount their pods run, so a data scientist could start a Job as the production trainer and act with
its IAM role. A ValidatingAdmissionPolicy keyed on the requester's groups can: a member of a group bound in the
zone (access.data_scientist_groups, ml_engineer_groups) may name only the accounts `access.service_accounts`
gives that group (`default` when it gives none). Controllers creating pods from an admitted Job or Deployment,
platform admins and the deployment role are not members of those groups and are not judged here."""

from __future__ import annotations

import json

from .labels import ZONE_LABEL
from .vap import POD_CREATE, SPEC_VARIABLES, WORKLOAD_TEMPLATES, Manifest, binding, cel_list, deny, policy
from .zone_context import ZoneContext


def allowed_accounts(ctx: ZoneContext) -> dict[str, list[str]]:
    """Group -> the ServiceAccounts its members may use in the zone."""
    access = ctx.zone.access
    groups = dict.fromkeys([*access.data_scientist_groups, *access.ml_engineer_groups])
    return {g: list(access.service_accounts.get(g, ["default"])) for g in groups}


def service_account_policy(ctx: ZoneContext) -> list[Manifest]:
    """The zone's policy and its binding; nothing for a zone that binds no group."""
    allowed = allowed_accounts(ctx)
    if not allowed:
        return []
    name = f"enclave-service-accounts-{ctx.name}"
    cel_map = "{" + ", ".join(f"'{g}': {cel_list(sas)}" for g, sas in allowed.items()) + "}"
    admins = cel_list(list(ctx.kubernetes.platform_admin_groups))
    variables = [
        *SPEC_VARIABLES,
        {
            "name": "account",
            # serviceAccount is the deprecated alias the API server copies into serviceAccountName.
            "expression": "has(variables.spec.serviceAccountName) && variables.spec.serviceAccountName != '' ? "
            "variables.spec.serviceAccountName : (has(variables.spec.serviceAccount) && "
            "variables.spec.serviceAccount != '' ? variables.spec.serviceAccount : 'default')",
        },
        {
            "name": "groups",
            "expression": f"has(request.userInfo.groups) ? request.userInfo.groups.filter(g, g in {cel_map}) : []",
        },
    ]
    validations = [
        deny(
            "variables.groups.size() == 0 || (has(request.userInfo.groups) && "
            f"request.userInfo.groups.exists(g, g in {admins})) || "
            f"variables.groups.exists(g, variables.account in {cel_map}[g])",
            f"in zone {ctx.name} your groups may run workloads only as these ServiceAccounts: "
            + json.dumps(allowed)
            + " (zones[].access.service_accounts); set spec.serviceAccountName (the pod template's) to one of yours",
        )
    ]
    rules = [POD_CREATE, *WORKLOAD_TEMPLATES]
    return [policy(name, rules, validations, variables), binding(name, {"matchLabels": {ZONE_LABEL: ctx.name}})]
