"""Rules for logs."""
