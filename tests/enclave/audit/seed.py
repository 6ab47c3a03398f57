"""Seed a moto server with an account built from a stack's synthesized resources (every declared setting as
declared), and weaken a copy of it: the fixtures of the audit tests and the benchmark."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3

from components.aws.registry import PULL_SID, repository_policy
from enclave.audit.drift import platform_tags, record_region
from enclave.fakes import FakeCloud
from enclave.synth import SynthResult

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"


def clients(endpoint: str) -> dict[str, Any]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return {
        s: session.client(s, endpoint_url=endpoint)
        for s in (
            "s3",
            "kms",
            "iam",
            "logs",
            "cloudtrail",
            "eks",
            "ec2",
            "sts",
            "sns",
            "cloudwatch",
            "events",
            "guardduty",
            "secretsmanager",
            "firehose",
            "ecr",
        )
    }


def _tags(inputs: dict[str, Any], default: dict[str, str]) -> dict[str, str]:
    return {**default, **(inputs.get("tags") or {})}


class Seeder:
    """Creates the declared resources in dependency order, replacing the synth's fake ids with live ones."""

    def __init__(self, result: SynthResult, endpoint: str) -> None:
        self.result = result
        self.c = clients(endpoint)
        self.endpoint = endpoint
        cloud = FakeCloud(region=REGION, account_id=ACCOUNT)
        made = {
            r["urn"]: cloud.outputs(r["type"], r["name"], dict(r["inputs"])) for r in result.resources if r["custom"]
        }
        self.fake_id = {urn: out[0] for urn, out in made.items()}
        self.fake_arn = {urn: out[1].get("arn") for urn, out in made.items()}
        self.ids: dict[str, str] = {}  # fake id -> live id
        self.default_tags = platform_tags(result) | _all_default_tags(result)
        self.live: dict[str, Any] = {}  # facts the weakening step needs

    def inputs(self, r: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(r["inputs"])
        for fake, live in sorted(self.ids.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(fake, live)
        out: dict[str, Any] = json.loads(text)
        return out

    def of(self, typ: str) -> list[dict[str, Any]]:
        return self.result.by_type(typ)

    def seed(self) -> dict[str, Any]:
        self.keys()
        self.network()
        self.roles()
        self.log_groups()
        self.buckets()
        self.log_copies()
        self.topics()
        self.trail()
        self.cluster()
        self.alarms()
        self.guardduty()
        self.secrets()
        self.repositories()
        return self.live

    def repositories(self) -> None:
        """The zones' ECR repositories and their policies, as components.ZoneRepositories declares them."""
        ecr = self.c["ecr"]
        for r in self.of("aws:ecr/repository:Repository"):
            i = self.inputs(r)
            encryption = (i.get("encryptionConfigurations") or [{"encryptionType": "AES256"}])[0]
            made = ecr.create_repository(
                repositoryName=i["name"],
                imageTagMutability=i["imageTagMutability"],
                imageScanningConfiguration={"scanOnPush": i["imageScanningConfiguration"]["scanOnPush"]},
                encryptionConfiguration={
                    "encryptionType": encryption["encryptionType"],
                    **({"kmsKey": encryption["kmsKey"]} if encryption.get("kmsKey") else {}),
                },
                tags=[{"Key": k, "Value": v} for k, v in _tags(i, self.default_tags).items()],
            )["repository"]
            self.live.setdefault("repositories", {})[i["name"]] = made["repositoryArn"]
        for r in self.of("aws:ecr/repositoryPolicy:RepositoryPolicy"):
            i = self.inputs(r)
            ecr.set_repository_policy(repositoryName=i["repository"], policyText=i["policy"])

    def secrets(self) -> None:
        """The zones' Secrets Manager secrets, on the keys their inputs name (no value: an operator puts it)."""
        for r in self.of("aws:secretsmanager/secret:Secret"):
            i = self.inputs(r)
            tags = _tags(i, self.default_tags)
            made = self.c["secretsmanager"].create_secret(
                Name=i["name"],
                **({"KmsKeyId": i["kmsKeyId"]} if i.get("kmsKeyId") else {}),
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )
            self.live.setdefault("secrets", {})[r["name"]] = made["ARN"]

    def client(self, service: str, r: dict[str, Any]) -> Any:
        """The client of the region resource `r` is in (a backup replica's keys and buckets are in another)."""
        region = record_region(self.result, r) or REGION
        if region == REGION:
            return self.c[service]
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
        return session.client(service, endpoint_url=self.endpoint)

    def keys(self) -> None:
        aliases = {
            u: a for a in self.of("aws:kms/alias:Alias") for u in a["propertyDependencies"].get("targetKeyId", [])
        }
        for r in self.of("aws:kms/key:Key"):
            i = self.inputs(r)
            kms = self.client("kms", r)
            key = kms.create_key(
                Description=i.get("description", ""),
                Policy=i["policy"],
                Tags=[{"TagKey": k, "TagValue": v} for k, v in _tags(i, self.default_tags).items()],
            )
            meta = key["KeyMetadata"]
            if i.get("enableKeyRotation"):
                kms.enable_key_rotation(KeyId=meta["KeyId"])
            self.ids[self.fake_id[r["urn"]]] = meta["KeyId"]
            alias = aliases.get(r["urn"])
            if alias is not None:
                kms.create_alias(AliasName=alias["inputs"]["name"], TargetKeyId=meta["KeyId"])
                self.live.setdefault("keys", {})[alias["inputs"]["name"]] = meta["Arn"]

    def network(self) -> None:
        ec2 = self.c["ec2"]
        for r in self.of("aws:ec2/vpc:Vpc"):
            vpc = ec2.create_vpc(CidrBlock=r["inputs"].get("cidrBlock", "10.40.0.0/16"))["Vpc"]["VpcId"]
            self.ids[self.fake_id[r["urn"]]] = vpc
            self.live["vpc"] = vpc
        for r in self.of("aws:ec2/subnet:Subnet"):
            i = self.inputs(r)
            sub = ec2.create_subnet(VpcId=i["vpcId"], CidrBlock=i["cidrBlock"])["Subnet"]["SubnetId"]
            self.ids[self.fake_id[r["urn"]]] = sub
        for r in self.of("aws:ec2/securityGroup:SecurityGroup"):
            i = self.inputs(r)
            sg = ec2.create_security_group(
                GroupName=i.get("name", r["name"]), Description=i.get("description", "x"), VpcId=i["vpcId"]
            )["GroupId"]
            egress = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissionsEgress"]
            if egress:  # the provider removes AWS's allow-all egress rule
                ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=egress)
            self.ids[self.fake_id[r["urn"]]] = sg
            if r["name"].endswith("-efa"):
                self.live["efa_sg"] = sg
        for typ, call in (
            ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "authorize_security_group_ingress"),
            ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "authorize_security_group_egress"),
        ):
            for r in self.of(typ):
                i = self.inputs(r)
                perm: dict[str, Any] = {"IpProtocol": str(i.get("ipProtocol", "-1"))}
                if perm["IpProtocol"] != "-1":
                    perm |= {"FromPort": i.get("fromPort", 0), "ToPort": i.get("toPort", 65535)}
                if i.get("referencedSecurityGroupId"):
                    perm["UserIdGroupPairs"] = [{"GroupId": i["referencedSecurityGroupId"]}]
                elif i.get("cidrIpv4"):
                    perm["IpRanges"] = [{"CidrIp": i["cidrIpv4"]}]
                elif i.get("prefixListId"):
                    perm["PrefixListIds"] = [{"PrefixListId": i["prefixListId"]}]
                else:
                    continue
                live = set(self.ids.values())
                peer = i.get("referencedSecurityGroupId")
                if i["securityGroupId"] in live and (not peer or peer in live):  # not the cluster's own group
                    getattr(ec2, call)(GroupId=i["securityGroupId"], IpPermissions=[perm])

    def roles(self) -> None:
        iam = self.c["iam"]
        for r in self.of("aws:iam/role:Role"):
            i = self.inputs(r)
            iam.create_role(
                RoleName=i["name"],
                AssumeRolePolicyDocument=i["assumeRolePolicy"],
                MaxSessionDuration=i.get("maxSessionDuration", 3600),
                Description=i.get("description", ""),
                Tags=[{"Key": k, "Value": v} for k, v in _tags(i, self.default_tags).items()],
            )
        for r in self.of("aws:iam/rolePolicy:RolePolicy"):
            i = self.inputs(r)
            iam.put_role_policy(RoleName=i["role"], PolicyName=r["name"], PolicyDocument=i["policy"])
        for r in self.of("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
            i = self.inputs(r)
            iam.attach_role_policy(RoleName=i["role"], PolicyArn=i["policyArn"])

    def log_groups(self) -> None:
        logs = self.c["logs"]
        for r in self.of("aws:cloudwatch/logGroup:LogGroup"):
            i = self.inputs(r)
            logs.create_log_group(
                logGroupName=i["name"],
                tags=_tags(i, self.default_tags),
                **({"kmsKeyId": i["kmsKeyId"]} if i.get("kmsKeyId") else {}),
            )
            logs.put_retention_policy(logGroupName=i["name"], retentionInDays=i["retentionInDays"])

    def buckets(self) -> None:
        s3 = self.c["s3"]
        names = []
        for r in self.of("aws:s3/bucket:Bucket"):
            i = self.inputs(r)
            region = record_region(self.result, r) or REGION
            elsewhere = {} if region == REGION else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            self.client("s3", r).create_bucket(
                Bucket=i["bucket"], ObjectLockEnabledForBucket=bool(i.get("objectLockEnabled")), **elsewhere
            )
            tags = _tags(i, self.default_tags)
            s3.put_bucket_tagging(
                Bucket=i["bucket"], Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
            )
            names.append(i["bucket"])
        self.live["buckets"] = names
        for r in self.of("aws:s3/bucketVersioning:BucketVersioning"):
            i = self.inputs(r)
            s3.put_bucket_versioning(
                Bucket=i["bucket"], VersioningConfiguration={"Status": i["versioningConfiguration"]["status"]}
            )
        for r in self.of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
            i = self.inputs(r)
            rules = []
            for rule in i["rules"]:
                default = {"SSEAlgorithm": rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"]}
                if rule["applyServerSideEncryptionByDefault"].get("kmsMasterKeyId"):
                    default["KMSMasterKeyID"] = rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
                rules.append(
                    {
                        "ApplyServerSideEncryptionByDefault": default,
                        "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled")),
                        # moto 5.2.1 drops it (S3-02 is skipped there); a real account keeps it
                        **(
                            {"BlockedEncryptionTypes": {"EncryptionType": rule["blockedEncryptionTypes"]}}
                            if rule.get("blockedEncryptionTypes")
                            else {}
                        ),
                    }
                )
            s3.put_bucket_encryption(Bucket=i["bucket"], ServerSideEncryptionConfiguration={"Rules": rules})
        for r in self.of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
            i = self.inputs(r)
            s3.put_public_access_block(
                Bucket=i["bucket"],
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": i["blockPublicAcls"],
                    "IgnorePublicAcls": i["ignorePublicAcls"],
                    "BlockPublicPolicy": i["blockPublicPolicy"],
                    "RestrictPublicBuckets": i["restrictPublicBuckets"],
                },
            )
        for r in self.of("aws:s3/bucketOwnershipControls:BucketOwnershipControls"):
            i = self.inputs(r)
            s3.put_bucket_ownership_controls(
                Bucket=i["bucket"], OwnershipControls={"Rules": [{"ObjectOwnership": i["rule"]["objectOwnership"]}]}
            )
        policies = {
            self.inputs(r)["bucket"]: self.inputs(r)["policy"] for r in self.of("aws:s3/bucketPolicy:BucketPolicy")
        }
        for r in self.of("aws:s3/bucketLogging:BucketLogging"):
            i = self.inputs(r)
            # moto's PutBucketLogging reads the target's policy, fails on a bare "*" Principal and wants the log
            # service's grant on exactly <bucket>/*: the target gets such a grant until logging is on, then its own
            grant = {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": ["s3:PutObject"],
                "Resource": f"arn:aws:s3:::{i['targetBucket']}/*",
            }
            s3.put_bucket_policy(
                Bucket=i["targetBucket"], Policy=json.dumps({"Version": "2012-10-17", "Statement": [grant]})
            )
            s3.put_bucket_logging(
                Bucket=i["bucket"],
                BucketLoggingStatus={
                    "LoggingEnabled": {"TargetBucket": i["targetBucket"], "TargetPrefix": i["targetPrefix"]}
                },
            )
        for bucket, policy in policies.items():
            s3.put_bucket_policy(Bucket=bucket, Policy=policy)
        for r in self.of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
            i = self.inputs(r)
            s3.put_bucket_lifecycle_configuration(
                Bucket=i["bucket"], LifecycleConfiguration={"Rules": [_api(rule) for rule in i["rules"]]}
            )
        for r in self.of("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"):
            i = self.inputs(r)
            retention = i["rule"]["defaultRetention"]
            s3.put_object_lock_configuration(
                Bucket=i["bucket"],
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": retention["mode"], "Days": retention["days"]}},
                },
            )
            self.live["audit_bucket"] = i["bucket"]
        for r in self.of("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
            i = self.inputs(r)
            rules = [_rule(x) for x in i["rules"]]
            s3.put_bucket_replication(Bucket=i["bucket"], ReplicationConfiguration={"Role": i["role"], "Rules": rules})

    def log_copies(self) -> None:
        """The control-plane logs' Firehose stream (into the audit bucket) and the subscription filter feeding it."""
        firehose = self.c["firehose"]
        for r in self.of("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"):
            i = self.inputs(r)
            s3 = i["extendedS3Configuration"]
            key = {"EncryptionConfiguration": {"KMSEncryptionConfig": {"AWSKMSKeyARN": s3["kmsKeyArn"]}}}
            destination = {
                "RoleARN": s3["roleArn"],
                "BucketARN": s3["bucketArn"],
                "Prefix": s3.get("prefix", ""),
                "ErrorOutputPrefix": s3.get("errorOutputPrefix", ""),
                "CompressionFormat": s3.get("compressionFormat", "UNCOMPRESSED"),
                "BufferingHints": {"SizeInMBs": s3["bufferingSize"], "IntervalInSeconds": s3["bufferingInterval"]},
                **(key if s3.get("kmsKeyArn") else {}),
            }
            sse = i.get("serverSideEncryption") or {}
            encryption = {
                "KeyType": sse.get("keyType", "AWS_OWNED_CMK"),
                **({"KeyARN": sse["keyArn"]} if sse.get("keyArn") else {}),
            }
            made = firehose.create_delivery_stream(
                DeliveryStreamName=i["name"],
                DeliveryStreamType="DirectPut",
                ExtendedS3DestinationConfiguration=destination,
                **({"DeliveryStreamEncryptionConfigurationInput": encryption} if sse.get("enabled") else {}),
            )
            if sse.get("enabled"):
                # moto 5.2.1 answers encryption given at creation with no Status (AWS: ENABLED); starting it, as
                # StartDeliveryStreamEncryption does on AWS, makes the answer AWS's
                firehose.start_delivery_stream_encryption(
                    DeliveryStreamName=i["name"], DeliveryStreamEncryptionConfigurationInput=encryption
                )
            self.ids[str(self.fake_arn[r["urn"]])] = made["DeliveryStreamARN"]
            self.live.setdefault("streams", {})[r["name"]] = made["DeliveryStreamARN"]
        for r in self.of("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"):
            i = self.inputs(r)
            self.c["logs"].put_subscription_filter(
                logGroupName=i["logGroup"],
                filterName=i["name"],
                filterPattern=i.get("filterPattern", ""),
                destinationArn=i["destinationArn"],
                roleArn=i["roleArn"],
            )

    def topics(self) -> None:
        """The alarm topic (its fake ARN replaced by the live one wherever the stack names it) and its policy."""
        sns = self.c["sns"]
        for r in self.of("aws:sns/topic:Topic"):
            i = self.inputs(r)
            attributes = {"DisplayName": i.get("displayName", "")}
            if i.get("kmsMasterKeyId"):
                attributes["KmsMasterKeyId"] = i["kmsMasterKeyId"]
            tags = [{"Key": k, "Value": v} for k, v in _tags(i, self.default_tags).items()]
            arn = sns.create_topic(Name=i["name"], Attributes=attributes, Tags=tags)["TopicArn"]
            self.ids[self.fake_arn[r["urn"]]] = arn
            self.live["topic"] = arn
        for r in self.of("aws:sns/topicPolicy:TopicPolicy"):
            i = self.inputs(r)
            sns.set_topic_attributes(TopicArn=i["arn"], AttributeName="Policy", AttributeValue=i["policy"])

    def alarms(self) -> None:
        logs, cw = self.c["logs"], self.c["cloudwatch"]
        for r in self.of("aws:cloudwatch/logMetricFilter:LogMetricFilter"):
            i = self.inputs(r)
            m = i["metricTransformation"]
            spec = {"metricName": m["name"], "metricNamespace": m["namespace"], "metricValue": m["value"]}
            if m.get("defaultValue") is not None:
                spec["defaultValue"] = float(m["defaultValue"])
            if m.get("dimensions"):
                spec["dimensions"] = m["dimensions"]
            logs.put_metric_filter(
                logGroupName=i["logGroupName"],
                filterName=i["name"],
                filterPattern=i["pattern"],
                metricTransformations=[spec],
            )
            self.live.setdefault("filters", {})[r["name"]] = (i["logGroupName"], i["name"])
        for r in self.of("aws:cloudwatch/metricAlarm:MetricAlarm"):
            i = self.inputs(r)
            dims = [{"Name": k, "Value": v} for k, v in (i.get("dimensions") or {}).items()]
            cw.put_metric_alarm(
                AlarmName=i["name"],
                AlarmDescription=i.get("alarmDescription", ""),
                MetricName=i["metricName"],
                Namespace=i["namespace"],
                Statistic=i["statistic"],
                Period=i["period"],
                EvaluationPeriods=i["evaluationPeriods"],
                Threshold=float(i["threshold"]),
                ComparisonOperator=i["comparisonOperator"],
                TreatMissingData=i["treatMissingData"],
                AlarmActions=i.get("alarmActions") or [],
                OKActions=i.get("okActions") or [],
                Dimensions=dims,
            )
            self.live.setdefault("alarms", {})[r["name"]] = i["name"]

    def guardduty(self) -> None:
        gd, events = self.c["guardduty"], self.c["events"]
        for r in self.of("aws:guardduty/detector:Detector"):
            i = self.inputs(r)
            features = [
                {
                    "Name": f["inputs"]["name"],
                    "Status": f["inputs"]["status"],
                    **(
                        {
                            "AdditionalConfiguration": [
                                {"Name": c["name"], "Status": c["status"]}
                                for c in f["inputs"]["additionalConfigurations"]
                            ]
                        }
                        if f["inputs"].get("additionalConfigurations")
                        else {}
                    ),
                }
                for f in self.of("aws:guardduty/detectorFeature:DetectorFeature")
            ]
            detector = gd.create_detector(
                Enable=i["enable"], FindingPublishingFrequency=i["findingPublishingFrequency"], Features=features
            )["DetectorId"]
            self.live["detector"] = detector
        for r in self.of("aws:cloudwatch/eventRule:EventRule"):
            i = self.inputs(r)
            events.put_rule(Name=i["name"], EventPattern=i["eventPattern"], Description=i.get("description", ""))
            self.live.setdefault("event_rules", []).append(i["name"])
        for n, r in enumerate(self.of("aws:cloudwatch/eventTarget:EventTarget")):
            i = self.inputs(r)
            events.put_targets(Rule=i["rule"], Targets=[{"Id": f"target-{n}", "Arn": i["arn"]}])

    def trail(self) -> None:
        ct = self.c["cloudtrail"]
        for r in self.of("aws:cloudtrail/trail:Trail"):
            i = self.inputs(r)
            ct.create_trail(
                Name=i["name"],
                S3BucketName=i["s3BucketName"],
                S3KeyPrefix=i.get("s3KeyPrefix", ""),
                IsMultiRegionTrail=i["isMultiRegionTrail"],
                IncludeGlobalServiceEvents=i["includeGlobalServiceEvents"],
                EnableLogFileValidation=i["enableLogFileValidation"],
                **({"KmsKeyId": i["kmsKeyId"]} if i.get("kmsKeyId") else {}),
                CloudWatchLogsLogGroupArn=i["cloudWatchLogsGroupArn"],
                CloudWatchLogsRoleArn=i["cloudWatchLogsRoleArn"],
                # moto takes the topic's name only (AWS takes its name or ARN)
                **({"SnsTopicName": i["snsTopicName"].rsplit(":", 1)[-1]} if i.get("snsTopicName") else {}),
                TagsList=[{"Key": k, "Value": v} for k, v in _tags(i, self.default_tags).items()],
            )
            selectors = [
                {"Name": s["name"], "FieldSelectors": [_field(f) for f in s["fieldSelectors"]]}
                for s in i["advancedEventSelectors"]
            ]
            ct.put_event_selectors(TrailName=i["name"], AdvancedEventSelectors=selectors)
            if i.get("enableLogging", True):
                ct.start_logging(Name=i["name"])
            self.live["trail"] = i["name"]
        ec2 = self.c["ec2"]
        for r in self.of("aws:ec2/flowLog:FlowLog"):
            i = self.inputs(r)
            flow = {
                "ResourceIds": [i["vpcId"]],
                "ResourceType": "VPC",
                "TrafficType": i["trafficType"],
                "LogDestinationType": i["logDestinationType"],
                "LogDestination": i["logDestination"],
                # S3 delivery (the immutable copy) needs no role: AWS's log delivery writes it
                **({"DeliverLogsPermissionArn": i["iamRoleArn"]} if i.get("iamRoleArn") else {}),
                **({"LogFormat": i["logFormat"]} if i.get("logFormat") else {}),
            }
            refused = ec2.create_flow_logs(**flow).get("Unsuccessful") or []
            if refused and i["logDestinationType"] == "s3":
                # moto 5.2.1 looks up "<bucket>/<folder>/" as a bucket name and refuses the S3 copy (AWS accepts an
                # ARN with a folder, a key prefix in that bucket): the copy goes to the same bucket's ARN
                flow["LogDestination"] = i["logDestination"].split("/", 1)[0]
                refused = ec2.create_flow_logs(**flow).get("Unsuccessful") or []
            assert not refused, refused
        for vpc in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]:
            # moto's default VPC: the compliant account records its flow logs too (a copy in the audit bucket)
            self.live["default_vpc"] = vpc["VpcId"]
            ec2.create_flow_logs(
                ResourceIds=[vpc["VpcId"]],
                ResourceType="VPC",
                TrafficType="ALL",
                LogDestinationType="s3",
                LogDestination=f"arn:aws:s3:::{self.live['audit_bucket']}",
            )

    def cluster(self) -> None:
        eks, ec2 = self.c["eks"], self.c["ec2"]
        for r in self.of("aws:eks/cluster:Cluster"):
            i = self.inputs(r)
            eks.create_cluster(
                name=i["name"],
                version=i["version"],
                roleArn=i["roleArn"],
                resourcesVpcConfig={
                    "subnetIds": i["vpcConfig"]["subnetIds"],
                    "endpointPublicAccess": i["vpcConfig"]["endpointPublicAccess"],
                    "endpointPrivateAccess": i["vpcConfig"]["endpointPrivateAccess"],
                    **(
                        {"publicAccessCidrs": i["vpcConfig"]["publicAccessCidrs"]}
                        if i["vpcConfig"].get("publicAccessCidrs")
                        else {}
                    ),
                },
                logging={"clusterLogging": [{"types": i["enabledClusterLogTypes"], "enabled": True}]},
                **(
                    {
                        "encryptionConfig": [
                            {
                                "resources": i["encryptionConfig"]["resources"],
                                "provider": {"keyArn": i["encryptionConfig"]["provider"]["keyArn"]},
                            }
                        ]
                    }
                    if i.get("encryptionConfig")
                    else {}
                ),
                tags=_tags(i, self.default_tags),
            )
            self.live["cluster"] = i["name"]
        for r in self.of("aws:ec2/launchTemplate:LaunchTemplate"):
            i = self.inputs(r)
            data: dict[str, Any] = {
                "MetadataOptions": {
                    "HttpTokens": i["metadataOptions"]["httpTokens"],
                    "HttpPutResponseHopLimit": i["metadataOptions"]["httpPutResponseHopLimit"],
                    "HttpEndpoint": i["metadataOptions"].get("httpEndpoint", "enabled"),
                },
                "BlockDeviceMappings": [
                    {
                        "DeviceName": m["deviceName"],
                        "Ebs": {
                            "Encrypted": m["ebs"]["encrypted"] == "true",
                            "KmsKeyId": m["ebs"]["kmsKeyId"],
                            "VolumeSize": m["ebs"]["volumeSize"],
                            "VolumeType": m["ebs"]["volumeType"],
                        },
                    }
                    for m in i.get("blockDeviceMappings", [])
                ],
                "NetworkInterfaces": [
                    {
                        "DeviceIndex": n.get("deviceIndex", 0),
                        "NetworkCardIndex": n.get("networkCardIndex", 0),
                        "InterfaceType": n.get("interfaceType", "interface"),
                        "Groups": n["securityGroups"],
                        "AssociatePublicIpAddress": n.get("associatePublicIpAddress") == "true",
                    }
                    for n in i.get("networkInterfaces", [])
                ],
            }
            name = i.get("name") or f"{r['name']}-{self.fake_id[r['urn']][-7:]}"
            lt = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data)["LaunchTemplate"]
            self.ids[self.fake_id[r["urn"]]] = lt["LaunchTemplateId"]
        for r in self.of("aws:eks/nodeGroup:NodeGroup"):
            i = self.inputs(r)
            eks.create_nodegroup(
                clusterName=i["clusterName"],
                nodegroupName=i["nodeGroupName"],
                scalingConfig=i["scalingConfig"],
                subnets=i["subnetIds"],
                instanceTypes=i.get("instanceTypes", []),
                amiType=i.get("amiType", "AL2023_x86_64_STANDARD"),
                nodeRole=i["nodeRoleArn"],
                labels=i.get("labels", {}),
                taints=[
                    {"key": t["key"], "value": t.get("value", ""), "effect": t["effect"]} for t in i.get("taints", [])
                ],
                tags=_tags(i, self.default_tags),
                launchTemplate={"id": i["launchTemplate"]["id"], "version": str(i["launchTemplate"]["version"])},
                capacityType=i.get("capacityType", "ON_DEMAND"),
            )
            self.live.setdefault("nodegroups", []).append(i["nodeGroupName"])
        iam = self.c["iam"]
        for r in self.of("aws:iam/openIdConnectProvider:OpenIdConnectProvider"):
            # the declared provider serves the live cluster's issuer (moto makes its own issuer id)
            i = self.inputs(r)
            issuer = eks.describe_cluster(name=self.live["cluster"])["cluster"]["identity"]["oidc"]["issuer"]
            arn = iam.create_open_id_connect_provider(
                Url=issuer, ClientIDList=i["clientIdLists"], ThumbprintList=i.get("thumbprintLists") or ["0" * 40]
            )["OpenIDConnectProviderArn"]
            self.live["oidc"] = arn


def _api(value: Any) -> Any:
    """A lifecycle rule's provider inputs in the S3 API's shape (camelCase keys to PascalCase, id to ID)."""
    if isinstance(value, dict):
        return {("ID" if k == "id" else k[:1].upper() + k[1:]): _api(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api(v) for v in value]
    return value


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A replication rule's provider inputs in the S3 API's shape (which spells ReplicaKmsKeyID so)."""
    out: dict[str, Any] = _api(rule)
    encryption = out.get("Destination", {}).get("EncryptionConfiguration", {})
    if "ReplicaKmsKeyId" in encryption:
        encryption["ReplicaKmsKeyID"] = encryption.pop("ReplicaKmsKeyId")
    return out


def _field(f: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Field": f["field"]}
    for src, dst in (
        ("equals", "Equals"),
        ("startsWiths", "StartsWith"),
        ("notEquals", "NotEquals"),
        ("endsWiths", "EndsWith"),
        ("notStartsWiths", "NotStartsWith"),
    ):
        if f.get(src):
            out[dst] = f[src]
    return out


def _all_default_tags(result: SynthResult) -> dict[str, str]:
    for r in result.by_type("pulumi:providers:aws"):
        raw = r["inputs"].get("defaultTags")
        tags: dict[str, str] = (json.loads(raw) if isinstance(raw, str) else raw or {}).get("tags", {})
        if tags:
            return tags
    return {}


def seed_stack(result: SynthResult, endpoint: str) -> dict[str, Any]:
    return Seeder(result, endpoint).seed()


# ----- the drifted copy ---------------------------------------------------------------------------------------
def _one(result: SynthResult, typ: str, name: str) -> dict[str, Any]:
    found = [r for r in result.resources if r["type"] == typ and r["name"] == name]
    assert len(found) == 1, (typ, name)
    inputs: dict[str, Any] = found[0]["inputs"]
    return inputs


def weakened_copy(result: SynthResult) -> SynthResult:
    """The stack's resources with settings weakened as a hand in the console would (applied before seeding
    where moto cannot change a setting after creation)."""
    r = copy.deepcopy(result)
    cluster = _one(r, "aws:eks/cluster:Cluster", "prod-cluster")
    cluster["enabledClusterLogTypes"] = ["api", "authenticator"]  # EKS-02
    cluster["vpcConfig"]["endpointPublicAccess"] = True  # EKS-03 (public to 0.0.0.0/0)
    cluster.pop("encryptionConfig")  # EKS-01
    _one(r, "aws:eks/nodeGroup:NodeGroup", "prod-infer-g6e-node-group")["taints"] = []  # NODE-04
    meta = _one(r, "aws:ec2/launchTemplate:LaunchTemplate", "prod-notebooks-g6-launch-template")["metadataOptions"]
    meta.update(httpTokens="optional", httpPutResponseHopLimit=2)  # NODE-01
    system = _one(r, "aws:ec2/launchTemplate:LaunchTemplate", "prod-system-launch-template")
    system["blockDeviceMappings"][0]["ebs"]["encrypted"] = "false"  # NODE-02
    infer = _one(r, "aws:ec2/launchTemplate:LaunchTemplate", "prod-infer-g6e-launch-template")
    infer["networkInterfaces"][0]["associatePublicIpAddress"] = "true"  # NODE-03
    trainer = _one(r, "aws:iam/role:Role", "prod-trainer-role")
    trust = json.loads(trainer["assumeRolePolicy"])
    cond = trust["Statement"][0]["Condition"]
    sub = next(k for k in cond["StringEquals"] if k.endswith(":sub"))
    cond["StringLike"] = {sub: "system:serviceaccount:training:*"}  # IAM-01
    del cond["StringEquals"][sub]
    trainer["assumeRolePolicy"] = json.dumps(trust)
    _one(r, "aws:iam/role:Role", "prod-notebook-role")["maxSessionDuration"] = 43200  # IAM-03
    trail = _one(r, "aws:cloudtrail/trail:Trail", "prod-trail")
    trail.update(isMultiRegionTrail=False, enableLogFileValidation=False)  # LOG-01
    trail.pop("kmsKeyId")  # LOG-02
    data = trail["advancedEventSelectors"][1]["fieldSelectors"][2]
    data["startsWiths"] = [p for p in data["startsWiths"] if ":::prod-models-prod-" not in p]  # LOG-03
    _one(r, "aws:cloudwatch/logGroup:LogGroup", "prod-flow-logs")["retentionInDays"] = 30  # LOG-05
    _one(r, "aws:cloudwatch/logGroup:LogGroup", "prod-control-plane-logs").pop("kmsKeyId")  # LOG-04
    r.resources = [x for x in r.resources if x["type"] != "aws:ec2/flowLog:FlowLog"]  # LOG-06
    # RECOVER-04: S3 keeps versioning on while a bucket replicates, so suspending it (above) took its replication off
    r.resources = [x for x in r.resources if x["name"] != "prod-datasets-replication"]
    versioning = _one(r, "aws:s3/bucketVersioning:BucketVersioning", "prod-datasets-versioning")
    versioning["versioningConfiguration"]["status"] = "Suspended"  # S3-05
    sse = _one(
        r,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "prod-checkpoints-encryption",
    )
    sse["rules"][0]["applyServerSideEncryptionByDefault"] = {"sseAlgorithm": "AES256"}  # S3-01
    sse = _one(
        r,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "prod-models-staging-encryption",
    )
    sse["rules"][0]["bucketKeyEnabled"] = False  # S3-01 (bucket key)
    pab = _one(r, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "prod-models-prod-public-access-block")
    pab.update(blockPublicPolicy=False, restrictPublicBuckets=False)  # S3-03
    own = _one(r, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "prod-models-staging-ownership")
    own["rule"]["objectOwnership"] = "ObjectWriter"  # S3-04
    r.resources = [x for x in r.resources if x["name"] != "prod-models-prod-logging"]  # S3-09
    lock = _one(r, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "prod-audit-logs-object-lock")
    lock["rule"]["defaultRetention"] = {"mode": "GOVERNANCE", "days": 30}  # RECOVER-01
    _one(r, "aws:kms/key:Key", "prod-training-key")["enableKeyRotation"] = False  # KMS-01
    rules = _one(r, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "prod-checkpoints-lifecycle")
    rules["rules"] = [x for x in rules["rules"] if "noncurrentVersionExpiration" not in x]  # S3-10
    policy = _one(r, "aws:s3/bucketPolicy:BucketPolicy", "prod-datasets-policy")
    doc = json.loads(policy["policy"])
    doc["Statement"] = [x for x in doc["Statement"] if x.get("Sid") != "DenyCustomerProvidedKeys"]  # S3-07
    policy["policy"] = json.dumps(doc)
    oidc = _one(r, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "prod-oidc")
    oidc["clientIdLists"] = ["sts.amazonaws.com", "kubernetes"]  # IAM-06
    stream = _one(r, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "prod-log-copy-stream")
    stream["serverSideEncryption"] = {"enabled": False}  # LOG-08 (the control-plane copy's buffer unencrypted)
    _one(r, "aws:secretsmanager/secret:Secret", "prod-training-experiment-tracker-token").pop("kmsKeyId")  # DATA-10
    registry = _one(r, "aws:secretsmanager/secret:Secret", "prod-inference-model-registry-token")
    registry["tags"] = {**registry["tags"], "enclave:rotation": "required"}  # DATA-10 (rotation off)
    return r


def weaken_live(endpoint: str, live: dict[str, Any], result: SynthResult) -> None:
    """Weakenings made through the API after creation (as a console edit would)."""
    c = clients(endpoint)
    checkpoints = next(b for b in live["buckets"] if "checkpoints" in b)
    public = {
        "Version": "2012-10-17",
        "Statement": {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{checkpoints}/*",
        },
    }
    c["s3"].put_bucket_policy(Bucket=checkpoints, Policy=json.dumps(public))  # S3-08 (and S3-06: no TLS deny)
    key = live["keys"]["alias/enclave/prod/inference"]
    policy = json.loads(c["kms"].get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    policy["Statement"].append(
        {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
    )
    c["kms"].put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))  # KMS-02
    key = live["keys"]["alias/enclave/prod/notebooks"]
    policy = json.loads(c["kms"].get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    policy["Statement"].append(
        {
            "Sid": "LogsUseKey",
            "Effect": "Allow",
            "Principal": {"Service": "logs.amazonaws.com"},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
    )
    c["kms"].put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))  # KMS-03 (no condition)
    c["ec2"].authorize_security_group_ingress(
        GroupId=live["efa_sg"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )  # EFA-01
    role = _one(result, "aws:iam/role:Role", "prod-model-server-role")["name"]
    c["iam"].put_role_policy(
        RoleName=role,
        PolicyName="console-edit",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )  # IAM-02
    cni = _one(result, "aws:iam/role:Role", "prod-vpc-cni-role")["name"]
    admin = c["iam"].create_policy(
        PolicyName="console-kms-admin",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Sid": "KeyAdmin", "Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    c["iam"].attach_role_policy(RoleName=cni, PolicyArn=admin)  # IAM-02 (a customer-managed policy)
    flow = _one(result, "aws:iam/role:Role", "prod-flow-logs-role")["name"]
    c["iam"].attach_role_policy(RoleName=flow, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")  # IAM-07
    c["cloudtrail"].stop_logging(Name=live["trail"])  # LOG-01 (logging off)
    c["iam"].create_user(UserName="console-user")
    c["iam"].create_access_key(UserName="console-user")  # IAM-04
    node = _one(result, "aws:iam/role:Role", "prod-train-p5-node-role")["name"]
    c["iam"].attach_role_policy(RoleName=node, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")  # NODE-06
    notebooks = _one(result, "aws:iam/role:Role", "prod-notebooks-g6-node-role")["name"]
    widen_pullers(c["ecr"], "prod/inference/model-server", f"arn:aws:iam::{ACCOUNT}:role/{notebooks}")  # IAM-08


def repository_roles(ecr: Any, repository: str) -> tuple[list[str], list[str]]:
    """The pullers and pushers a live zone repository's policy names (its Allow statements, as the component
    writes them)."""
    doc = json.loads(ecr.get_repository_policy(repositoryName=repository)["policyText"])
    allowed = {s["Sid"]: s["Principal"]["AWS"] for s in doc["Statement"] if s["Effect"] == "Allow"}
    return list(allowed.get("ZoneNodesPull", [])), list(allowed.get("NamedRolesPush", []))


def widen_pullers(ecr: Any, repository: str, *roles: str) -> None:
    """A console edit that lets `roles` pull too: the component's own policy, rebuilt with more pullers (its Allow
    and its Deny's exceptions)."""
    pullers, pushers = repository_roles(ecr, repository)
    ecr.set_repository_policy(repositoryName=repository, policyText=repository_policy([*pullers, *roles], pushers))


def without_pull_deny(policy: str) -> dict[str, Any]:
    """The policy with its pull Deny removed (the component's PULL_SID statement)."""
    doc: dict[str, Any] = json.loads(policy)
    doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != PULL_SID]
    return doc


def seed_drifted(result: SynthResult, endpoint: str) -> dict[str, Any]:
    weak = weakened_copy(result)
    live = seed_stack(weak, endpoint)
    weaken_live(endpoint, live, weak)
    return live


# ----- from the command line: the README's audit example ----------------------------------------------------------
PROD_ACCOUNT = "111122223333"  # stacks/Pulumi.prod.yaml's account_id


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.enclave.audit.seed ENDPOINT [--drifted] [--out DIR]`: seed a running moto server with the
    prod stack (or its drifted copy), and write DIR/Pulumi.prod.yaml and DIR/prod.json, the prod stack file and
    pack config with moto's account in place of prod's (`audit --stack` refuses an account that is not the
    stack's)."""
    import argparse
    from pathlib import Path

    from enclave.synth import PROJECT_ROOT, synth

    parser = argparse.ArgumentParser(prog="python -m tests.enclave.audit.seed")
    parser.add_argument("endpoint", help="the moto server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--drifted", action="store_true", help="seed the weakened copy (41 weakenings)")
    parser.add_argument("--out", type=Path, default=Path("out/moto"), help="where the moto-account files go")
    args = parser.parse_args(argv)
    prod = synth("prod", account_id=ACCOUNT)
    (seed_drifted if args.drifted else seed_stack)(prod, args.endpoint)
    args.out.mkdir(parents=True, exist_ok=True)
    for source, name in (("stacks/Pulumi.prod.yaml", "Pulumi.prod.yaml"), ("policy_packs/hipaa/config/prod.json",
                                                                           "prod.json")):  # fmt: skip
        text = (PROJECT_ROOT / source).read_text(encoding="utf-8").replace(PROD_ACCOUNT, ACCOUNT)
        (args.out / name).write_text(text, encoding="utf-8")
    print(f"seeded {args.endpoint} (account {ACCOUNT}); --stack prod --config-file {args.out}/Pulumi.prod.yaml "
          f"--pack-config {args.out}/prod.json")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
