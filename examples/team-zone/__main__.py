"""A team's stack: one trust zone added to a running GPU Enclave platform, read through a StackReference."""

import pulumi

from components import PlatformStack, TeamZone, TeamZoneArgs
from components.config import config_object
from components.config.team import TeamZoneConfig, check_team

# Validated with the platform's messages (stack file and line, config path, value, fix), the team zone's
# cross-field rules included, before anything is registered.
team = config_object("team", TeamZoneConfig, check=check_team)
platform = PlatformStack(team.platform_stack, pulumi.StackReference(team.platform_stack))
zone = TeamZone(team.zone.name, TeamZoneArgs(config=team, platform=platform))
for key, value in zone.outputs().items():
    pulumi.export(key, value)
