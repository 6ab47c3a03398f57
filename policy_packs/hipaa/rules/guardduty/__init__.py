"""Rules for guardduty."""
