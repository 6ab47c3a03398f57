"""A table named by a required config value."""

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
table_name = config.require("tableName")
aws.dynamodb.Table(
    "orders", name=table_name, hash_key="id", attributes=[{"name": "id", "type": "S"}], billing_mode="PAY_PER_REQUEST"
)
