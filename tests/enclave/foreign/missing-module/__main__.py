"""A storage bucket on Google Cloud."""

import pulumi
import pulumi_gcp as gcp

bucket = gcp.storage.Bucket("data", location="EU")
pulumi.export("bucket", bucket.url)
