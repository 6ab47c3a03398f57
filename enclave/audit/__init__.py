"""`enclave audit`: verify a live AWS account, read-only, against the HIPAA pack's controls.

Entry point: enclave.audit.run.run_audit (imported lazily by the CLI: boto3 loads only when an audit runs).
"""
