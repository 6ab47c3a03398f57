"""Rules for secretsmanager."""
