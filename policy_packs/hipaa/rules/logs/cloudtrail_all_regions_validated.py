"""LOG-01: the trail records every region and global services, validates its log files and is on."""

from framework.rules import Expect, property_rule
from framework.types import TRAIL
from framework.values import MISSING

property_rule(
    "cloudtrail-all-regions-validated",
    "LOG-01",
    "CloudTrail records every region with validated log files",
    TRAIL,
    [
        Expect("isMultiRegionTrail", lambda v: v is True, "true", "Set is_multi_region_trail=True."),
        Expect(
            "includeGlobalServiceEvents",
            lambda v: v is not False,
            "true",
            "Remove include_global_service_events=False.",
        ),
        Expect("enableLogFileValidation", lambda v: v is True, "true", "Set enable_log_file_validation=True."),
        Expect("enableLogging", lambda v: v is MISSING or v is True, "true", "Set enable_logging=True."),
    ],
)
