"""Rules for cloudwatch."""
