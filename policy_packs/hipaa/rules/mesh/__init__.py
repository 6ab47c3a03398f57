"""Rules for mesh."""
