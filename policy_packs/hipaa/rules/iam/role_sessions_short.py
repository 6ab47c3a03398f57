"""IAM-03: role sessions last at most an hour (or the pack config's maximum)."""

from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import ROLE
from framework.values import MISSING, UNKNOWN


@resource_rule(
    "iam-role-sessions-short",
    "IAM-03",
    "Role sessions last at most an hour",
    ROLE,
    config={
        "maxSessionSeconds": {
            "type": "integer",
            "minimum": 3600,
            "maximum": 43200,
            "default": 3600,
            "description": "Longest role session allowed, in seconds (max_session_duration).",
        }
    },
)
def check(r: Resource, config: Config) -> Iterator[Finding]:
    limit = int(config.get("maxSessionSeconds", 3600))
    value = r.get("maxSessionDuration")
    if value is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: maxSessionDuration is not known yet", True)
    elif value is not MISSING and (not isinstance(value, int | float) or value > limit):
        yield Finding(r.urn, f"{r.label()}: maxSessionDuration is {value!r} seconds; set at most {limit}")
