"""An EKS cluster built from aws.eks resources, with a managed node group."""

import json

import pulumi
import pulumi_aws as aws

vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])


def service_role(name: str, service: str, policies: list[str]) -> aws.iam.Role:
    role = aws.iam.Role(
        name,
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    for i, arn in enumerate(policies):
        aws.iam.RolePolicyAttachment(f"{name}-{i}", role=role.name, policy_arn=arn)
    return role


cluster_role = service_role("eks-cluster", "eks.amazonaws.com", ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"])
node_role = service_role(
    "eks-nodes",
    "ec2.amazonaws.com",
    [
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    ],
)

cluster = aws.eks.Cluster(
    "demo",
    role_arn=cluster_role.arn,
    vpc_config={"subnet_ids": subnets.ids, "endpoint_public_access": True},
)
aws.eks.NodeGroup(
    "demo",
    cluster_name=cluster.name,
    node_role_arn=node_role.arn,
    subnet_ids=subnets.ids,
    instance_types=["t3.large"],
    scaling_config={"desired_size": 2, "min_size": 1, "max_size": 3},
)

pulumi.export("endpoint", cluster.endpoint)
