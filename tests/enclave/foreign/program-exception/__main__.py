"""A worker instance sized by tier."""

import pulumi
import pulumi_aws as aws
from infra.sizes import instance_type

tier = pulumi.Config().require("tier")
aws.ec2.Instance("worker", ami="ami-0123456789abcdef0", instance_type=instance_type(tier))
