"""NODE-01: instance metadata answers only IMDSv2 (token) requests, one network hop away (pods cannot)."""

from typing import Any

from framework.rules import Config, Expect, property_rule
from framework.types import INSTANCE, LAUNCH_TEMPLATE
from framework.values import MISSING


def _require_v2(props: dict[str, Any], _config: Config) -> dict[str, Any]:
    options = props.get("metadataOptions")
    options = dict(options) if isinstance(options, dict) else {}
    options.update({"httpTokens": "required", "httpPutResponseHopLimit": 1})
    return {**props, "metadataOptions": options}


property_rule(
    "instance-metadata-v2",
    "NODE-01",
    "Instance metadata needs IMDSv2 tokens with a hop limit of 1",
    (*LAUNCH_TEMPLATE, *INSTANCE),
    [
        Expect(
            "metadataOptions.httpTokens",
            lambda v: v == "required",
            "'required'",
            "Set metadata_options.http_tokens 'required'.",
        ),
        Expect(
            "metadataOptions.httpPutResponseHopLimit",
            lambda v: v is not MISSING and int(v) == 1,
            "1",
            "Set metadata_options.http_put_response_hop_limit 1.",
        ),
    ],
    remediate=_require_v2,
)
