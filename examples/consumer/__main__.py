"""Consumer example: an AWS Glue database and crawler over the Bitmovin Analytics exports.

Reads the export stack's outputs with ``StackReference(...).require_output(...)`` (a missing output
fails the run instead of yielding None), so a renamed or removed output is caught at preview. The
crawler's own role may read only under the export prefix and write only its own Glue database.
Everything is created in the export bucket's region (the ``region`` output).
"""

import json

import crawler_access as access
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
try:
    export_stack = access.export_stack_name(config.get("exportStack"))
    database = access.database_name(config.get("databaseName"), pulumi.get_stack())
    kms_key = access.kms_key_arn(config.get("kmsKeyArn"))
except ValueError as error:
    raise pulumi.RunError(str(error)) from None
schedule = config.get("crawlerSchedule")

export = pulumi.StackReference(export_stack)
bucket_name = export.require_output("bucketName")
export_prefix = export.require_output("exportPrefix")
region = export.require_output("region")

in_region = pulumi.ResourceOptions(provider=aws.Provider("export-region", region=region))
invoke = pulumi.InvokeOptions(provider=in_region.provider)
account_id = aws.get_caller_identity_output(opts=invoke).account_id
partition = aws.get_partition_output(opts=invoke).partition

catalog = aws.glue.CatalogDatabase(
    "exports",
    name=database,
    description=pulumi.Output.concat("Bitmovin Analytics exports of ", export_stack),
    opts=in_region,
)
role = aws.iam.Role(
    "crawler",
    description=pulumi.Output.concat("Glue crawler over the Bitmovin Analytics exports of ", export_stack),
    assume_role_policy=account_id.apply(lambda account: json.dumps(access.trust_policy(account))),
    opts=in_region,
)
policy = aws.iam.RolePolicy(
    "crawler-read-exports",
    role=role.id,
    policy=pulumi.Output.all(partition, region, account_id, bucket_name, export_prefix).apply(
        lambda v: json.dumps(access.crawler_policy(v[0], v[1], v[2], v[3], v[4], database, kms_key))
    ),
    opts=in_region,
)
location = pulumi.Output.all(bucket_name, export_prefix).apply(
    lambda v: f"s3://{access.checked_bucket(v[0])}/{access.checked_prefix(v[1])}"
)
crawler = aws.glue.Crawler(
    "exports",
    database_name=catalog.name,
    role=role.arn,
    # `python -m verify --export` of the export project writes its test exports under <prefix>verify/:
    # they are not data, so no table is made of them (patterns are relative to the path).
    s3_targets=[aws.glue.CrawlerS3TargetArgs(path=location, exclusions=list(access.EXCLUDED_FOLDERS))],
    schedule=schedule or None,
    # New export folders only; the crawler never changes or deletes existing tables.
    recrawl_policy=aws.glue.CrawlerRecrawlPolicyArgs(recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY"),
    schema_change_policy=aws.glue.CrawlerSchemaChangePolicyArgs(update_behavior="LOG", delete_behavior="LOG"),
    opts=pulumi.ResourceOptions.merge(in_region, pulumi.ResourceOptions(depends_on=[policy])),
)

pulumi.export("databaseName", catalog.name)
pulumi.export("crawlerName", crawler.name)
pulumi.export("crawlerRoleArn", role.arn)
pulumi.export("exportLocation", location)
