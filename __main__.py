"""GPU Enclave reference program: load + validate the stack config, build the platform, export outputs."""

from pathlib import Path

import pulumi

from components.config import load_platform_config
from components.platform import Platform

# Validation happens before anything is registered: a bad config never yields a partial program.
config = load_platform_config(Path(__file__).resolve().parent)
platform = Platform(config)
for key, value in platform.outputs().items():
    pulumi.export(key, value)
