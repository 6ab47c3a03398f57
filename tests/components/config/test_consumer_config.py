"""A consumer program validates its own config keys with one call (`config_object`, `config_value`) and gets
the platform's messages: its stack file and line, the config path under its own key, the value, the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.config import ConfigError
from enclave.synth import PROJECT_ROOT, synth

CONSUMER = PROJECT_ROOT / "examples" / "consumer-stack"
STACK = CONSUMER / "Pulumi.research.yaml"


def edited(tmp_path: Path, edit: object) -> Path:
    doc = yaml.safe_load(STACK.read_text(encoding="utf-8"))
    edit(doc["config"])  # type: ignore[operator]
    path = tmp_path / "Pulumi.research.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("edit", "where", "message", "line_text"),
    [
        (lambda c: c["enclave-consumer:bucket"].update(purpose="dataset"),
         "enclave-consumer:bucket.purpose = 'dataset'", "must be one of 'datasets'", "purpose: dataset"),
        (lambda c: c["enclave-consumer:bucket"].update(purpsoe="datasets"), "enclave-consumer:bucket.purpsoe",
         "did you mean 'purpose'", "purpsoe:"),
        (lambda c: c["enclave-consumer:identity"]["grants"][0].update(access="admin"),
         "enclave-consumer:identity.grants[0].access = 'admin'", "must be one of", "access: admin"),
        (lambda c: c.pop("enclave-consumer:oidcIssuerUrl"), "enclave-consumer:oidcIssuerUrl",
         "missing: set it in", None),
        (lambda c: c.update({"enclave-consumer:bucket": "research-data"}), "enclave-consumer:bucket = 'research-data'",
         "valid dictionary", "enclave-consumer:bucket:"),
    ],
)  # fmt: skip
def test_a_consumer_gets_file_line_path_and_fix(
    tmp_path: Path, edit: object, where: str, message: str, line_text: str | None
) -> None:
    path = edited(tmp_path, edit)
    with pytest.raises(ConfigError) as info:
        synth("research", project_dir=CONSUMER, config_file=path)
    text = str(info.value)
    assert where in text and message in text, text
    if line_text is not None:
        assert f"{path}:{line_of(path, line_text)}: " in text, text
    assert info.value.registered == [], "nothing is registered before the config is valid"


def test_the_example_as_shipped_is_valid() -> None:
    assert len(synth("research", project_dir=CONSUMER).resources) == 15
