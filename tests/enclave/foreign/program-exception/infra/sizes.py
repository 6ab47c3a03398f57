"""Instance sizes per tier."""

SIZES = {"small": "t3.small", "medium": "t3.medium"}


def instance_type(tier: str) -> str:
    if tier not in SIZES:
        raise ValueError(f"unknown tier {tier!r}; one of {', '.join(SIZES)}")
    return SIZES[tier]
