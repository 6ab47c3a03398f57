"""A Fargate service: cluster, task definition, load balancer, listener and service in the default VPC."""

import json

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
image = config.require("image")
vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])
region = aws.get_region()

cluster = aws.ecs.Cluster("app")
logs = aws.cloudwatch.LogGroup("app", retention_in_days=7)

web = aws.ec2.SecurityGroup(
    "web",
    vpc_id=vpc.id,
    ingress=[{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"]}],
    egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
)
balancer = aws.lb.LoadBalancer("web", security_groups=[web.id], subnets=subnets.ids)
targets = aws.lb.TargetGroup("web", port=80, protocol="HTTP", target_type="ip", vpc_id=vpc.id)
listener = aws.lb.Listener(
    "web",
    load_balancer_arn=balancer.arn,
    port=80,
    default_actions=[{"type": "forward", "target_group_arn": targets.arn}],
)

execution = aws.iam.Role(
    "task-exec",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    ),
)
aws.iam.RolePolicyAttachment(
    "task-exec",
    role=execution.name,
    policy_arn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
)

task = aws.ecs.TaskDefinition(
    "app",
    family="app",
    cpu="256",
    memory="512",
    network_mode="awsvpc",
    requires_compatibilities=["FARGATE"],
    execution_role_arn=execution.arn,
    container_definitions=logs.name.apply(
        lambda group: json.dumps(
            [
                {
                    "name": "app",
                    "image": image,
                    "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {
                            "awslogs-group": group,
                            "awslogs-region": region.region,
                            "awslogs-stream-prefix": "app",
                        },
                    },
                }
            ]
        )
    ),
)
aws.ecs.Service(
    "app",
    cluster=cluster.arn,
    desired_count=2,
    launch_type="FARGATE",
    task_definition=task.arn,
    network_configuration={"assign_public_ip": True, "subnets": subnets.ids, "security_groups": [web.id]},
    load_balancers=[{"target_group_arn": targets.arn, "container_name": "app", "container_port": 80}],
    opts=pulumi.ResourceOptions(depends_on=[listener]),
)

pulumi.export("url", balancer.dns_name)
