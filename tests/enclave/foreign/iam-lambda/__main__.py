"""A Lambda function, its role, and a policy document built with get_policy_document."""

import pulumi
import pulumi_aws as aws

assume = aws.iam.get_policy_document(
    statements=[
        {
            "effect": "Allow",
            "principals": [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}],
            "actions": ["sts:AssumeRole"],
        }
    ]
)
role = aws.iam.Role("handler-role", assume_role_policy=assume.json)

access = aws.iam.get_policy_document(
    statements=[{"sid": "Everything", "effect": "Allow", "actions": ["s3:*", "dynamodb:*"], "resources": ["*"]}]
)
aws.iam.RolePolicy("handler-access", role=role.id, policy=access.json)

handler = aws.lambda_.Function(
    "handler",
    role=role.arn,
    runtime="python3.12",
    handler="index.handler",
    code=pulumi.AssetArchive({"index.py": pulumi.StringAsset("def handler(event, context):\n    return 'ok'\n")}),
)

pulumi.export("function", handler.name)
