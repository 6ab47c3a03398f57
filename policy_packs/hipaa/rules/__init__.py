"""One rule per module, grouped by service; each module registers its rule on import (framework.rules)."""
