"""The pack's framework: rules, the policy evaluator, the engine's Analyzer server."""

import os
from pathlib import Path

# The pack's directory as the pack was loaded from it: not resolved through symlinks, so a pack whose packages are
# links (mutation testing's work copy, a vendored checkout) still finds PulumiPolicy.yaml and RULES.md beside them.
PACK_DIR = Path(os.path.abspath(__file__)).parent.parent
