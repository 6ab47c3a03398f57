"""Secrets every way a program makes them: secret config, RandomPassword, Output.secret, additional_secret_outputs."""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

config = pulumi.Config()
api_token = config.require_secret("apiToken")
admin_password = config.require_secret("adminPassword")
generated = random.RandomPassword("db", length=24, special=False)

db = aws.rds.Instance(
    "db",
    engine="postgres",
    instance_class="db.t4g.micro",
    allocated_storage=20,
    username="app",
    password=admin_password,
    skip_final_snapshot=True,
)
token = aws.secretsmanager.Secret("api-token")
aws.secretsmanager.SecretVersion(
    "api-token",
    secret_id=token.id,
    secret_string=pulumi.Output.secret(pulumi.Output.format('{{"token": "{0}"}}', api_token)),
)
connection = aws.ssm.Parameter(
    "connection",
    type="String",
    value=pulumi.Output.format("postgres://app:{0}@{1}/app", generated.result, db.address),
    opts=pulumi.ResourceOptions(additional_secret_outputs=["value"]),
)
k8s.core.v1.Secret("db", string_data={"password": admin_password, "token": api_token})

pulumi.export("connection", connection.value)
pulumi.export("password", generated.result)
