"""Monthly cost estimators: one function per resource type, turning attributes into bill lines.

`estimate(resource, catalog, usage)` returns a `ResourceCost` whose components read like an AWS bill
(instance hours, GB-months, IOPS-months...), or None when the type has no estimator ("not priced").

Principles, because users act on these numbers:
- A price the catalog lacks is unknown (`unit_price=None`), never 0.
- An attribute we cannot read (unresolved variable, nonsense value) leaves that line's quantity
  unknown with a note; nothing is guessed. Where AWS itself applies a default (8 GB root volume, gp2,
  one node) we use it and say so in the note.
- Usage-priced lines (requests, GB processed, storage) have `quantity=None` unless the `usage` mapping
  gives a figure; they then add nothing and read "depends on usage".
Usage keys are documented in `pricing/data/README.md`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from advisor.model import HOURS_PER_MONTH, Block, Resource, Value

from .catalog import Catalog
from .costs import ResourceCost
from .licences import RDS_LICENSED_ENGINES, rds_licensed_engine
from .lines import (
    GP3_FREE_IOPS,
    GP3_FREE_MIBPS,
    MAX_COUNT,
    Usage,
    _compute_hours,
    _count,
    _Ctx,
    _fmt,
    _instance_hours,
    _instance_note,
    _join,
    _Missing,
    _Number,
    _type_name,
    price_date,
)

DEFAULT_ROOT_GB = 8.0  # AWS AMIs' usual root volume; infracost's default too
DEFAULT_VOLUME_TYPE = "gp2"  # the provider's default for volumes and block devices
DEFAULT_NODE_DISK_GB = 20.0  # aws_eks_node_group disk_size default
DEFAULT_NODE_TYPE = "t3.medium"  # aws_eks_node_group instance_types default
DEFAULT_LAMBDA_MB = 128.0

# (min GiB, max GiB, max IOPS, max IOPS per GiB, max MiB/s) per EBS volume type, from the EBS user guide.
EBS_LIMITS: dict[str, tuple[float, float, float | None, float | None, float | None]] = {
    "gp2": (1, 16384, None, None, None),
    "gp3": (1, 16384, 16000, 500, 1000),
    "io1": (4, 16384, 64000, 50, None),
    "io2": (4, 65536, 256000, 1000, None),
    "st1": (125, 16384, None, None, None),
    "sc1": (125, 16384, None, None, None),
    "standard": (1, 1024, None, None, None),
}
RDS_STORAGE_TYPES = ("standard", "gp2", "gp3", "io1", "io2")
RDS_MAX_GB = 65536.0
# Provisioned IOPS storage (io1, io2) on RDS for MySQL, PostgreSQL and MariaDB: at least 100 GiB and
# 1,000 IOPS (RDS user guide, "Provisioned IOPS SSD storage").
RDS_PIOPS_MIN_GB = 100.0
RDS_PIOPS_MIN_IOPS = 1000.0
RDS_ENGINES = {
    "mysql": "mysql",
    "postgres": "postgres",
    "mariadb": "mariadb",
    "aurora": "aurora-mysql",
    "aurora-mysql": "aurora-mysql",
    "aurora-postgresql": "aurora-postgresql",
}
AURORA_ENGINES = ("aurora-mysql", "aurora-postgresql")
CACHE_ENGINES = ("redis", "valkey", "memcached")
DETAILED_MONITORING_METRICS = 7.0  # EC2 detailed monitoring publishes seven one-minute metrics
# Previous-generation types on which EBS optimization is an hourly charge of its own (EC2 user guide,
# "Amazon EBS-optimized instances", previous generation). Every other type that supports it has it on
# by default and included in the instance price, and a type that does not support it ignores the flag.
EBS_OPTIMIZED_SURCHARGED = frozenset(
    {"c1.xlarge", "c3.xlarge", "c3.2xlarge", "c3.4xlarge", "g2.2xlarge", "i2.xlarge", "i2.2xlarge"}
    | {"i2.4xlarge", "m1.large", "m1.xlarge", "m2.2xlarge", "m2.4xlarge", "m3.xlarge", "m3.2xlarge"}
    | {"r3.xlarge", "r3.2xlarge", "r3.4xlarge"}
)
CFN_DEFAULT_INSTANCE_TYPE = "m1.small"  # AWS::EC2::Instance without InstanceType launches this
# The nested block under which the front-end gives an autoscaling group, node group or instance the
# body of the launch template or configuration it launches (labelled with that resource's type).
LAUNCHED_BLOCK = "_launch_template"

# Amazon EKS release calendar: Kubernetes minor version -> (end of standard support, end of extended
# support). A version is in extended support ($0.60 instead of $0.10 per cluster-hour) the day after
# its standard support ends; after extended support ends AWS upgrades the cluster to the oldest version
# still in extended support, so it keeps the extended price. Source: Amazon EKS user guide,
# "Understand the Kubernetes version lifecycle on EKS", release calendar (as listed by
# endoflife.date/amazon-eks, read 2026-02).
EKS_SUPPORT_ENDS: dict[tuple[int, int], tuple[str, str]] = {
    (1, 23): ("2023-10-11", "2024-10-11"),
    (1, 24): ("2024-01-31", "2025-01-31"),
    (1, 25): ("2024-05-01", "2025-05-01"),
    (1, 26): ("2024-06-11", "2025-06-11"),
    (1, 27): ("2024-07-24", "2025-07-24"),
    (1, 28): ("2024-11-26", "2025-11-26"),
    (1, 29): ("2025-03-23", "2026-03-23"),
    (1, 30): ("2025-07-23", "2026-07-23"),
    (1, 31): ("2025-11-26", "2026-11-26"),
    (1, 32): ("2026-03-23", "2027-03-23"),
    (1, 33): ("2026-07-29", "2027-07-29"),
    (1, 34): ("2026-12-02", "2027-12-02"),
    (1, 35): ("2027-03-27", "2028-03-27"),
}
# RDS Extended Support: (engine, major version) -> (first day of extended support, first day of its
# third year or "" when it has none). Billed per vCPU-hour of every instance (Multi-AZ standbys
# included): years 1-2 at `rds_extended_support.year1_2`, year 3 at `.year3`, the same rate for RDS and
# Aurora provisioned instances. Sources: Amazon RDS user guide "Amazon RDS Extended Support charges"
# and the MySQL / PostgreSQL / Aurora release calendars (as quoted by vantage.sh "Amazon RDS Extended
# Support" and usage.ai "RDS Extended Support Pricing", May 2026).
RDS_EXTENDED_SUPPORT: dict[tuple[str, str], tuple[str, str]] = {
    ("mysql", "5.7"): ("2024-03-01", "2026-03-01"),
    ("mysql", "8.0"): ("2026-08-01", "2028-08-01"),
    ("postgres", "11"): ("2024-03-01", "2026-03-01"),
    ("postgres", "12"): ("2025-03-01", "2027-03-01"),
    ("postgres", "13"): ("2026-03-01", "2028-03-01"),
    ("aurora-mysql", "5.7"): ("2024-11-01", ""),
    ("aurora-postgresql", "11"): ("2024-03-01", "2026-03-01"),
    ("aurora-postgresql", "12"): ("2025-03-01", "2027-03-01"),
    ("aurora-postgresql", "13"): ("2026-03-01", "2028-03-01"),
}
# Instances of one database an RDS deployment runs (each billed for extended support).
RDS_DEPLOYMENT_INSTANCES = {"single-az": 1.0, "multi-az": 2.0, "multi-az-cluster": 3.0}

# Types AWS never bills by themselves: priced as $0 rather than reported as "not priced".
# fmt: off
FREE_TYPES = frozenset({
    "aws_vpc", "aws_subnet", "aws_route_table", "aws_route", "aws_route_table_association",
    "aws_internet_gateway", "aws_egress_only_internet_gateway", "aws_security_group",
    "aws_security_group_rule", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule",
    "aws_network_acl", "aws_network_acl_rule", "aws_default_security_group", "aws_default_route_table",
    "aws_default_network_acl", "aws_main_route_table_association", "aws_eip_association", "aws_iam_role",
    "aws_iam_policy", "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy_attachment",
    "aws_iam_instance_profile", "aws_iam_user", "aws_iam_group", "aws_iam_user_policy",
    "aws_iam_group_policy", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment",
    "aws_iam_openid_connect_provider", "aws_key_pair", "aws_db_subnet_group", "aws_db_parameter_group",
    "aws_rds_cluster_parameter_group", "aws_db_option_group", "aws_elasticache_subnet_group",
    "aws_elasticache_parameter_group", "aws_lb_target_group", "aws_lb_listener", "aws_lb_listener_rule",
    "aws_lb_target_group_attachment", "aws_alb_target_group", "aws_alb_listener", "aws_alb_listener_rule",
    "aws_alb_target_group_attachment", "aws_autoscaling_policy", "aws_autoscaling_attachment",
    "aws_s3_bucket_policy", "aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_acl", "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_cors_configuration", "aws_lambda_permission", "aws_cloudwatch_log_stream",
    "aws_volume_attachment", "aws_placement_group",
    # networking that carries no charge of its own (traffic through it is billed where it is metered)
    "aws_default_vpc", "aws_default_subnet", "aws_vpc_dhcp_options", "aws_vpc_dhcp_options_association",
    "aws_default_vpc_dhcp_options", "aws_vpc_ipv4_cidr_block_association",
    "aws_vpc_ipv6_cidr_block_association", "aws_vpc_peering_connection",
    "aws_vpc_peering_connection_accepter", "aws_vpc_peering_connection_options",
    "aws_vpc_endpoint_route_table_association", "aws_vpc_endpoint_service",
    "aws_vpc_endpoint_connection_notification", "aws_vpc_endpoint_service_allowed_principal",
    "aws_vpc_block_public_access_exclusion", "aws_vpc_block_public_access_options", "aws_network_interface",
    "aws_network_interface_attachment", "aws_network_interface_sg_attachment", "aws_customer_gateway",
    "aws_vpn_gateway", "aws_vpn_gateway_attachment", "aws_vpn_gateway_route_propagation",
    "aws_vpn_connection_route", "aws_ec2_transit_gateway", "aws_ec2_transit_gateway_route_table",
    "aws_ec2_transit_gateway_route", "aws_ec2_transit_gateway_route_table_association",
    "aws_ec2_transit_gateway_route_table_propagation", "aws_ec2_transit_gateway_vpc_attachment_accepter",
    "aws_ec2_managed_prefix_list", "aws_ec2_managed_prefix_list_entry", "aws_network_acl_association",
    "aws_ec2_tag", "aws_ami_launch_permission", "aws_route53_zone_association",
    "aws_route53_vpc_association_authorization", "aws_route53_resolver_rule_association",
    "aws_route53_delegation_set", "aws_route53_query_log", "aws_ec2_client_vpn_authorization_rule",
    "aws_ec2_client_vpn_route", "aws_ec2_traffic_mirror_filter", "aws_ec2_traffic_mirror_filter_rule",
    "aws_ec2_traffic_mirror_target", "aws_dx_gateway",
    # identity and access
    "aws_iam_access_key", "aws_iam_saml_provider", "aws_iam_service_linked_role",
    "aws_iam_account_password_policy", "aws_iam_account_alias", "aws_iam_server_certificate",
    "aws_iam_user_login_profile", "aws_iam_group_membership", "aws_iam_user_group_membership",
    "aws_iam_user_ssh_key", "aws_iam_role_policies_exclusive", "aws_iam_role_policy_attachments_exclusive",
    "aws_iam_policy_attachments_exclusive", "aws_iam_virtual_mfa_device", "aws_iam_signing_certificate",
    "aws_kms_grant", "aws_kms_key_policy", "aws_secretsmanager_secret_rotation",
    "aws_secretsmanager_secret_policy", "aws_acm_certificate_validation", "aws_lb_listener_certificate",
    "aws_lb_trust_store",
    # load balancing and scaling configuration
    "aws_lb_cookie_stickiness_policy", "aws_load_balancer_policy", "aws_load_balancer_listener_policy",
    "aws_load_balancer_backend_server_policy", "aws_elb_attachment", "aws_proxy_protocol_policy",
    "aws_app_cookie_stickiness_policy", "aws_autoscaling_lifecycle_hook", "aws_autoscaling_notification",
    "aws_autoscaling_schedule", "aws_autoscaling_group_tag", "aws_autoscaling_traffic_source_attachment",
    "aws_appautoscaling_target", "aws_appautoscaling_policy", "aws_appautoscaling_scheduled_action",
    # storage configuration (objects are billed as the bucket's storage, by usage)
    "aws_s3_object", "aws_s3_bucket_object", "aws_s3_object_copy", "aws_s3_bucket_website_configuration",
    "aws_s3_bucket_logging", "aws_s3_bucket_notification", "aws_s3_bucket_request_payment_configuration",
    "aws_s3_bucket_replication_configuration", "aws_s3_bucket_intelligent_tiering_configuration",
    "aws_s3_bucket_object_lock_configuration", "aws_s3_account_public_access_block",
    "aws_s3_bucket_accelerate_configuration", "aws_s3_directory_bucket_access_point_scope",
    "aws_efs_mount_target", "aws_efs_access_point", "aws_efs_file_system_policy", "aws_efs_backup_policy",
    "aws_ecr_lifecycle_policy", "aws_ecr_repository_policy", "aws_ecr_registry_policy",
    "aws_ecr_replication_configuration", "aws_ebs_encryption_by_default", "aws_ebs_default_kms_key",
    # compute and application configuration
    "aws_lambda_event_source_mapping", "aws_lambda_function_event_invoke_config", "aws_lambda_alias",
    "aws_lambda_layer_version", "aws_lambda_layer_version_permission", "aws_lambda_function_url",
    "aws_ecs_cluster_capacity_providers", "aws_ecs_capacity_provider", "aws_ecs_account_setting_default",
    "aws_eks_addon", "aws_eks_identity_provider_config", "aws_eks_access_entry",
    "aws_eks_access_policy_association", "aws_eks_pod_identity_association",
    "aws_db_instance_role_association", "aws_rds_cluster_role_association", "aws_rds_cluster_endpoint",
    "aws_db_snapshot_copy", "aws_elasticache_user", "aws_elasticache_user_group",
    "aws_elasticache_user_group_association", "aws_iam_instance_profile_association",
    "aws_elastic_beanstalk_application", "aws_elastic_beanstalk_application_version",
    "aws_elastic_beanstalk_configuration_template",
    # events, notifications and APIs (messages, requests and invocations are billed where they are sent)
    "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target", "aws_cloudwatch_event_connection",
    "aws_cloudwatch_event_permission", "aws_cloudwatch_event_bus_policy", "aws_scheduler_schedule_group",
    "aws_cloudwatch_log_subscription_filter", "aws_cloudwatch_log_metric_filter",
    "aws_cloudwatch_log_resource_policy", "aws_cloudwatch_log_destination",
    "aws_cloudwatch_log_destination_policy", "aws_cloudwatch_query_definition",
    "aws_cloudwatch_log_delivery", "aws_cloudwatch_log_delivery_source",
    "aws_cloudwatch_log_delivery_destination", "aws_cloudwatch_log_delivery_destination_policy",
    "aws_cloudwatch_log_data_protection_policy", "aws_sns_topic_subscription", "aws_sns_topic_policy",
    "aws_sns_topic_data_protection_policy", "aws_sqs_queue_policy", "aws_sqs_queue_redrive_policy",
    "aws_sqs_queue_redrive_allow_policy", "aws_api_gateway_resource", "aws_api_gateway_method",
    "aws_api_gateway_integration", "aws_api_gateway_method_response",
    "aws_api_gateway_integration_response", "aws_api_gateway_deployment", "aws_api_gateway_model",
    "aws_api_gateway_authorizer", "aws_api_gateway_gateway_response", "aws_api_gateway_base_path_mapping",
    "aws_api_gateway_domain_name", "aws_api_gateway_account", "aws_api_gateway_rest_api_policy",
    "aws_api_gateway_usage_plan", "aws_api_gateway_usage_plan_key", "aws_api_gateway_api_key",
    "aws_api_gateway_request_validator", "aws_api_gateway_method_settings",
    "aws_api_gateway_documentation_part", "aws_api_gateway_vpc_link", "aws_apigatewayv2_route",
    "aws_apigatewayv2_integration", "aws_apigatewayv2_stage", "aws_apigatewayv2_deployment",
    "aws_apigatewayv2_authorizer", "aws_apigatewayv2_domain_name", "aws_apigatewayv2_api_mapping",
    "aws_apigatewayv2_route_response", "aws_apigatewayv2_integration_response", "aws_apigatewayv2_model",
    "aws_apigatewayv2_vpc_link", "aws_codestarnotifications_notification_rule", "aws_ses_domain_identity",
    "aws_ses_email_identity", "aws_ses_domain_dkim", "aws_ses_domain_mail_from", "aws_ses_identity_policy",
    "aws_ses_domain_identity_verification", "aws_sesv2_email_identity",
    # web application firewall parts (billed on the web ACL)
    "aws_waf_ipset", "aws_waf_rule", "aws_wafregional_ipset", "aws_wafregional_rule",
    "aws_wafregional_web_acl_association", "aws_wafv2_ip_set", "aws_wafv2_regex_pattern_set",
    "aws_wafv2_web_acl_association", "aws_wafv2_web_acl_logging_configuration",
    # management and organisation
    "aws_cloudformation_stack", "aws_cloudformation_stack_set", "aws_cloudformation_stack_set_instance",
    "aws_serverlessapplicationrepository_cloudformation_stack", "aws_servicecatalog_tag_option",
    "aws_organizations_organization", "aws_organizations_organizational_unit", "aws_organizations_account",
    "aws_organizations_policy", "aws_organizations_policy_attachment", "aws_ssm_document",
    "aws_ssm_association", "aws_ssm_maintenance_window", "aws_ssm_maintenance_window_target",
    "aws_ssm_maintenance_window_task", "aws_ssm_patch_baseline", "aws_ssm_patch_group",
    "aws_ssm_resource_data_sync", "aws_backup_plan", "aws_backup_selection", "aws_backup_vault_policy",
    "aws_backup_vault_notifications", "aws_resourcegroups_group", "aws_sfn_activity",
    "aws_glue_catalog_database", "aws_glue_security_configuration", "aws_glue_trigger",
    "aws_athena_workgroup", "aws_athena_named_query", "aws_athena_database", "aws_cognito_user_pool_client",
    "aws_cognito_user_pool_domain", "aws_cognito_identity_pool_roles_attachment", "aws_cognito_user_group",
    "aws_cognito_resource_server", "aws_cognito_identity_provider",
    # CloudFront configuration (requests and transfer are billed on the distribution)
    "aws_cloudfront_cache_policy", "aws_cloudfront_origin_request_policy",
    "aws_cloudfront_response_headers_policy", "aws_cloudfront_origin_access_identity",
    "aws_cloudfront_origin_access_control", "aws_cloudfront_function",
    # CloudFormation-only kinds, named in the same style by server/iac/cloudformation.toml
    "aws_cloudformation_wait_condition", "aws_cloudformation_macro", "aws_cloudformation_custom_resource",
    "aws_lambda_version", "aws_cdk_metadata", "aws_appsync_graphql_schema",
    # more configuration without a charge of its own
    "aws_neptune_parameter_group", "aws_neptune_cluster_parameter_group", "aws_dms_replication_subnet_group",
    "aws_dms_endpoint", "aws_appmesh_mesh", "aws_servicecatalog_portfolio", "aws_servicecatalog_product",
    "aws_iot_policy", "aws_iot_policy_attachment", "aws_iot_thing", "aws_iot_thing_principal_attachment",
    "aws_ssoadmin_permission_set", "aws_ssoadmin_permission_set_inline_policy",
    "aws_ssoadmin_managed_policy_attachment", "aws_ssoadmin_account_assignment", "aws_identitystore_user",
    "aws_identitystore_group", "aws_identitystore_group_membership", "aws_codedeploy_app",
    "aws_lambda_code_signing_config", "aws_signer_signing_profile", "aws_resourcegroups_resource",
    "aws_vpc_endpoint_connection_accepter",
    "aws_lakeformation_permissions", "aws_config_aggregate_authorization", "aws_config_delivery_channel",
    "aws_dms_replication_task", "aws_servicecatalog_product_portfolio_association", "aws_shield_protection",
    "aws_servicecatalog_tag_option_resource_association", "aws_appconfig_application", "aws_gamelift_alias",
})
# fmt: on

# -- shared pieces ---------------------------------------------------------------------------------


def _ec2_options(
    ctx: _Ctx,
    body: Block,
    type_value: Value | _Missing,
    count: float | None,
    *,
    configuration: bool = False,
) -> None:
    """Charges an instance's settings add to its hours: EBS optimization on the previous-generation
    types that bill it apart, and detailed monitoring (seven metrics per instance at the custom-metric
    price, as AWS bills them). `body` says `ebs_optimized` and `monitoring`: an instance's, a launch
    template's, or a launch configuration's (`configuration`)."""
    name, _ = _type_name(ctx, type_value, "instance_type")
    quantity, hours_note = _instance_hours(ctx, count)
    if ctx.flag(body, "ebs_optimized") and name in EBS_OPTIMIZED_SURCHARGED:
        key = f"ebs_optimized.{name}"
        ctx.add(
            f"EBS-optimized usage ({name})",
            key,
            quantity,
            unit="hours",
            note=hours_note,
            missing_note=f"no price for EBS optimization of {name} in {ctx.region}",
        )
    if _monitored(ctx, body, configuration):
        ctx.add(
            "EC2 detailed monitoring",
            "cloudwatch.metric",
            None if count is None else count * DETAILED_MONITORING_METRICS,
            unit="metrics",
            note="seven metrics per instance at one-minute resolution, billed as custom metrics",
        )


def _monitored(ctx: _Ctx, body: Block, configuration: bool) -> bool:
    """Detailed monitoring: `monitoring = true` (instance), `monitoring { enabled = true }` (launch
    template), `enable_monitoring` (launch configuration: on unless set to false, the provider's and
    CloudFormation's default)."""
    if configuration:
        return ctx.flag(body, "enable_monitoring") is not False
    nested = ctx.first_block("monitoring", body)
    if nested is not None:
        return bool(ctx.flag(nested, "enabled"))
    return bool(ctx.flag(body, "monitoring"))


def _ebs_volume(
    ctx: _Ctx,
    block: Block | None,
    *,
    prefix: str,
    type_attr: str,
    size_attr: str,
    default_size: float | None,
) -> None:
    """Storage, IOPS and throughput lines for one EBS volume."""
    vtype, type_note = ctx.text(block, type_attr)
    notes: list[str] = []
    if vtype is None and not type_note:
        vtype = DEFAULT_VOLUME_TYPE
        notes.append(f"{type_attr} not set: {DEFAULT_VOLUME_TYPE} assumed")
    limits = EBS_LIMITS.get(vtype or "")
    size = ctx.number(block, size_attr, default=default_size, what=size_attr)
    if not size.given and size.value is not None:
        notes.append(f"{size_attr} not set: {_fmt(size.value)} GB assumed")
    elif not size.given:
        notes.append(f"{size_attr} not set (taken from the snapshot or AMI): storage not counted")
    gb = size.value
    if gb is not None and limits:
        if gb == 0 or gb > limits[1]:
            size = _Number(
                None,
                f"{size_attr} = {_fmt(gb)} GB is outside {vtype}'s "
                f"{_fmt(limits[0])}–{_fmt(limits[1])} GB range",
            )
        elif gb < limits[0]:
            notes.append(f"{vtype} volumes must be at least {_fmt(limits[0])} GB; priced as written")
    if vtype is None or limits is None:
        why = type_note or f"unknown volume type '{vtype}'"
        ctx.add(
            f"{prefix}Storage", None, size.value, unit="GB", note=_join(*notes, size.note), missing_note=why
        )
        return
    ctx.add(f"{prefix}Storage ({vtype})", f"ebs.{vtype}.storage", size.value, note=_join(*notes, size.note))
    if size.note:
        ctx.note(f"{prefix}storage not counted: {size.note}")

    _, _, max_iops, max_ratio, max_mibps = limits
    if vtype in ("gp3", "io1", "io2"):
        iops = ctx.number(block, "iops", default=GP3_FREE_IOPS if vtype == "gp3" else None, what="iops")
        limit_notes: list[str] = []
        if iops.value is not None:
            if max_iops is not None and iops.value > max_iops:
                limit_notes.append(f"iops {_fmt(iops.value)} exceeds {vtype}'s maximum of {_fmt(max_iops)}")
            if max_ratio and size.value and iops.value > max_ratio * size.value:
                limit_notes.append(
                    f"iops {_fmt(iops.value)} exceeds {_fmt(max_ratio)} IOPS per GB "
                    f"for a {_fmt(size.value)} GB {vtype} volume"
                )
            if vtype == "gp3" and iops.value < GP3_FREE_IOPS:
                limit_notes.append(f"gp3 iops cannot be below {_fmt(GP3_FREE_IOPS)}")
        if vtype == "gp3":
            if iops.value is None:
                ctx.add(
                    f"{prefix}Provisioned IOPS (above 3000)",
                    "ebs.gp3.iops",
                    None,
                    note=iops.note,
                    usage=False,
                )
            elif iops.value > GP3_FREE_IOPS:
                ctx.add(
                    f"{prefix}Provisioned IOPS (above 3000)",
                    "ebs.gp3.iops",
                    iops.value - GP3_FREE_IOPS,
                    note=_join(*limit_notes),
                )
            elif limit_notes:
                ctx.note(f"{prefix}{_join(*limit_notes)}")
            mibps = ctx.number(block, "throughput", default=GP3_FREE_MIBPS, what="throughput")
            mib_note = ""
            if mibps.value is not None and max_mibps is not None and mibps.value > max_mibps:
                mib_note = f"throughput {_fmt(mibps.value)} MiB/s exceeds gp3's maximum of {_fmt(max_mibps)}"
            if mibps.value is None:
                ctx.add(
                    f"{prefix}Provisioned throughput (above 125 MiB/s)",
                    "ebs.gp3.throughput",
                    None,
                    note=mibps.note,
                    usage=False,
                )
            elif mibps.value > GP3_FREE_MIBPS:
                ctx.add(
                    f"{prefix}Provisioned throughput (above 125 MiB/s)",
                    "ebs.gp3.throughput",
                    mibps.value - GP3_FREE_MIBPS,
                    note=mib_note,
                )
        else:
            if iops.value is None and not iops.note:
                iops = _Number(None, f"iops is required for {vtype} volumes")
            if vtype == "io1":
                ctx.add(
                    f"{prefix}Provisioned IOPS (io1)",
                    "ebs.io1.iops",
                    iops.value,
                    note=_join(iops.note, *limit_notes),
                )
            else:
                ctx.add_tiered(
                    f"{prefix}Provisioned IOPS (io2)",
                    "ebs.io2.iops",
                    iops.value,
                    _iops_tier_label,
                    note=_join(iops.note, *limit_notes),
                )
    if vtype == "standard":
        ios = ctx.usage_number("monthly_standard_io_requests")
        ctx.add(
            f"{prefix}I/O requests",
            "ebs.standard.io",
            None if ios.value is None else ios.value / 1e6,
            note=ios.note,
        )


def _block_devices(ctx: _Ctx, body: Block) -> None:
    """root_block_device + ebs_block_device blocks of aws_instance / aws_launch_configuration."""
    root = ctx.first_block("root_block_device", body)
    _ebs_volume(
        ctx,
        root,
        prefix="root_block_device: ",
        type_attr="volume_type",
        size_attr="volume_size",
        default_size=DEFAULT_ROOT_GB,
    )
    for i, dev in enumerate(body.nested("ebs_block_device")):
        _ebs_volume(
            ctx,
            dev,
            prefix=f"ebs_block_device[{i}]: ",
            type_attr="volume_type",
            size_attr="volume_size",
            default_size=None,
        )


# -- estimators per type ---------------------------------------------------------------------------


def _aws_instance(ctx: _Ctx) -> None:
    body = ctx.resource.body
    tenancy, _ = ctx.text(body, "tenancy")
    type_value = ctx.raw(body, "instance_type")
    linked = ctx.first_block(LAUNCHED_BLOCK)
    options = body
    if linked is not None:  # what the instance does not say, its launch template does
        if tenancy is None:
            tenancy = _template_tenancy(ctx, linked)
        if isinstance(type_value, _Missing):
            type_value = ctx.raw(body, "_launch_instance_type")
        options = _overridden(linked, body)
    if tenancy == "host":
        ctx.note("tenancy host: the instance runs on a dedicated host, whose hours are billed on the host")
    elif isinstance(type_value, _Missing) and ctx.first_block("launch_template"):
        ctx.add(
            "Instance usage (from launch template)",
            None,
            HOURS_PER_MONTH,
            unit="hours",
            missing_note="instance type comes from the launch template",
        )
    elif isinstance(type_value, _Missing) and ctx.resource.source_type:
        ctx.note(f"InstanceType not set: {CFN_DEFAULT_INSTANCE_TYPE}, CloudFormation's default")
        type_value = Value(CFN_DEFAULT_INSTANCE_TYPE, "literal")
        _compute_hours(ctx, type_value, 1.0, tenancy=tenancy)
    else:
        _compute_hours(ctx, type_value, 1.0, tenancy=tenancy)
    _ec2_options(ctx, options, type_value, 1.0)
    if isinstance(type_value, Value) and type_value.known and isinstance(type_value.value, str):
        family = type_value.value.split(".")[0]
        if family in BURSTABLE_FAMILIES:
            spec = ctx.first_block("credit_specification")  # the instance's own, else its template's
            if spec is None and linked is not None:
                spec = ctx.first_block("credit_specification", linked)
            mode, _ = ctx.text(spec, "cpu_credits") if spec is not None else (None, "")
            unlimited = mode == "unlimited" if mode else family != "t2"  # t2 starts in standard mode
            _cpu_credits(ctx, type_value.value, "cpu_credits.ec2", unlimited)
    _block_devices(ctx, body)
    if linked is not None:
        _template_volumes(ctx, linked)
    if ctx.flag(body, "associate_public_ip_address"):
        ctx.add("Public IPv4 address", "vpc.public_ipv4.hour", HOURS_PER_MONTH, unit="hours")


BURSTABLE_FAMILIES = frozenset({"t2", "t3", "t3a", "t4g"})


def _cpu_credits(ctx: _Ctx, type_name: str, key: str, unlimited: bool) -> None:
    """Surplus CPU credits of a burstable instance in unlimited mode, from usage: the hours it bursts
    above its baseline times its vCPUs (the usage's `vcpu_count`, else the type's). Shown only when the
    burst hours are given; in standard mode an instance is throttled instead of billed."""
    burst = ctx.usage_number("cpu_burst_hours")
    if not burst.given:
        return
    if not unlimited:
        ctx.note("CPU burst hours not applied: in standard credit mode the instance is throttled, not billed")
        return
    vcpus = ctx.usage_number("vcpu_count")
    known = ctx.catalog.instance_type(type_name)
    count = vcpus.value if vcpus.given else (known.vcpu if known is not None else None)
    why = "" if count is not None else f"vCPUs of {type_name} unknown: give vcpu_count"
    ctx.add(
        "CPU credits (unlimited mode)",
        key,
        None if burst.value is None or count is None else burst.value * count,
        unit="vCPU-hours",
        note=_join(burst.note, vcpus.note, why),
    )


def _overridden(template: Block, instance: Block) -> Block:
    """A launch template's settings with those the instance sets itself in their place."""
    merged = template.fresh_copy()
    if "ebs_optimized" in instance.attributes:
        merged.attributes["ebs_optimized"] = instance.attributes["ebs_optimized"]
    if "monitoring" in instance.attributes:
        merged.attributes["monitoring"] = instance.attributes["monitoring"]
        merged.blocks = [b for b in merged.blocks if b.type != "monitoring"]
    return merged


def _aws_launch_configuration(ctx: _Ctx) -> None:
    body = ctx.resource.body
    ctx.note("shown as one instance; the autoscaling group that uses it multiplies it")
    tenancy, _ = ctx.text(body, "placement_tenancy")
    _compute_hours(ctx, ctx.raw(body, "instance_type"), 1.0, tenancy=tenancy)
    _ec2_options(ctx, body, ctx.raw(body, "instance_type"), 1.0, configuration=True)
    _block_devices(ctx, body)


def _template_tenancy(ctx: _Ctx, body: Block) -> str | None:
    """A launch template's `placement { tenancy }`."""
    tenancy, _ = ctx.text(ctx.first_block("placement", body), "tenancy")
    return tenancy


def _template_volumes(ctx: _Ctx, body: Block, count: float | None = 1.0) -> None:
    """The EBS volumes of a launch template's `block_device_mappings`, `count` instances' worth."""
    for i, mapping in enumerate(body.nested("block_device_mappings")):
        ebs = ctx.first_block("ebs", mapping)
        if ebs is None:
            continue

        def volume(ebs: Block = ebs, prefix: str = f"block_device_mappings[{i}]: ") -> None:
            _ebs_volume(
                ctx, ebs, prefix=prefix, type_attr="volume_type", size_attr="volume_size", default_size=None
            )

        _scaled(ctx, count, volume)


def _scaled(ctx: _Ctx, count: float | None, add_lines: Callable[[], None]) -> None:
    """Run `add_lines` (per-instance lines) and multiply the quantities it added by `count`; an
    unknown count leaves them unknown."""
    start = len(ctx.cost.components)
    add_lines()
    if count == 1.0:
        return
    for component in ctx.cost.components[start:]:
        if component.quantity is None:
            continue
        if count is None:
            component.quantity = None
            component.unknown_quantity = True
        else:
            component.quantity *= count


def _aws_launch_template(ctx: _Ctx) -> None:
    body = ctx.resource.body
    ctx.note("shown as one instance; the autoscaling group or node group that uses it multiplies it")
    _compute_hours(ctx, ctx.raw(body, "instance_type"), 1.0, tenancy=_template_tenancy(ctx, body))
    _ec2_options(ctx, body, ctx.raw(body, "instance_type"), 1.0)
    _template_volumes(ctx, body)


def _aws_autoscaling_group(ctx: _Ctx) -> None:
    body = ctx.resource.body
    desired = ctx.number(body, "desired_capacity", maximum=MAX_COUNT)
    if desired.value is None and not desired.note:
        desired = ctx.number(body, "min_size", maximum=MAX_COUNT, what="min_size (no desired_capacity)")
    count, note = _count(ctx, desired, 0.0, "desired_capacity and min_size")
    hint = ctx.raw(body, "_launch_instance_type")
    if isinstance(hint, _Missing):
        ctx.add(
            "Instance usage (from launch template)",
            None,
            None if count is None else count * HOURS_PER_MONTH,
            unit="hours",
            note=note,
            missing_note="instance type comes from a launch template or configuration that was not resolved",
        )
        return
    _launched(ctx, hint, count, note, attr="launch template instance_type")


def _launched(ctx: _Ctx, type_value: Value | _Missing, count: float | None, note: str, attr: str) -> None:
    """`count` instances of the launch template or configuration the front-end linked to this group
    (`LAUNCHED_BLOCK`, labelled with the template's type): their hours at its tenancy, its EBS
    optimization and monitoring charges, and its volumes for every instance."""
    linked = ctx.first_block(LAUNCHED_BLOCK)
    if linked is None:
        ctx.note("volumes of the launch template are not included")
        _compute_hours(ctx, type_value, count, attr=attr, count_note=note)
        return
    configuration = "aws_launch_configuration" in linked.labels
    if configuration:
        tenancy, _ = ctx.text(linked, "placement_tenancy")
    else:
        tenancy = _template_tenancy(ctx, linked)
    _compute_hours(ctx, type_value, count, attr=attr, count_note=note, tenancy=tenancy)
    _ec2_options(ctx, linked, type_value, count, configuration=configuration)
    if configuration:
        _scaled(ctx, count, lambda: _block_devices(ctx, linked))
    else:
        _template_volumes(ctx, linked, count)


def _aws_ebs_volume(ctx: _Ctx) -> None:
    _ebs_volume(ctx, ctx.resource.body, prefix="", type_attr="type", size_attr="size", default_size=None)


def _aws_ebs_snapshot(ctx: _Ctx) -> None:
    stored = ctx.usage_number("storage_gb", "monthly_storage_gb")
    ctx.add("Snapshot storage", "ebs.snapshot.storage", stored.value, note=stored.note)


def _rds_instance_line(
    ctx: _Ctx,
    engine: str | None,
    engine_note: str,
    deployment: str,
    cls: Value | _Missing,
    attr: str,
    count: float = 1.0,
    label_extra: str = "",
) -> None:
    name, why = _type_name(ctx, cls, attr)
    dep_label = {"single-az": "Single-AZ", "multi-az": "Multi-AZ", "multi-az-cluster": "Multi-AZ DB cluster"}
    label = f"Database instance ({engine or '?'}, {dep_label[deployment]}, {name or '?'}){label_extra}"
    quantity = count * HOURS_PER_MONTH
    if name is None or engine is None:
        ctx.add(label, None, quantity, unit="hours", missing_note=_join(why, engine_note))
        return
    mapped = RDS_ENGINES.get(engine)
    licence_note = ""
    if mapped is None and engine.lower() in RDS_LICENSED_ENGINES:  # SQL Server, Oracle
        model, model_note = ctx.text(ctx.resource.body, "license_model")
        mapped, licence_note = rds_licensed_engine(engine, model, model_note)
        if mapped is None:
            ctx.add(label, None, quantity, unit="hours", missing_note=licence_note)
            return
    if mapped is None:
        ctx.add(
            label,
            None,
            quantity,
            unit="hours",
            missing_note=f"engine '{engine}' is not in the catalog (MySQL, PostgreSQL, MariaDB, Aurora, "
            "SQL Server, Oracle)",
        )
        return
    key = f"rds.{mapped}.{deployment}.{name}"
    price = ctx.catalog.price(key, ctx.region)
    note = licence_note
    if price is not None and price.as_of < "2022" and mapped in AURORA_ENGINES:
        note = f"price list of {price.as_of}: Aurora prices may have changed since"
    elif price is not None and price.as_of < "2022":
        match = "the us-east-1 SQL Server and Oracle figures match 2026 list prices"
        note = _join(note, f"price list of {price.as_of} ({match})")
    ctx.add(
        label,
        key,
        quantity,
        unit="hours",
        price=price,
        note=note,
        missing_note="" if price else _instance_note(ctx, name, key),
    )


def engine_major(engine: str, version: str) -> str:
    """`5.7.44` -> `5.7`, `5.7.mysql_aurora.2.11.2` -> `5.7`, PostgreSQL `11.22` -> `11`, `9.6.3` -> `9.6`."""
    parts: list[str] = re.findall(r"\d+", version.split("_", 1)[0])
    if not parts:
        return ""
    if "postgres" in engine and int(parts[0]) >= 10:
        return parts[0]
    return ".".join(parts[:2])


def _rds_extended_support(
    ctx: _Ctx, engine: str | None, cls: Value | _Missing, deployment: str, count: float = 1.0
) -> None:
    """The per-vCPU-hour charge of an engine version past its standard support (`RDS_EXTENDED_SUPPORT`),
    in the year band of the price date; nothing for a version in standard support or not written (AWS
    then creates the newest)."""
    mapped = RDS_ENGINES.get(engine or "")
    if mapped is None:
        return
    version, version_note = ctx.text(ctx.resource.body, "engine_version")
    if version_note:
        ctx.note(f"{version_note}: extended-support charges of an old version are not counted")
        return
    if not version:
        return
    major = engine_major(mapped, version)
    window = RDS_EXTENDED_SUPPORT.get((mapped, major))
    today, date_note = price_date()
    ctx.note(date_note)
    if window is None or today < window[0]:
        return
    year3 = bool(window[1]) and today >= window[1]
    band = "year 3" if year3 else "years 1-2"
    name, _ = _type_name(ctx, cls, "instance_class")
    facts = ctx.catalog.instance_type(name) if name else None
    vcpus = facts.vcpu if facts is not None and facts.vcpu else None
    instances = RDS_DEPLOYMENT_INSTANCES.get(deployment, 1.0) * count
    ctx.add(
        f"Extended support ({engine} {major}, {band})",
        f"rds_extended_support.{'year3' if year3 else 'year1_2'}",
        None if vcpus is None else vcpus * instances * HOURS_PER_MONTH,
        unit="vCPU-hours",
        note=_join(
            f"{engine} {major} is past standard support since {window[0]} (as of {today})",
            "" if vcpus is not None else f"vCPUs of {name or 'the instance class'} are unknown",
        ),
        usage=False,
    )


def _rds_storage(ctx: _Ctx, body: Block, deployment: str) -> None:
    """allocated_storage / storage_type / iops / storage_throughput of a non-Aurora database."""
    iops = ctx.number(body, "iops", what="iops")
    stype, type_note = ctx.text(body, "storage_type")
    notes = []
    if stype is None and not type_note:
        stype = "io1" if iops.value else "gp2"
        notes.append(f"storage_type not set: {stype} assumed")
    size = ctx.number(body, "allocated_storage", minimum=1, maximum=RDS_MAX_GB)
    if not size.given:
        source = ctx.raw(body, "replicate_source_db")
        size = _Number(
            None,
            "allocated_storage not set"
            + (" (a replica takes its source's size)" if not isinstance(source, _Missing) else ""),
        )
    if stype not in RDS_STORAGE_TYPES:
        ctx.add(
            "Storage",
            None,
            size.value,
            unit="GB",
            note=size.note,
            missing_note=type_note or f"unknown storage_type '{stype}'",
        )
        return
    if stype in ("io1", "io2") and size.value is not None and size.value < RDS_PIOPS_MIN_GB:
        notes.append(f"{stype} storage is at least {_fmt(RDS_PIOPS_MIN_GB)} GB: priced at the minimum")
        size = _Number(RDS_PIOPS_MIN_GB)
    label_dep = "Multi-AZ" if deployment != "single-az" else "Single-AZ"
    ctx.add(
        f"Storage ({stype}, {label_dep})",
        f"rds.storage.{stype}.{deployment}",
        size.value,
        note=_join(*notes, size.note),
    )
    if stype in ("io1", "io2"):
        iops_note = iops.note
        if iops.value is None and not iops.note:
            iops = _Number(RDS_PIOPS_MIN_IOPS)
            iops_note = f"iops not set: {stype}'s minimum of {_fmt(RDS_PIOPS_MIN_IOPS)} assumed"
        ctx.add(f"Provisioned IOPS ({stype})", f"rds.iops.{stype}.{deployment}", iops.value, note=iops_note)
    elif stype == "gp3":
        large = size.value is not None and size.value >= 400
        free_iops, free_mibps = (12000.0, 500.0) if large else (3000.0, 125.0)
        if iops.value is not None and iops.value > free_iops:
            ctx.add(
                f"Provisioned IOPS (gp3, above {free_iops:,.0f})",
                f"rds.iops.gp3.{deployment}",
                iops.value - free_iops,
            )
        elif iops.note:
            ctx.add("Provisioned IOPS (gp3)", f"rds.iops.gp3.{deployment}", None, note=iops.note, usage=False)
        mibps = ctx.number(body, "storage_throughput", what="storage_throughput")
        if mibps.value is not None and mibps.value > free_mibps:
            ctx.add(
                f"Provisioned throughput (gp3, above {free_mibps:g} MiB/s)",
                f"rds.throughput.gp3.{deployment}",
                mibps.value - free_mibps,
            )
    elif stype == "standard":
        ios = ctx.usage_number("monthly_standard_io_requests")
        ctx.add(
            "I/O requests", "rds.standard.io", None if ios.value is None else ios.value / 1e6, note=ios.note
        )


def _aws_db_instance(ctx: _Ctx) -> None:
    body = ctx.resource.body
    engine, engine_note = ctx.text(body, "engine")
    if engine is None and not engine_note:
        engine_note = "engine not set" + (
            " (a replica uses its source's engine)"
            if not isinstance(ctx.raw(body, "replicate_source_db"), _Missing)
            else ""
        )
    multi_az = bool(ctx.flag(body, "multi_az"))
    aurora = engine is not None and engine.startswith("aurora")
    deployment = "multi-az" if multi_az and not aurora else "single-az"
    _rds_instance_line(
        ctx, engine, engine_note, deployment, ctx.raw(body, "instance_class"), "instance_class"
    )
    _rds_extended_support(ctx, engine, ctx.raw(body, "instance_class"), deployment)
    if aurora:
        ctx.note("Aurora storage is billed on the cluster (aws_rds_cluster)")
        return
    _rds_storage(ctx, body, deployment)
    backup = ctx.usage_number("additional_backup_storage_gb")
    ctx.add("Additional backup storage", "rds.backup.storage", backup.value, note=backup.note)


def _aurora_engine(ctx: _Ctx, body: Block) -> tuple[str | None, str]:
    engine, note = ctx.text(body, "engine")
    if engine is None and not note:
        return "aurora-mysql", "engine not set: aurora-mysql (the provider default) assumed"
    return engine, note


def _aws_rds_cluster(ctx: _Ctx) -> None:
    body = ctx.resource.body
    engine, engine_note = _aurora_engine(ctx, body)
    if engine is not None and not engine.startswith("aurora"):
        # Multi-AZ DB cluster (one writer, two readable standbys): priced per deployment
        _rds_instance_line(
            ctx,
            engine,
            engine_note,
            "multi-az-cluster",
            ctx.raw(body, "db_cluster_instance_class"),
            "db_cluster_instance_class",
        )
        _rds_extended_support(ctx, engine, ctx.raw(body, "db_cluster_instance_class"), "multi-az-cluster")
        _rds_storage(ctx, body, "multi-az-cluster")
        backup = ctx.usage_number("additional_backup_storage_gb")
        ctx.add("Additional backup storage", "rds.backup.storage", backup.value, note=backup.note)
        return
    if engine_note:
        ctx.note(engine_note)
    mode, _ = ctx.text(body, "engine_mode")
    if mode == "serverless":
        acu = ctx.usage_number("capacity_units_per_hour")
        ctx.add(
            "Aurora Serverless v1 capacity",
            "rds.aurora.serverless.acu",
            None if acu.value is None else acu.value * HOURS_PER_MONTH,
            note=acu.note,
        )
    stype, _ = ctx.text(body, "storage_type")
    optimized = stype == "aurora-iopt1"
    storage = ctx.usage_number("storage_gb")
    if optimized:
        ctx.add("Storage (I/O-optimized)", "rds.aurora.iopt.storage", storage.value, note=storage.note)
        ctx.note("I/O-optimized: instance prices are about 30% higher than the standard prices shown")
    else:
        ctx.add("Storage", "rds.aurora.storage", storage.value, note=storage.note)
        ios = ctx.usage_number("monthly_io_requests")
        ctx.add(
            "I/O requests", "rds.aurora.io", None if ios.value is None else ios.value / 1e6, note=ios.note
        )
    backup = ctx.usage_number("backup_storage_gb", "additional_backup_storage_gb")
    if not backup.given:
        backup = _aurora_backup_from_snapshots(ctx, body, storage.value)
    ctx.add("Backup storage", "rds.aurora.backup.storage", backup.value, note=backup.note)
    backtrack = ctx.usage_number("monthly_backtrack_change_records")
    if backtrack.given and engine not in ("aurora", "aurora-mysql"):
        ctx.note("backtrack usage not applied: backtrack is an Aurora MySQL feature")
    elif backtrack.given:
        ctx.add(
            "Backtrack change records",
            "aurora.backtrack",
            None if backtrack.value is None else backtrack.value / 1e6,
            note=backtrack.note,
        )
    export = ctx.usage_number("monthly_snapshot_export_gb")
    if export.given:
        ctx.add("Snapshot export to S3", "aurora.snapshot_export", export.value, note=export.note)


def _aurora_backup_from_snapshots(ctx: _Ctx, body: Block, storage_gb: float | None) -> _Number:
    """Backup storage from a snapshot's size: one copy a day for `backup_retention_period` days, less
    what Aurora keeps free (backups up to 100% of the cluster's storage; one snapshot's size when the
    storage figure is not given)."""
    snapshot = ctx.usage_number("backup_snapshot_size_gb")
    if not snapshot.given or snapshot.value is None:
        return snapshot
    days = ctx.number(body, "backup_retention_period", default=1.0, minimum=1, maximum=35)
    if days.value is None:
        return _Number(None, days.note)
    notes = [] if days.given else ["backup_retention_period not set: 1 day (the default)"]
    if storage_gb is None:
        notes.append("storage_gb not given: one snapshot's size kept free")
    free = snapshot.value if storage_gb is None else storage_gb
    return _Number(max(0.0, snapshot.value * days.value - free), _join(*notes))


def _aws_rds_cluster_instance(ctx: _Ctx) -> None:
    body = ctx.resource.body
    engine, engine_note = _aurora_engine(ctx, body)
    cls, _ = ctx.text(body, "instance_class")
    if cls == "db.serverless":
        acu = ctx.usage_number("capacity_units_per_hour")
        ctx.add(
            "Aurora Serverless v2 capacity",
            "rds.aurora.serverless_v2.acu",
            None if acu.value is None else acu.value * HOURS_PER_MONTH,
            note=_join(acu.note, engine_note),
        )
        return
    if engine_note:
        ctx.note(engine_note)
    explicit = engine
    if engine is None:
        engine = _aurora_engine_by_price(ctx, cls)
    _rds_instance_line(ctx, engine, "", "single-az", ctx.raw(body, "instance_class"), "instance_class")
    if explicit is not None:
        _rds_extended_support(ctx, explicit, ctx.raw(body, "instance_class"), "single-az")
    if cls is not None and cls.startswith(("db.t3.", "db.t4g.")):
        _cpu_credits(ctx, cls, "cpu_credits.aurora", True)  # Aurora runs its T classes in unlimited mode


def _aurora_engine_by_price(ctx: _Ctx, cls: str | None) -> str | None:
    """An Aurora instance's engine is its cluster's, often written as a reference the front-end cannot
    resolve. Where both Aurora engines list the same price for the class, the price is known anyway."""
    if cls is None:
        return None
    prices = [ctx.catalog.price(f"rds.{e}.single-az.{cls}", ctx.region) for e in AURORA_ENGINES]
    if any(p is None for p in prices) or len({p.value for p in prices if p is not None}) != 1:
        return None
    ctx.note(f"Aurora MySQL and Aurora PostgreSQL list the same price for {cls}")
    return AURORA_ENGINES[0]


def _cache_nodes(
    ctx: _Ctx, engine: str | None, engine_note: str, count: float | None, count_note: str
) -> None:
    body = ctx.resource.body
    name, why = _type_name(ctx, ctx.raw(body, "node_type"), "node_type")
    label = f"Cache nodes ({engine or '?'}, {name or '?'})"
    quantity = None if count is None else count * HOURS_PER_MONTH
    if name is None or engine is None or engine not in CACHE_ENGINES:
        reason = why or engine_note or f"engine '{engine}' is not in the catalog"
        ctx.add(label, None, quantity, unit="hours", note=count_note, missing_note=reason)
        return
    key = f"elasticache.{engine}.{name}"
    price = ctx.catalog.price(key, ctx.region)
    ctx.add(
        label,
        key,
        quantity,
        unit="hours",
        price=price,
        note=count_note,
        missing_note="" if price else _instance_note(ctx, name, key),
    )
    retention = ctx.number(body, "snapshot_retention_limit")
    if retention.value:
        stored = ctx.usage_number("snapshot_storage_size_gb")
        ctx.add("Backup storage", "elasticache.backup.storage", stored.value, note=stored.note)


def _aws_elasticache_cluster(ctx: _Ctx) -> None:
    body = ctx.resource.body
    engine, engine_note = ctx.text(body, "engine")
    if engine is None and not engine_note:
        if not isinstance(ctx.raw(body, "replication_group_id"), _Missing):
            ctx.note("member of a replication group: its nodes are priced on the group")
            return
        engine_note = "engine not set"
    nodes = ctx.number(body, "num_cache_nodes", minimum=1)
    count, note = _count(ctx, nodes, 1.0, "num_cache_nodes")
    _cache_nodes(ctx, engine, engine_note, count, note)


def _aws_elasticache_replication_group(ctx: _Ctx) -> None:
    body = ctx.resource.body
    engine, engine_note = ctx.text(body, "engine")
    if engine is None and not engine_note:
        engine = "redis"
    clusters = ctx.number(body, "num_cache_clusters", minimum=1)
    if not clusters.given:
        clusters = ctx.number(body, "number_cache_clusters", minimum=1)
    legacy = ctx.first_block("cluster_mode")
    groups = ctx.number(legacy or body, "num_node_groups", minimum=1)
    replicas = ctx.number(legacy or body, "replicas_per_node_group", default=0.0)
    if clusters.given:
        nodes = clusters
    elif groups.given or groups.note:
        total = (
            None if groups.value is None or replicas.value is None else groups.value * (replicas.value + 1)
        )
        nodes = _Number(total, _join(groups.note, replicas.note))
    else:
        nodes = _Number(None, given=False)
    count, note = _count(ctx, nodes, 1.0, "num_cache_clusters / num_node_groups")
    _cache_nodes(ctx, engine, engine_note, count, note)


def _aws_nat_gateway(ctx: _Ctx) -> None:
    ctx.add("NAT gateway", "nat.hour", HOURS_PER_MONTH, unit="hours")
    data = ctx.usage_number("monthly_data_processed_gb")
    ctx.add("Data processed", "nat.data", data.value, note=data.note)


def _aws_lb(ctx: _Ctx) -> None:
    kind, note = ctx.text(ctx.resource.body, "load_balancer_type")
    kind = kind or ("application" if not note else None)
    short = {"application": "alb", "network": "nlb"}.get(kind or "")
    if short is None:
        ctx.add(
            "Load balancer",
            None,
            HOURS_PER_MONTH,
            unit="hours",
            missing_note=note or f"load_balancer_type '{kind}' is not in the catalog",
        )
        return
    ctx.add(
        f"{kind.capitalize() if kind else ''} load balancer",
        f"elb.{short}.hour",
        HOURS_PER_MONTH,
        unit="hours",
    )
    lcu = ctx.usage_number("capacity_units")
    how = ""
    if lcu.value is None and not lcu.note:
        processed = ctx.usage_number("monthly_data_processed_gb")
        if processed.value is not None:
            lcu = _Number(processed.value / HOURS_PER_MONTH)
            how = "capacity units from processed bytes only (1 GB per hour per LCU)"
        else:
            lcu = _Number(None, processed.note)
    ctx.add(
        "Load balancer capacity units",
        f"elb.{short}.lcu",
        None if lcu.value is None else lcu.value * HOURS_PER_MONTH,
        note=_join(lcu.note, how),
    )


def _aws_elb(ctx: _Ctx) -> None:
    ctx.add("Classic load balancer", "elb.clb.hour", HOURS_PER_MONTH, unit="hours")
    data = ctx.usage_number("monthly_data_processed_gb")
    ctx.add("Data processed", "elb.clb.data", data.value, note=data.note)


def _aws_eip(ctx: _Ctx) -> None:
    ctx.add(
        "Public IPv4 address",
        "vpc.public_ipv4.hour",
        HOURS_PER_MONTH,
        unit="hours",
        note="AWS bills every public IPv4 address, attached or idle",
    )


def _iops_tier_label(begin: float, end: float | None) -> str:
    if begin == 0 and end is not None:
        return f"first {end:,.0f}"
    if end is None:
        return f"over {begin:,.0f}"
    return f"next {end - begin:,.0f}"


def _lambda_tier_label(begin: float, end: float | None) -> str:
    def billions(x: float) -> str:
        return f"{x / 1e9:g}B"

    if begin == 0 and end is not None:
        return f"first {billions(end)} GB-seconds"
    if end is None:
        return f"over {billions(begin)} GB-seconds"
    return f"next {billions(end - begin)} GB-seconds"


def _aws_lambda_function(ctx: _Ctx) -> None:
    body = ctx.resource.body
    arch = "x86_64"
    raw = ctx.raw(body, "architectures")
    if not isinstance(raw, _Missing):
        if not raw.known:
            ctx.note(f"architectures is unknown ({raw.reason or 'not resolvable'}): x86_64 assumed")
        elif isinstance(raw.value, list | tuple) and raw.value and str(raw.value[0]).lower() == "arm64":
            arch = "arm64"
    memory = ctx.number(
        body, "memory_size", default=DEFAULT_LAMBDA_MB, minimum=128, maximum=10240, what="memory_size"
    )
    requests = ctx.usage_number("monthly_requests")
    duration = ctx.usage_number("average_duration_ms", "request_duration_ms")
    ctx.add(
        "Requests",
        "lambda.requests",
        None if requests.value is None else requests.value / 1e6,
        note=requests.note,
    )
    gb_seconds = None
    if requests.value is not None and duration.value is not None and memory.value is not None:
        gb_seconds = requests.value * (duration.value / 1000.0) * (memory.value / 1024.0)
    ctx.add_tiered(
        f"Duration ({arch})",
        f"lambda.{arch}.duration",
        gb_seconds,
        _lambda_tier_label,
        note=_join(memory.note, duration.note),
    )


_S3_CLASSES = (
    ("standard_ia_storage_gb", "Standard-IA storage", "s3.standard_ia.storage"),
    ("onezone_ia_storage_gb", "One Zone-IA storage", "s3.onezone_ia.storage"),
    ("glacier_ir_storage_gb", "Glacier Instant Retrieval storage", "s3.glacier_ir.storage"),
    ("glacier_storage_gb", "Glacier Flexible Retrieval storage", "s3.glacier.storage"),
    ("deep_archive_storage_gb", "Glacier Deep Archive storage", "s3.deep_archive.storage"),
    (
        "intelligent_tiering_storage_gb",
        "Intelligent-Tiering storage (frequent access)",
        "s3.intelligent_tiering.storage",
    ),
    (
        "intelligent_tiering_infrequent_storage_gb",
        "Intelligent-Tiering storage (infrequent access)",
        "s3.intelligent_tiering.infrequent.storage",
    ),
)


def _s3_tier_label(begin: float, end: float | None) -> str:
    if begin == 0 and end is not None:
        return f"first {end / 1024:g} TB"
    if end is None:
        return f"over {begin / 1024:g} TB"
    return f"next {(end - begin) / 1024:g} TB"


# Usage lines of S3 storage classes beyond storage (infracost's per-class maps): (usage key, line,
# price key, usage units per priced unit). Early deletion of Glacier classes bills the storage rate for
# the GB-months left of the minimum duration.
_S3_CLASS_USAGE: tuple[tuple[str, str, str, float], ...] = (
    (
        "standard_monthly_select_data_scanned_gb",
        "Select data scanned (Standard)",
        "s3_class.standard.select_scanned",
        1.0,
    ),
    (
        "standard_monthly_select_data_returned_gb",
        "Select data returned (Standard)",
        "s3_class.standard.select_returned",
        1.0,
    ),
    (
        "intelligent_tiering_archive_access_storage_gb",
        "Intelligent-Tiering storage (archive access)",
        "s3_class.intelligent_tiering.archive.storage",
        1.0,
    ),
    (
        "intelligent_tiering_deep_archive_access_storage_gb",
        "Intelligent-Tiering storage (deep archive access)",
        "s3_class.intelligent_tiering.deep_archive.storage",
        1.0,
    ),
    (
        "intelligent_tiering_monthly_tier_1_requests",
        "PUT, COPY, POST, LIST requests (Intelligent-Tiering)",
        "s3_class.intelligent_tiering.requests.tier1",
        1000.0,
    ),
    (
        "intelligent_tiering_monthly_tier_2_requests",
        "GET, SELECT and other requests (Intelligent-Tiering)",
        "s3_class.intelligent_tiering.requests.tier2",
        1000.0,
    ),
    (
        "intelligent_tiering_monthly_lifecycle_transition_requests",
        "Lifecycle transitions (Intelligent-Tiering)",
        "s3_class.intelligent_tiering.transition",
        1000.0,
    ),
    (
        "intelligent_tiering_monthly_select_data_scanned_gb",
        "Select data scanned (Intelligent-Tiering)",
        "s3_class.intelligent_tiering.select_scanned",
        1.0,
    ),
    (
        "intelligent_tiering_monthly_select_data_returned_gb",
        "Select data returned (Intelligent-Tiering)",
        "s3_class.intelligent_tiering.select_returned",
        1.0,
    ),
    (
        "standard_ia_monthly_tier_1_requests",
        "PUT, COPY, POST, LIST requests (Standard-IA)",
        "s3_class.standard_ia.requests.tier1",
        1000.0,
    ),
    (
        "standard_ia_monthly_tier_2_requests",
        "GET, SELECT and other requests (Standard-IA)",
        "s3_class.standard_ia.requests.tier2",
        1000.0,
    ),
    (
        "standard_ia_monthly_lifecycle_transition_requests",
        "Lifecycle transitions (Standard-IA)",
        "s3_class.standard_ia.transition",
        1000.0,
    ),
    ("standard_ia_monthly_data_retrieval_gb", "Retrievals (Standard-IA)", "s3.standard_ia.retrieval", 1.0),
    (
        "standard_ia_monthly_select_data_scanned_gb",
        "Select data scanned (Standard-IA)",
        "s3_class.standard_ia.select_scanned",
        1.0,
    ),
    (
        "standard_ia_monthly_select_data_returned_gb",
        "Select data returned (Standard-IA)",
        "s3_class.standard_ia.select_returned",
        1.0,
    ),
    (
        "onezone_ia_monthly_tier_1_requests",
        "PUT, COPY, POST, LIST requests (One Zone-IA)",
        "s3_class.onezone_ia.requests.tier1",
        1000.0,
    ),
    (
        "onezone_ia_monthly_tier_2_requests",
        "GET, SELECT and other requests (One Zone-IA)",
        "s3_class.onezone_ia.requests.tier2",
        1000.0,
    ),
    (
        "onezone_ia_monthly_lifecycle_transition_requests",
        "Lifecycle transitions (One Zone-IA)",
        "s3_class.onezone_ia.transition",
        1000.0,
    ),
    (
        "onezone_ia_monthly_data_retrieval_gb",
        "Retrievals (One Zone-IA)",
        "s3_class.onezone_ia.retrieval",
        1.0,
    ),
    (
        "onezone_ia_monthly_select_data_scanned_gb",
        "Select data scanned (One Zone-IA)",
        "s3_class.onezone_ia.select_scanned",
        1.0,
    ),
    (
        "onezone_ia_monthly_select_data_returned_gb",
        "Select data returned (One Zone-IA)",
        "s3_class.onezone_ia.select_returned",
        1.0,
    ),
    (
        "glacier_monthly_tier_1_requests",
        "PUT, COPY, POST, LIST requests (Glacier Flexible Retrieval)",
        "s3_class.glacier.requests.tier1",
        1000.0,
    ),
    (
        "glacier_monthly_tier_2_requests",
        "GET, SELECT and other requests (Glacier Flexible Retrieval)",
        "s3_class.glacier.requests.tier2",
        1000.0,
    ),
    (
        "glacier_monthly_lifecycle_transition_requests",
        "Lifecycle transitions (Glacier Flexible Retrieval)",
        "s3_class.glacier.transition",
        1000.0,
    ),
    (
        "glacier_monthly_standard_data_retrieval_requests",
        "Retrieval requests (Glacier Flexible Retrieval, standard)",
        "s3_class.glacier.retrieval_requests.standard",
        1000.0,
    ),
    (
        "glacier_monthly_standard_data_retrieval_gb",
        "Retrievals (Glacier Flexible Retrieval, standard)",
        "s3_class.glacier.retrieval.standard",
        1.0,
    ),
    (
        "glacier_monthly_expedited_data_retrieval_requests",
        "Retrieval requests (Glacier Flexible Retrieval, expedited)",
        "s3_class.glacier.retrieval_requests.expedited",
        1000.0,
    ),
    (
        "glacier_monthly_expedited_data_retrieval_gb",
        "Retrievals (Glacier Flexible Retrieval, expedited)",
        "s3_class.glacier.retrieval.expedited",
        1.0,
    ),
    (
        "glacier_monthly_standard_select_data_scanned_gb",
        "Select data scanned (Glacier Flexible Retrieval, standard)",
        "s3_class.glacier.select_scanned.standard",
        1.0,
    ),
    (
        "glacier_monthly_standard_select_data_returned_gb",
        "Select data returned (Glacier Flexible Retrieval, standard)",
        "s3_class.glacier.select_returned.standard",
        1.0,
    ),
    (
        "glacier_monthly_expedited_select_data_scanned_gb",
        "Select data scanned (Glacier Flexible Retrieval, expedited)",
        "s3_class.glacier.select_scanned.expedited",
        1.0,
    ),
    (
        "glacier_monthly_expedited_select_data_returned_gb",
        "Select data returned (Glacier Flexible Retrieval, expedited)",
        "s3_class.glacier.select_returned.expedited",
        1.0,
    ),
    (
        "glacier_monthly_bulk_select_data_scanned_gb",
        "Select data scanned (Glacier Flexible Retrieval, bulk)",
        "s3_class.glacier.select_scanned.bulk",
        1.0,
    ),
    (
        "glacier_monthly_bulk_select_data_returned_gb",
        "Select data returned (Glacier Flexible Retrieval, bulk)",
        "s3_class.glacier.select_returned.bulk",
        1.0,
    ),
    (
        "glacier_early_delete_gb",
        "Early delete (Glacier Flexible Retrieval, within 90 days)",
        "s3.glacier.storage",
        1.0,
    ),
    (
        "deep_archive_monthly_tier_1_requests",
        "PUT, COPY, POST, LIST requests (Glacier Deep Archive)",
        "s3_class.deep_archive.requests.tier1",
        1000.0,
    ),
    (
        "deep_archive_monthly_tier_2_requests",
        "GET, SELECT and other requests (Glacier Deep Archive)",
        "s3_class.deep_archive.requests.tier2",
        1000.0,
    ),
    (
        "deep_archive_monthly_lifecycle_transition_requests",
        "Lifecycle transitions (Glacier Deep Archive)",
        "s3_class.deep_archive.transition",
        1000.0,
    ),
    (
        "deep_archive_monthly_standard_data_retrieval_requests",
        "Retrieval requests (Glacier Deep Archive, standard)",
        "s3_class.deep_archive.retrieval_requests.standard",
        1000.0,
    ),
    (
        "deep_archive_monthly_standard_data_retrieval_gb",
        "Retrievals (Glacier Deep Archive, standard)",
        "s3_class.deep_archive.retrieval.standard",
        1.0,
    ),
    (
        "deep_archive_monthly_bulk_data_retrieval_requests",
        "Retrieval requests (Glacier Deep Archive, bulk)",
        "s3_class.deep_archive.retrieval_requests.bulk",
        1000.0,
    ),
    (
        "deep_archive_monthly_bulk_data_retrieval_gb",
        "Retrievals (Glacier Deep Archive, bulk)",
        "s3_class.deep_archive.retrieval.bulk",
        1.0,
    ),
    (
        "deep_archive_early_delete_gb",
        "Early delete (Glacier Deep Archive, within 180 days)",
        "s3.deep_archive.storage",
        1.0,
    ),
)


def _aws_s3_bucket(ctx: _Ctx) -> None:
    stored = ctx.usage_number("storage_gb", "standard_storage_gb")
    ctx.add_tiered("Standard storage", "s3.standard.storage", stored.value, _s3_tier_label, note=stored.note)
    for usage_key, label, key in _S3_CLASSES:
        amount = ctx.usage_number(usage_key)
        if amount.given:
            ctx.add(label, key, amount.value, note=amount.note)
    objects = ctx.usage_number("intelligent_tiering_objects")
    if objects.given:
        ctx.add(
            "Intelligent-Tiering monitoring",
            "s3.intelligent_tiering.monitoring",
            None if objects.value is None else objects.value / 1000,
            note=objects.note,
        )
    for usage_key, label, key in (
        ("monthly_tier_1_requests", "PUT, COPY, POST, LIST requests", "s3.requests.tier1"),
        ("monthly_tier_2_requests", "GET, SELECT and other requests", "s3.requests.tier2"),
    ):
        requests = ctx.usage_number(usage_key)  # priced per 1,000 requests
        ctx.add(label, key, None if requests.value is None else requests.value / 1000, note=requests.note)
    for usage_key, label, key, per_unit in _S3_CLASS_USAGE:
        amount = ctx.usage_number(usage_key)
        if amount.given:
            ctx.add(label, key, None if amount.value is None else amount.value / per_unit, note=amount.note)


def _aws_dynamodb_table(ctx: _Ctx) -> None:
    body = ctx.resource.body
    mode, mode_note = ctx.text(body, "billing_mode")
    table_class, _ = ctx.text(body, "table_class")
    if table_class == "standard_infrequent_access":
        ctx.note("Standard-IA table class: prices shown are for the Standard class")
    if mode == "pay_per_request":
        writes = ctx.usage_number("monthly_write_request_units")
        ctx.add("Write request units (on-demand)", "dynamodb.ondemand.write", writes.value, note=writes.note)
        reads = ctx.usage_number("monthly_read_request_units")
        ctx.add("Read request units (on-demand)", "dynamodb.ondemand.read", reads.value, note=reads.note)
    else:
        if mode_note:
            ctx.note(f"{mode_note}: PROVISIONED assumed")
        for attr, label, key in (
            ("write_capacity", "Write capacity (provisioned)", "dynamodb.provisioned.wcu"),
            ("read_capacity", "Read capacity (provisioned)", "dynamodb.provisioned.rcu"),
        ):
            units = ctx.number(body, attr, maximum=1e7)
            if not units.given:
                units = _Number(None, f"{attr} is not set (required for PROVISIONED tables)")
            ctx.add(
                label, key, None if units.value is None else units.value * HOURS_PER_MONTH, note=units.note
            )
    storage = ctx.usage_number("storage_gb")
    ctx.add("Data storage", "dynamodb.storage", storage.value, note=storage.note)
    pitr = ctx.first_block("point_in_time_recovery")
    if pitr is not None and ctx.flag(pitr, "enabled"):
        backup = ctx.usage_number("pitr_backup_storage_gb")
        ctx.add("Point-in-time recovery storage", "dynamodb.backup.pitr", backup.value, note=backup.note)
    on_demand = ctx.usage_number("on_demand_backup_storage_gb")
    if on_demand.given:
        ctx.add("On-demand backup storage", "dynamodb.backup.ondemand", on_demand.value, note=on_demand.note)
    restored = ctx.usage_number("monthly_data_restored_gb")
    if restored.given:
        ctx.add("Table data restored", "dynamodb.restore", restored.value, note=restored.note)
    streams = ctx.usage_number("monthly_streams_read_request_units")
    if streams.given:
        ctx.add("Streams read request units", "dynamodb.streams.read", streams.value, note=streams.note)
    _dynamodb_replicas(ctx, mode == "pay_per_request")


def _dynamodb_replicas(ctx: _Ctx, on_demand: bool) -> None:
    """Each global table replica bills the table's writes again in its region (replicated write units,
    priced as that region's write units) and stores its own copy (usage)."""
    body = ctx.resource.body
    wcu = ctx.number(body, "write_capacity", maximum=1e7)
    writes = ctx.usage_number("monthly_write_request_units")
    for replica in body.nested("replica"):
        region, note = ctx.text(replica, "region_name")
        where = region or "?"
        missing = note or "region_name is not set"
        if on_demand:
            ctx.add(
                f"Replicated write request units ({where})",
                "dynamodb.ondemand.write" if region else None,
                writes.value,
                note=writes.note,
                missing_note=missing,
                region=region,
            )
            continue
        wcu_note = wcu.note or ("" if wcu.given else "write_capacity is not set")
        ctx.add(
            f"Replicated write capacity ({where})",
            "dynamodb.provisioned.wcu" if region else None,
            None if wcu.value is None or not wcu.given else wcu.value * HOURS_PER_MONTH,
            unit="rWCU-hours",
            note=wcu_note,
            missing_note=missing,
            region=region,
        )


def _aws_cloudwatch_log_group(ctx: _Ctx) -> None:
    body = ctx.resource.body
    klass, _ = ctx.text(body, "log_group_class")
    ingested = ctx.usage_number("monthly_ingested_gb", "monthly_data_ingested_gb")
    if klass == "infrequent_access":
        ctx.add(
            "Data ingested (Infrequent Access)",
            None,
            ingested.value,
            unit="GB",
            note=ingested.note,
            missing_note="Infrequent Access ingestion price is not in the catalog",
        )
    else:
        ctx.add("Data ingested", "cloudwatch.logs.ingest", ingested.value, note=ingested.note)
    stored = ctx.usage_number("storage_gb")
    ctx.add("Storage", "cloudwatch.logs.storage", stored.value, note=stored.note)
    scanned = ctx.usage_number("monthly_data_scanned_gb")
    ctx.add("Insights queries data scanned", "cloudwatch.logs.insights", scanned.value, note=scanned.note)


_MINOR_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)")


def _aws_eks_cluster(ctx: _Ctx) -> None:
    body = ctx.resource.body
    version, version_note = ctx.text(body, "version")
    policy, _ = ctx.text(ctx.first_block("upgrade_policy"), "support_type")
    today, date_note = price_date()
    ctx.note(date_note)
    match = _MINOR_VERSION.match(version or "")
    extended, why = False, ""
    if version_note or (version is not None and match is None):
        why = (version_note or f"version '{version}' is not a Kubernetes minor version") + (
            ": standard support assumed; a version past it costs the extended-support price"
        )
    elif match is not None:
        minor = (int(match.group(1)), int(match.group(2)))
        ends = EKS_SUPPORT_ENDS.get(minor)
        oldest = min(EKS_SUPPORT_ENDS)
        label = f"{minor[0]}.{minor[1]}"
        if (ends is not None and today > ends[0]) or (ends is None and minor < oldest):
            if policy == "standard":
                why = f"Kubernetes {label} is past standard support: AWS upgrades a STANDARD cluster"
            else:
                extended = True
                why = f"Kubernetes {label} left standard support on {ends[0] if ends else 'an earlier date'}"
                if ends is None or today > ends[1]:
                    why += "; past extended support too: AWS upgrades it to the oldest extended version"
    if extended:
        ctx.add(
            "EKS cluster (extended support)",
            "eks.cluster.extended_support.hour",
            HOURS_PER_MONTH,
            unit="hours",
            note=_join(why, f"as of {today}"),
        )
        return
    ctx.add("EKS cluster", "eks.cluster.hour", HOURS_PER_MONTH, unit="hours", note=why)


def _aws_eks_node_group(ctx: _Ctx) -> None:
    body = ctx.resource.body
    scaling = ctx.first_block("scaling_config")
    desired = ctx.number(scaling, "desired_size", maximum=MAX_COUNT)
    count, count_note = _count(ctx, desired, 1.0, "scaling_config.desired_size")
    capacity, _ = ctx.text(body, "capacity_type")
    template = ctx.first_block("launch_template")
    linked = ctx.first_block(LAUNCHED_BLOCK)
    raw = ctx.raw(body, "instance_types")
    type_value: Value | _Missing
    if isinstance(raw, _Missing) and linked is not None:
        raw = ctx.raw(body, "_launch_instance_type")
        if isinstance(raw, _Missing):
            raw = Value([DEFAULT_NODE_TYPE], "literal")
            count_note = _join(count_note, f"no instance type set: {DEFAULT_NODE_TYPE} assumed")
        elif raw.known:
            raw = Value([raw.value], raw.kind)
    if isinstance(raw, _Missing):
        if template is not None:
            ctx.add(
                "Instance usage (from launch template)",
                None,
                None if count is None else count * HOURS_PER_MONTH,
                unit="hours",
                note=count_note,
                missing_note="instance type comes from the launch template",
            )
            return
        type_value = Value(DEFAULT_NODE_TYPE, "literal")
        count_note = _join(count_note, f"instance_types not set: {DEFAULT_NODE_TYPE} assumed")
    elif raw.known and isinstance(raw.value, list | tuple) and raw.value:
        type_value = Value(raw.value[0], raw.kind)
        if len(raw.value) > 1:
            count_note = _join(count_note, "priced as the first of instance_types")
    else:
        type_value = raw if not raw.known else Value(None, "unknown", reason="instance_types is empty")
    if capacity == "spot":
        ctx.add(
            "Instance usage (spot)",
            None,
            None if count is None else count * HOURS_PER_MONTH,
            unit="hours",
            note=count_note,
            missing_note="spot prices are not in the catalog",
        )
    elif linked is not None:
        tenancy = _template_tenancy(ctx, linked)
        _compute_hours(ctx, type_value, count, attr="instance_types", count_note=count_note, tenancy=tenancy)
        _ec2_options(ctx, linked, type_value, count)
    else:
        _compute_hours(ctx, type_value, count, attr="instance_types", count_note=count_note)
    if linked is not None:
        _template_volumes(ctx, linked, count)
    if template is None:
        disk = ctx.number(body, "disk_size", default=DEFAULT_NODE_DISK_GB, minimum=1, maximum=16384)
        note = disk.note or (
            "" if disk.given else f"disk_size not set: {_fmt(DEFAULT_NODE_DISK_GB)} GB assumed"
        )
        qty = None if disk.value is None or count is None else disk.value * count
        ctx.add("Node disks (gp2)", "ebs.gp2.storage", qty, note=note)


ESTIMATORS: dict[str, Callable[[_Ctx], None]] = {
    "aws_instance": _aws_instance,
    "aws_launch_template": _aws_launch_template,
    "aws_launch_configuration": _aws_launch_configuration,
    "aws_autoscaling_group": _aws_autoscaling_group,
    "aws_ebs_volume": _aws_ebs_volume,
    "aws_ebs_snapshot": _aws_ebs_snapshot,
    "aws_db_instance": _aws_db_instance,
    "aws_rds_cluster": _aws_rds_cluster,
    "aws_rds_cluster_instance": _aws_rds_cluster_instance,
    "aws_elasticache_cluster": _aws_elasticache_cluster,
    "aws_elasticache_replication_group": _aws_elasticache_replication_group,
    "aws_nat_gateway": _aws_nat_gateway,
    "aws_lb": _aws_lb,
    "aws_alb": _aws_lb,
    "aws_elb": _aws_elb,
    "aws_eip": _aws_eip,
    "aws_lambda_function": _aws_lambda_function,
    "aws_s3_bucket": _aws_s3_bucket,
    "aws_dynamodb_table": _aws_dynamodb_table,
    "aws_cloudwatch_log_group": _aws_cloudwatch_log_group,
    "aws_eks_cluster": _aws_eks_cluster,
    "aws_eks_node_group": _aws_eks_node_group,
}

# Managed services billed by node, broker or task, and fixed monthly charges, live in their own module.
from .services import (  # noqa: E402  (uses the helpers above)
    SERVICE_ESTIMATORS,
    SERVICE_FREE_TYPES,
    elastic_beanstalk_environment,
)

ESTIMATORS.update(SERVICE_ESTIMATORS)
# an environment is priced as the resources it launches, through `estimate` (services.py cannot import it)
ESTIMATORS["aws_elastic_beanstalk_environment"] = lambda ctx: elastic_beanstalk_environment(ctx, estimate)
FREE_TYPES = FREE_TYPES | SERVICE_FREE_TYPES
PRICED_TYPES = frozenset(ESTIMATORS) | FREE_TYPES


# CloudFormation custom resources (`Custom::Anything`): the stack calls a Lambda function or SNS topic
# on create, update and delete, and those invocations are billed there; the resource costs nothing.
CUSTOM_RESOURCE_PREFIX = "Custom::"


def supports(resource_type: str) -> bool:
    """Whether `estimate` prices this type (including types that are free by nature)."""
    return resource_type in PRICED_TYPES or resource_type.startswith(CUSTOM_RESOURCE_PREFIX)


def estimate(resource: Resource, catalog: Catalog, usage: Usage | None = None) -> ResourceCost | None:
    """The monthly cost of one resource instance, or None when the type has no estimator."""
    estimator = ESTIMATORS.get(resource.type)
    if estimator is None:
        if resource.type in FREE_TYPES:
            ctx = _Ctx(resource, catalog, usage)
            ctx.note("no charge for this resource type")
            return ctx.cost
        if resource.type.startswith(CUSTOM_RESOURCE_PREFIX):
            ctx = _Ctx(resource, catalog, usage)
            ctx.note(
                "a custom resource costs nothing itself: the function or topic it calls bills its invocations"
            )
            return ctx.cost
        return None
    ctx = _Ctx(resource, catalog, usage)
    estimator(ctx)
    return ctx.cost


def monthly_total(costs: Iterable[ResourceCost | None], *, strict: bool = False) -> float | None:
    """Sum of resource totals, rounded to cents. Unknown resources are skipped, or make the whole
    total None with `strict=True` (for places that must not understate)."""
    total = 0.0
    for cost in costs:
        if cost is None:
            continue
        monthly = cost.monthly_cost
        if monthly is None:
            if strict:
                return None
            continue
        total += monthly
    return round(total, 2)
