"""`enclave audit`: verify a live AWS account, read-only, against the HIPAA pack's controls."""

from .model import AuditResult, Drift, Finding, Incomplete
from .run import AuditError, AuditOptions, run_audit

__all__ = ["AuditError", "AuditOptions", "AuditResult", "Drift", "Finding", "Incomplete", "run_audit"]
