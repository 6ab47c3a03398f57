"""An EKS cluster from pulumi_eks in the default VPC, and an app namespace on it."""

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

config = pulumi.Config()
vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])

cluster = eks.Cluster(
    "cluster",
    vpc_id=vpc.id,
    subnet_ids=subnets.ids,
    instance_type="t3.medium",
    desired_capacity=2,
    min_size=config.get_int("minSize") or 1,
    max_size=config.get_int("maxSize") or 2,
    endpoint_public_access=True,
)
provider = k8s.Provider("cluster", kubeconfig=cluster.kubeconfig_json)
k8s.core.v1.Namespace("apps", metadata={"name": "apps"}, opts=pulumi.ResourceOptions(provider=provider))

pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("oidc_issuer", cluster.oidc_issuer)
