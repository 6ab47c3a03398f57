"""Two stores from the team's own component."""

import pulumi
from storage.bucket import StoreBucket

raw = StoreBucket("raw")
scratch = StoreBucket("scratch", encrypted=False)

pulumi.export("buckets", [raw.bucket.id, scratch.bucket.id])
