"""A bucket with versioning, and optionally server-side encryption."""

import pulumi
import pulumi_aws as aws


class StoreBucket(pulumi.ComponentResource):
    def __init__(self, name: str, encrypted: bool = True, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("acme:storage:StoreBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(name, opts=child)
        aws.s3.BucketVersioning(name, bucket=self.bucket.id, versioning_configuration={"status": "Enabled"}, opts=child)
        if encrypted:
            aws.s3.BucketServerSideEncryptionConfiguration(
                name,
                bucket=self.bucket.id,
                rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}],
                opts=child,
            )
        self.register_outputs({"bucket": self.bucket.id})
