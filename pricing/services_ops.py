"""Estimators for account-level operations services: AWS Backup vaults, CloudWatch metric streams,
FSx for NetApp ONTAP file systems, Cognito user pools, GuardDuty detectors and Security Hub.

Most of what they bill is usage (GB of backups, metric updates, active users, events analysed), so
their lines read `[usage]` keys and say "depends on usage" until those are given. The rules of
`estimators.py` hold: a price the catalog lacks is None ("price unknown"), never 0. Prices are rows
of `pricing/data/prices_services.csv`; where no public record of a figure was found the key has no
row, so the line names the key and stays unknown until a row or a refresh fills it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .lines import _Ctx, _fmt, _join, _Number

COGNITO_FREE_MAUS = 10_000.0  # Lite and Essentials: the first 10,000 active users a month are free
SECURITYHUB_FREE_FINDINGS = 10_000.0  # finding ingestion events free per account and region a month
FSX_FREE_IOPS_PER_GB = 3.0  # FSx (Windows, OpenZFS, ONTAP) includes 3 SSD IOPS per GB of SSD storage
FSX_ONTAP_MAX_GB = 1_048_576.0  # 1 PiB: the largest SSD tier of a scale-out file system
FSX_ONTAP_MAX_MBPS = 73_728.0  # 12 HA pairs of 6,144 MBps


def fsx_iops_above_included(ctx: _Ctx, gb: _Number) -> tuple[float | None, str] | None:
    """The SSD IOPS an FSx file system provisions (`disk_iops_configuration`, user-provisioned) above
    the 3 per GB of storage it includes, and what is unknown of them; None when none are billed."""
    block = ctx.first_block("disk_iops_configuration")
    mode, _ = ctx.text(block, "mode")
    if mode != "user_provisioned":
        return None
    iops = ctx.number(block, "iops", minimum=0, what="disk_iops_configuration.iops")
    free = None if gb.value is None else gb.value * FSX_FREE_IOPS_PER_GB
    extra = None if iops.value is None or free is None else max(iops.value - free, 0.0)
    return None if extra == 0 else (extra, iops.note)


def _usage_line(ctx: _Ctx, name: str, key: str, usage_key: str, *, unit: str = "", per: float = 1.0) -> None:
    """A line whose quantity is the usage figure `usage_key` divided by `per` (1,000 updates, 1M events)."""
    amount = ctx.usage_number(usage_key)
    quantity = None if amount.value is None else amount.value / per
    ctx.add(name, key, quantity, unit=unit or None, note=amount.note)


# -- AWS Backup --------------------------------------------------------------------------------------

# (line, price key, usage key, unit): the usage keys are infracost's names, so a usage file applies as is.
# Storage kinds billed at their own service's backup price reuse that service's key.
BACKUP_VAULT_LINES: tuple[tuple[str, str, str, str], ...] = (
    ("EFS backup (warm)", "backup.efs.warm.storage", "monthly_efs_warm_backup_gb", "GB"),
    ("EFS backup (cold)", "backup.efs.cold.storage", "monthly_efs_cold_backup_gb", "GB"),
    ("EFS restore (warm)", "backup.efs.warm.restore", "monthly_efs_warm_restore_gb", "GB"),
    ("EFS restore (cold)", "backup.efs.cold.restore", "monthly_efs_cold_restore_gb", "GB"),
    ("EFS restore (item-level)", "backup.efs.item_restore", "monthly_efs_item_restore_requests", "requests"),
    ("EBS snapshot", "ebs.snapshot.storage", "monthly_ebs_snapshot_gb", "GB"),
    ("RDS snapshot", "rds.backup.storage", "monthly_rds_snapshot_gb", "GB"),
    ("DynamoDB backup", "dynamodb.backup.ondemand", "monthly_dynamodb_backup_gb", "GB"),
    ("DynamoDB restore", "backup.dynamodb.restore", "monthly_dynamodb_restore_gb", "GB"),
    ("Aurora snapshot", "rds.aurora.backup.storage", "monthly_aurora_snapshot_gb", "GB"),
    ("FSx for Windows backup", "fsx.windows.backup", "monthly_fsx_windows_backup_gb", "GB"),
    ("FSx for Lustre backup", "fsx.lustre.backup", "monthly_fsx_lustre_backup_gb", "GB"),
)


def _aws_backup_vault(ctx: _Ctx) -> None:
    """A vault costs nothing itself; the recovery points it holds bill GB-months at the rate of the
    resource kind they back up, and restores bill per GB (EFS items per request)."""
    for name, key, usage_key, unit in BACKUP_VAULT_LINES:
        _usage_line(ctx, name, key, usage_key, unit=unit)


# -- CloudWatch metric streams ------------------------------------------------------------------------


def _aws_cloudwatch_metric_stream(ctx: _Ctx) -> None:
    _usage_line(
        ctx, "Metric updates", "cloudwatch.metric_stream.updates", "monthly_metric_updates", per=1000.0
    )
    ctx.note("the delivery stream (Kinesis Data Firehose) the updates go to bills apart")


# -- FSx for NetApp ONTAP -----------------------------------------------------------------------------


def _ontap_deployment(ctx: _Ctx) -> tuple[str | None, str, str]:
    """(`single_az` | `multi_az` | None, label, why unknown) from deployment_type (SINGLE_AZ_1/2,
    MULTI_AZ_1/2: the generation changes performance, not the list price per unit)."""
    deployment, note = ctx.text(ctx.resource.body, "deployment_type")
    if deployment is None:
        return None, "?", note or "deployment_type is not set"
    if deployment.startswith("single_az"):
        return "single_az", "Single-AZ", ""
    if deployment.startswith("multi_az"):
        return "multi_az", "Multi-AZ", ""
    return None, "?", f"unknown deployment_type '{deployment}'"


def _ontap_throughput(ctx: _Ctx) -> _Number:
    """throughput_capacity, or throughput_capacity_per_ha_pair × ha_pairs (scale-out file systems)."""
    body = ctx.resource.body
    whole = ctx.number(body, "throughput_capacity", minimum=0, maximum=FSX_ONTAP_MAX_MBPS)
    if whole.value is not None or whole.note:
        return whole
    per_pair = ctx.number(body, "throughput_capacity_per_ha_pair", minimum=0, maximum=FSX_ONTAP_MAX_MBPS)
    pairs = ctx.number(body, "ha_pairs", default=1.0, minimum=1, maximum=12)
    if per_pair.value is None or pairs.value is None:
        return _Number(None, per_pair.note or pairs.note or "throughput_capacity is not set")
    return _Number(per_pair.value * pairs.value)


def _aws_fsx_ontap_file_system(ctx: _Ctx) -> None:
    """SSD storage and throughput capacity as provisioned, SSD IOPS above the 3 per GB included, at the
    rates of the deployment type; capacity-pool storage and backups by usage."""
    az, label, why = _ontap_deployment(ctx)
    body = ctx.resource.body
    gb = ctx.number(body, "storage_capacity", minimum=0, maximum=FSX_ONTAP_MAX_GB, what="storage_capacity")
    if gb.value is None and not gb.note:
        gb.note = "storage_capacity is not set"
    mbps = _ontap_throughput(ctx)

    def key(part: str) -> str | None:
        return f"fsx.ontap.{az}.{part}" if az else None

    def missing(part: str) -> str:
        return why or f"no price for fsx.ontap.{az}.{part} in {ctx.region}"

    ctx.add(
        f"SSD storage ({label})",
        key("storage"),
        gb.value,
        unit="GB",
        note=gb.note,
        missing_note=missing("storage"),
        usage=False,
    )
    ctx.add(
        f"Throughput capacity ({label})",
        key("throughput"),
        mbps.value,
        unit="MBps",
        note=mbps.note,
        missing_note=missing("throughput"),
        usage=False,
    )
    above = fsx_iops_above_included(ctx, gb)
    if above is not None:
        extra, iops_note = above
        ctx.add(
            f"SSD IOPS above 3 per GB ({label})",
            key("iops"),
            extra,
            unit="IOPS",
            note=iops_note or ("" if extra is not None else gb.note),
            missing_note=missing("iops"),
            usage=False,
        )
    pool = ctx.usage_number("capacity_pool_storage_gb")
    ctx.add(
        f"Capacity pool storage ({label})",
        key("capacity_pool"),
        pool.value,
        unit="GB",
        note=pool.note,
        missing_note=missing("capacity_pool"),
    )
    backup = ctx.usage_number("backup_storage_gb")
    ctx.add("Backup storage", "fsx.ontap.backup", backup.value, unit="GB", note=backup.note)


# CloudFormation's FileSystemType -> the Terraform type whose estimator prices that file system
FSX_TYPES = {
    "ontap": "aws_fsx_ontap_file_system",
    "windows": "aws_fsx_windows_file_system",
    "lustre": "aws_fsx_lustre_file_system",
    "openzfs": "aws_fsx_openzfs_file_system",
}


def fsx_file_system(estimators: Mapping[str, Callable[[_Ctx], None]]) -> Callable[[_Ctx], None]:
    """The estimator of CloudFormation's one FSx type (`AWS::FSx::FileSystem`): its FileSystemType says
    which file system it is, and that file system's estimator (looked up in `estimators`, the table
    this is registered in) prices it from the attributes `cloudformation.toml` maps."""

    def estimator(ctx: _Ctx) -> None:
        kind, note = ctx.text(ctx.resource.body, "file_system_type")
        chosen = estimators.get(FSX_TYPES.get(kind or "", ""))
        if chosen is not None:
            chosen(ctx)
            return
        why = note or (f"unknown FileSystemType '{kind}'" if kind else "FileSystemType is not set")
        ctx.add("File system", None, None, missing_note=why, usage=False)

    return estimator


# -- Cognito user pools --------------------------------------------------------------------------------


def _mau_label(begin: float, end: float | None) -> str:
    first = _fmt(begin + COGNITO_FREE_MAUS + 1)
    return f"{first}+ MAUs" if end is None else f"{first}-{_fmt(end + COGNITO_FREE_MAUS)} MAUs"


def _aws_cognito_user_pool(ctx: _Ctx) -> None:
    """Monthly active users above the free 10,000 at the rate of the pool's feature plan (Lite by volume
    tiers); Essentials is AWS's default plan for a new pool."""
    plan, plan_note = ctx.text(ctx.resource.body, "user_pool_tier")
    if plan is None and not plan_note:
        plan, plan_note = "essentials", "user_pool_tier not set: Essentials, AWS's default, assumed"
    users = ctx.usage_number("monthly_active_users")
    free_note = (
        "the free 10,000 MAUs and the tier bounds count the account's pools together; "
        "this pool is counted alone"
    )
    if plan == "lite":
        billable = None if users.value is None else max(users.value - COGNITO_FREE_MAUS, 0.0)
        ctx.add_tiered(
            "Monthly active users (Lite)", "cognito.lite.mau", billable, _mau_label, note=users.note
        )
        ctx.note(free_note)
        return
    if plan not in ("essentials", "plus"):
        ctx.add(
            "Monthly active users",
            None,
            users.value,
            unit="MAU",
            missing_note=plan_note or f"unknown user_pool_tier '{plan}'",
            usage=False,
        )
        return
    # Plus has no free allowance
    free = COGNITO_FREE_MAUS if plan == "essentials" else 0.0
    billable = None if users.value is None else max(users.value - free, 0.0)
    title = "Monthly active users above 10,000 (Essentials)" if free else "Monthly active users (Plus)"
    ctx.add(
        title,
        f"cognito.{plan}.mau",
        billable,
        unit="MAU",
        note=_join(plan_note, users.note),
        usage=not users.note,
    )
    if free:
        ctx.note(free_note)


# -- GuardDuty and Security Hub ---------------------------------------------------------------------------


def _aws_guardduty_detector(ctx: _Ctx) -> None:
    """The foundational data sources every enabled detector analyses, at their first volume tier."""
    if ctx.flag(ctx.resource.body, "enable") is False:
        ctx.note("the detector is disabled: nothing is analysed or billed")
        return
    first_tier = "first-tier price; the lower prices of larger volumes are not applied"
    for name, key, usage_key, unit, per in (
        (
            "CloudTrail management events",
            "guardduty.cloudtrail_events",
            "monthly_cloudtrail_events",
            "1M events",
            1e6,
        ),
        ("VPC flow and DNS logs", "guardduty.flow_dns_logs", "monthly_flow_dns_logs_gb", "GB", 1.0),
    ):
        amount = ctx.usage_number(usage_key)
        quantity = None if amount.value is None else amount.value / per
        ctx.add(name, key, quantity, unit=unit, note=_join(amount.note, first_tier if quantity else ""))
    ctx.note(
        "protection plans (S3, EKS, runtime, malware, RDS, Lambda) bill apart by their own volumes"
        " and are not priced"
    )


def _securityhub_check_label(begin: float, end: float | None) -> str:
    return f"over {_fmt(begin)}" if end is None else f"{_fmt(begin)}-{_fmt(end)}"


def _aws_securityhub_account(ctx: _Ctx) -> None:
    """Security checks by volume tier and finding ingestion events above the free 10,000 (both per
    account and region, which is what this resource enables)."""
    checks = ctx.usage_number("monthly_security_checks")
    ctx.add_tiered(
        "Security checks", "securityhub.checks", checks.value, _securityhub_check_label, note=checks.note
    )
    events = ctx.usage_number("monthly_finding_ingestion_events")
    billable = None if events.value is None else max(events.value - SECURITYHUB_FREE_FINDINGS, 0.0)
    ctx.add(
        "Finding ingestion events (above 10,000)",
        "securityhub.finding_events",
        billable,
        unit="events",
        note=events.note,
    )


OPS_ESTIMATORS: dict[str, Callable[[_Ctx], None]] = {
    "aws_backup_vault": _aws_backup_vault,
    "aws_cloudwatch_metric_stream": _aws_cloudwatch_metric_stream,
    "aws_fsx_ontap_file_system": _aws_fsx_ontap_file_system,
    "aws_cognito_user_pool": _aws_cognito_user_pool,
    "aws_guardduty_detector": _aws_guardduty_detector,
    "aws_securityhub_account": _aws_securityhub_account,
}
