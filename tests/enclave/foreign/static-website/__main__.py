"""A static website in S3, public, under the domain of a Route 53 zone."""

import json

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
domain = config.require("domain")
zone = aws.route53.get_zone(name=config.require("zone"))

site = aws.s3.Bucket("site", bucket=domain, force_destroy=True)
website = aws.s3.BucketWebsiteConfiguration(
    "site",
    bucket=site.id,
    index_document={"suffix": "index.html"},
    error_document={"key": "404.html"},
)
public = aws.s3.BucketPublicAccessBlock(
    "site",
    bucket=site.id,
    block_public_acls=False,
    block_public_policy=False,
    ignore_public_acls=False,
    restrict_public_buckets=False,
)
aws.s3.BucketPolicy(
    "site",
    bucket=site.id,
    policy=site.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"}],
            }
        )
    ),
    opts=pulumi.ResourceOptions(depends_on=[public]),
)
aws.s3.BucketObject("index", bucket=site.id, key="index.html", content="<h1>Hello</h1>", content_type="text/html")
aws.route53.Record(
    "www",
    zone_id=zone.zone_id,
    name=domain,
    type="A",
    aliases=[{"name": website.website_domain, "zone_id": site.hosted_zone_id, "evaluate_target_health": False}],
)

pulumi.export("endpoint", website.website_endpoint)
