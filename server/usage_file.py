"""Read an infracost usage file (`--usage-file infracost-usage.yml`) into Advisor's usage figures.

The file is the format infracost documents: `version: 0.1`, then `resource_usage:` keyed by resource
address (exact, with an instance key, or with wildcards: `aws_lambda_function.*`,
`module.m.aws_sqs_queue.q[*]`) and `resource_type_default_usage:` keyed by resource type, each a map of
usage keys. Keys that Advisor's estimators read under the same name and unit pass through; keys with
another name or unit are converted by `RENAMED`, `PER_SECOND`, `BACKTRACK_KEYS`, `METERED_SIZE` (a
request or message size that multiplies the count), `NESTED`, `BY_REGION` (maps keyed by AWS Region) and
`_figures`. A key with no equivalent is never dropped in silence: it comes back as a warning naming the
file, the line and the key, and a key AWS does not bill (`NOT_BILLED`) with the reason. Keys that
ask for a reserved purchase (`reserved_instance_term`, ...) are
among those warned about: Advisor prices on-demand and shows reserved and spot prices as alternatives.

A usage file is untrusted input: it is read through `advisor.iac.files.read_file` (regular file, size
cap of a variable file), parsed with PyYAML's safe loader, and aliases are refused outright (a usage
file has no use for them, and refusing them rules out alias bombs). Any mistake is a `UsageFileError`
with the file and line, which the command line reports as a usage error (exit 2).

The figures go into `Config.usage_file`, which is part of the stored-result signature (a different
file never serves a stored report), and take precedence over `.advisor.toml`'s `[usage]`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

SUPPORTED_VERSION = "0.1"
HOURS_PER_MONTH = 730.0  # the month Advisor prices (and infracost converts hourly figures with)
SQS_CHUNK_KB = 64.0  # SQS bills each 64 KB chunk of a request as one request

# (resource type, size key) -> (the count it multiplies, the size AWS meters as one, KB). request_size_kb
# of any other type is SQS's (and SNS's) 64 KB chunk.
METERED_SIZE: dict[tuple[str, str], tuple[str, float]] = {
    ("aws_apigatewayv2_api", "request_size_kb"): ("monthly_requests", 512.0),  # HTTP API: 512 KB a request
    ("aws_apigatewayv2_api", "message_size_kb"): ("monthly_messages", 32.0),  # WebSocket: 32 KB a message
}

# The usage keys Advisor's estimators read (`pricing/estimators.py`, `pricing/services.py`,
# `pricing/lines.py`); tests/test_usage_file.py checks this list against those modules.
ADVISOR_KEYS = frozenset(
    """
    additional_backup_storage_gb api_throughput_limit_requests archive_storage_gb average_duration_ms
    backup_storage_gb capacity_units capacity_units_per_hour cpu_credit_hours deep_archive_storage_gb
    glacier_ir_storage_gb glacier_storage_gb instances intelligent_tiering_infrequent_storage_gb
    intelligent_tiering_objects intelligent_tiering_storage_gb kinesis_processing_units managed_storage_gb
    meta_database_gb monthly_action_execution_minutes monthly_active_users_above_free
    monthly_additional_management_events monthly_api_interactions monthly_archived_gb monthly_build_mins
    monthly_config_items monthly_connection_hours monthly_connection_mins monthly_custom_events
    monthly_data_delivered_gb monthly_data_events monthly_data_ingested_gb monthly_data_processed_gb
    monthly_data_scanned_gb monthly_data_transfer_to_internet_gb monthly_data_transferred_gb
    monthly_gb_hours monthly_geo_queries monthly_hours monthly_hrs monthly_https_requests
    monthly_ingested_gb monthly_insight_events monthly_invocations monthly_io_requests
    monthly_latency_based_queries monthly_listed_objects monthly_messages monthly_metrics
    monthly_monitored_objects monthly_on_demand_data_ingested_gb
    monthly_outbound_from_region_to_dx_connection_location monthly_put_units monthly_queries
    monthly_read_request_units monthly_requests monthly_rule_evaluations monthly_standard_io_requests
    monthly_standard_queries monthly_storage_gb monthly_tier_1_requests monthly_tier_2_requests
    monthly_transitions monthly_vcpu_hours monthly_write_request_units on_demand_backup_storage_gb
    onezone_ia_storage_gb pitr_backup_storage_gb request_duration_ms snapshot_storage_size_gb
    standard_ia_storage_gb standard_storage_gb storage_gb
    monthly_efs_warm_backup_gb monthly_efs_cold_backup_gb monthly_efs_warm_restore_gb
    monthly_efs_cold_restore_gb monthly_efs_item_restore_requests monthly_ebs_snapshot_gb
    monthly_rds_snapshot_gb monthly_dynamodb_backup_gb monthly_dynamodb_restore_gb monthly_aurora_snapshot_gb
    monthly_fsx_windows_backup_gb monthly_fsx_lustre_backup_gb monthly_metric_updates capacity_pool_storage_gb
    monthly_active_users monthly_cloudtrail_events monthly_flow_dns_logs_gb monthly_security_checks
    monthly_finding_ingestion_events workflow_duration_ms memory_mb
    monthly_invalidation_requests monthly_encryption_requests monthly_log_lines custom_ssl_certificates
    backup_snapshot_size_gb monthly_snapshot_export_gb monthly_backtrack_change_records
    excess_concurrency_scaling_secs spectrum_data_scanned_tb additional_workers additional_schedulers
    additional_domain_controllers shared_accounts infrequent_access_storage_gb
    monthly_infrequent_access_read_gb monthly_infrequent_access_write_gb cpu_burst_hours vcpu_count
    monthly_data_restored_gb monthly_streams_read_request_units
    """.split()  # noqa: SIM905 - a word list reads better than 72 quoted strings
)

# infracost key -> (Advisor key, factor from one infracost unit to one Advisor unit)
RENAMED: dict[str, tuple[str, float]] = {
    # aws_lb / aws_alb: infracost's processed bytes are the month's GB, as Advisor's (its golden outputs
    # bill 1,000 GB as 1,000 LCU-hours, $8.00 on an ALB)
    "processed_bytes_gb": ("monthly_data_processed_gb", 1.0),
    # aws_dx_connection: the older name of the GB sent out from the resource's Region
    "monthly_outbound_region_to_dx_location_gb": (
        "monthly_outbound_from_region_to_dx_connection_location",
        1.0,
    ),
    # aws_docdb_cluster_instance
    "monthly_cpu_credit_hrs": ("cpu_credit_hours", 1.0),
    # aws_rds_cluster (Serverless v1) and aws_rds_cluster_instance (Serverless v2): average ACUs
    "capacity_units_per_hr": ("capacity_units_per_hour", 1.0),
    # aws_rds_cluster: the GB of snapshots exported to S3 in a month
    "snapshot_export_size_gb": ("monthly_snapshot_export_gb", 1.0),
}

# (resource type, infracost key) -> Advisor key, where the key means something else than elsewhere:
# an EC2 or Aurora instance's monthly_cpu_credit_hrs are hours of bursting (times its vCPUs), while a
# DocumentDB instance's are vCPU-hours already (RENAMED)
TYPED: dict[tuple[str, str], str] = {
    (t, k): a
    for t in ("aws_instance", "aws_rds_cluster_instance")
    for k, a in (("monthly_cpu_credit_hrs", "cpu_burst_hours"), ("vcpu_count", "vcpu_count"))
}

# aws_elastic_beanstalk_environment: infracost's map of each part the environment launches -> the type
# its figures are read as (`advisor.pricing.services.elastic_beanstalk_environment` prices each part
# with the figures under its name: `elb.monthly_data_processed_gb`)
EB_PARTS: dict[str, str] = {
    "ec2": "aws_instance",
    "elb": "aws_elb",
    "lb": "aws_lb",
    "db": "aws_db_instance",
    "cloudwatch": "aws_cloudwatch_log_group",
}

# infracost keys given per second, summed into one monthly Advisor key (aws_rds_cluster's I/O)
PER_SECOND: dict[str, str] = {
    "read_requests_per_sec": "monthly_io_requests",
    "write_requests_per_sec": "monthly_io_requests",
}
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0

# aws_rds_cluster backtrack: change records kept = statements an hour x records a statement x window
# hours, billed for every hour of the month; all three keys are needed
BACKTRACK_KEYS = ("average_statements_per_hr", "change_records_per_statement", "backtrack_window_hrs")

# (resource type, infracost key) -> why the figure cannot be used where infracost puts it
ELSEWHERE: dict[tuple[str, str], str] = {
    (t, k): "Advisor bills DocumentDB storage and I/O on the aws_docdb_cluster: set storage_gb and"
    " monthly_io_requests there"
    for t in ("aws_docdb_cluster_instance",)
    for k in ("data_storage_gb", "monthly_io_requests")
}

_TYPE_IN_ADDRESS = re.compile(r"(?:^|\.)((?:aws|data)_[a-z0-9_]+)\.[^.]+$")


def _resource_type(address: str) -> str:
    """The resource type an address (or pattern) names: `module.m.aws_sqs_queue.q[*]` -> aws_sqs_queue."""
    if re.fullmatch(r"aws_[a-z0-9_]+", address):
        return address  # a resource_type_default_usage key
    found = _TYPE_IN_ADDRESS.search(re.sub(r"\[[^\]]*\]", "", address))
    return found.group(1) if found else ""


# aws_globalaccelerator_endpoint_group: GB by direction and edge-location group
# (`advisor.pricing.services.GA_EDGE_GROUPS`), each an Advisor key of its own
GA_EDGE_GROUPS = (
    "us",
    "europe",
    "south_africa",
    "south_america",
    "south_korea",
    "middle_east",
    "australia",
    "asia_pacific",
    "india",
)
GA_DIRECTION_KEYS = ("monthly_inbound_data_transfer_gb", "monthly_outbound_data_transfer_gb")

# aws_cloudfront_distribution: figures by pricing area (`advisor.pricing.services.CLOUDFRONT_AREAS`)
CLOUDFRONT_AREAS = (
    "us",
    "europe",
    "south_africa",
    "south_america",
    "japan",
    "australia",
    "asia_pacific",
    "india",
)
CLOUDFRONT_AREA_KEYS = (
    "monthly_data_transfer_to_internet_gb",
    "monthly_data_transfer_to_origin_gb",
    "monthly_http_requests",
    "monthly_https_requests",
)
CLOUDFRONT_SHIELD_AREAS = (
    "us",
    "europe",
    "south_america",
    "japan",
    "australia",
    "singapore",
    "south_korea",
    "india",
)

# aws_s3_bucket: the per-class usage beyond storage, (class map, Advisor's prefix) -> inner keys;
# standard_infrequent_access.monthly_data_retrieval_gb becomes standard_ia_monthly_data_retrieval_gb
S3_CLASS_USAGE: dict[tuple[str, str], tuple[str, ...]] = {
    ("standard", "standard"): (
        "monthly_select_data_scanned_gb",
        "monthly_select_data_returned_gb",
    ),
    ("intelligent_tiering", "intelligent_tiering"): (
        "archive_access_storage_gb",
        "deep_archive_access_storage_gb",
        "monthly_tier_1_requests",
        "monthly_tier_2_requests",
        "monthly_lifecycle_transition_requests",
        "monthly_select_data_scanned_gb",
        "monthly_select_data_returned_gb",
    ),
    ("standard_infrequent_access", "standard_ia"): (
        "monthly_tier_1_requests",
        "monthly_tier_2_requests",
        "monthly_lifecycle_transition_requests",
        "monthly_data_retrieval_gb",
        "monthly_select_data_scanned_gb",
        "monthly_select_data_returned_gb",
    ),
    ("one_zone_infrequent_access", "onezone_ia"): (
        "monthly_tier_1_requests",
        "monthly_tier_2_requests",
        "monthly_lifecycle_transition_requests",
        "monthly_data_retrieval_gb",
        "monthly_select_data_scanned_gb",
        "monthly_select_data_returned_gb",
    ),
    ("glacier_flexible_retrieval", "glacier"): (
        "monthly_tier_1_requests",
        "monthly_tier_2_requests",
        "monthly_lifecycle_transition_requests",
        "monthly_standard_data_retrieval_requests",
        "monthly_standard_data_retrieval_gb",
        "monthly_expedited_data_retrieval_requests",
        "monthly_expedited_data_retrieval_gb",
        "monthly_standard_select_data_scanned_gb",
        "monthly_standard_select_data_returned_gb",
        "monthly_expedited_select_data_scanned_gb",
        "monthly_expedited_select_data_returned_gb",
        "monthly_bulk_select_data_scanned_gb",
        "monthly_bulk_select_data_returned_gb",
        "early_delete_gb",
    ),
    ("glacier_deep_archive", "deep_archive"): (
        "monthly_tier_1_requests",
        "monthly_tier_2_requests",
        "monthly_lifecycle_transition_requests",
        "monthly_standard_data_retrieval_requests",
        "monthly_standard_data_retrieval_gb",
        "monthly_bulk_data_retrieval_requests",
        "monthly_bulk_data_retrieval_gb",
        "early_delete_gb",
    ),
}

# nested maps keyed by AWS Region (eu_west_1): outer key -> each Region's figure as `<outer>_<region>`
BY_REGION = frozenset({"monthly_outbound_from_region_to_dx_connection_location"})
_REGION_NAME = re.compile(r"[a-z]{2}(?:_gov)?_[a-z]+_[0-9]{1,2}")

# nested keys infracost prices that AWS does not bill: (outer key, inner key) -> why
NOT_BILLED: dict[tuple[str, str], str] = {
    ("intelligent_tiering", "early_delete_gb"): "S3 Intelligent-Tiering has no minimum storage duration"
    " (AWS dropped it in 2021), so no early deletion charge",
}

# infracost's nested maps: (outer key, inner key) -> Advisor key (same unit)
NESTED: dict[tuple[str, str], str] = {
    **{(outer, edge): f"{outer}_{edge}" for outer in GA_DIRECTION_KEYS for edge in GA_EDGE_GROUPS},
    ("standard", "storage_gb"): "storage_gb",
    ("standard", "monthly_tier_1_requests"): "monthly_tier_1_requests",
    ("standard", "monthly_tier_2_requests"): "monthly_tier_2_requests",
    ("standard_infrequent_access", "storage_gb"): "standard_ia_storage_gb",
    ("one_zone_infrequent_access", "storage_gb"): "onezone_ia_storage_gb",
    ("glacier_instant_retrieval", "storage_gb"): "glacier_ir_storage_gb",
    ("glacier_flexible_retrieval", "storage_gb"): "glacier_storage_gb",
    ("glacier_deep_archive", "storage_gb"): "deep_archive_storage_gb",
    ("intelligent_tiering", "frequent_access_storage_gb"): "intelligent_tiering_storage_gb",
    ("intelligent_tiering", "infrequent_access_storage_gb"): "intelligent_tiering_infrequent_storage_gb",
    ("intelligent_tiering", "monitored_objects"): "intelligent_tiering_objects",
    **{
        (outer, inner): f"{prefix}_{inner}"
        for (outer, prefix), inners in S3_CLASS_USAGE.items()
        for inner in inners
    },
    # CloudFront by pricing area: monthly_http_requests.europe -> monthly_http_requests_europe
    **{(outer, area): f"{outer}_{area}" for outer in CLOUDFRONT_AREA_KEYS for area in CLOUDFRONT_AREAS},
    **{
        ("monthly_shield_requests", area): f"monthly_shield_requests_{area}"
        for area in CLOUDFRONT_SHIELD_AREAS
    },
}


class UsageFileError(Exception):
    """A usage file that cannot be used, at its place (`path:line: problem`)."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}")
        self.path, self.line = path, line


@dataclass(slots=True)
class UsageFile:
    """The figures of a usage file, in the order they apply (later wins), and what could not be used."""

    path: str
    entries: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_usage_file(path: str, roots: tuple[str, ...] | None = None) -> UsageFile:
    """Read, check and convert an infracost usage file. Raises UsageFileError on a bad file.

    `roots` (resolved folders, `advisor.iac.files.real_roots`): the file must be inside them, as for a
    file a workspace's settings name; None for a file the user named on the command line."""
    import os

    from advisor.iac.files import inside, read_file

    if roots is not None and not inside(os.path.realpath(path), roots):
        raise UsageFileError(path, 0, "outside the workspace folders; not read")
    got = read_file(path, kind="tfvars", roots=roots)
    if got.missing:
        raise UsageFileError(path, 0, "usage file not found")
    if got.data is None:
        raise UsageFileError(path, 0, got.problem or "cannot read the usage file")
    try:
        text = got.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageFileError(path, 0, f"not UTF-8 text (byte {exc.start})") from None
    root = _compose(path, text)
    return _convert_document(path, root)


def _compose(path: str, text: str) -> Any:
    """The YAML node graph of the text (safe loader, no aliases)."""
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise UsageFileError(
                    path, mark.line + 1, "YAML aliases (*name) are not allowed in a usage file"
                )
            return super().compose_node(parent, index)

    loader = NoAliasLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise UsageFileError(path, line, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise UsageFileError(path, 0, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    return node


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


def _pairs(path: str, node: Any, what: str) -> list[tuple[str, Any, Any]]:
    """(key text, key node, value node) of a mapping node; anything else is an error at its line."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise UsageFileError(path, _line(node), f"{what} must be a map")
    out: list[tuple[str, Any, Any]] = []
    seen: dict[str, int] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise UsageFileError(path, _line(key), f"a key of {what} must be a plain name")
        name = str(key.value)
        if name in seen:
            raise UsageFileError(path, _line(key), f"{name!r} repeats line {seen[name]} in {what}")
        seen[name] = _line(key)
        out.append((name, key, value))
    return out


def _number(path: str, node: Any, label: str) -> float | None:
    """A scalar's non-negative number; None for text (reported by the caller); an error otherwise."""
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        raise UsageFileError(path, _line(node), f"{label} must be a number")
    if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        try:
            value = float(yaml.safe_load(node.value))  # the same resolver read this text as a number
        except (yaml.YAMLError, TypeError, ValueError, OverflowError):
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise UsageFileError(path, _line(node), f"{label} must be a number >= 0, not {node.value}")
        return value
    return None


def _convert_document(path: str, root: Any) -> UsageFile:
    result = UsageFile(path)
    if root is None:
        raise UsageFileError(path, 1, "the usage file is empty")
    top = _pairs(path, root, "the usage file")
    names = {name: (key, value) for name, key, value in top}
    for name, key, _value in top:
        if name not in ("version", "resource_usage", "resource_type_default_usage"):
            result.warnings.append(f"{path}:{_line(key)}: {name!r} is not part of a usage file; not applied")
    if "version" not in names:
        raise UsageFileError(
            path, _line(root), f"no version: a usage file starts with version: {SUPPORTED_VERSION}"
        )
    version = names["version"][1]
    if str(getattr(version, "value", "")) != SUPPORTED_VERSION:
        raise UsageFileError(
            path,
            _line(version),
            f"version {getattr(version, 'value', '?')!r} is not supported (use {SUPPORTED_VERSION})",
        )
    defaults: list[tuple[str, dict[str, float]]] = []
    wildcards: list[tuple[str, dict[str, float]]] = []
    exact: list[tuple[str, dict[str, float]]] = []
    for section in ("resource_type_default_usage", "resource_usage"):
        if section not in names or names[section][1].tag == "tag:yaml.org,2002:null":
            continue
        for address, _key, value in _pairs(path, names[section][1], section):
            if value.tag == "tag:yaml.org,2002:null":
                continue
            figures = _figures(path, address, value, result.warnings)
            if section == "resource_type_default_usage":
                defaults.append((address, figures))
            elif "*" in address:
                wildcards.append((address, figures))
            else:
                exact.append((address, figures))
    wildcards.sort(key=lambda entry: len(entry[0]))  # the more specific wildcard applies later
    result.entries = defaults + wildcards + exact
    return result


def _figures(path: str, address: str, node: Any, warnings: list[str], rtype: str = "") -> dict[str, float]:
    """One address's usage keys in Advisor's names and units (`rtype`: the type they are read as, when
    not the address's own: a part of an Elastic Beanstalk environment)."""
    import yaml

    out: dict[str, float] = {}
    sizes: list[tuple[str, float, int]] = []
    backtrack: dict[str, tuple[float, int]] = {}
    rtype = rtype or _resource_type(address)
    for name, key, value in _pairs(path, node, address):
        label = f"{address}.{name}"
        elsewhere = ELSEWHERE.get((rtype, name))
        if elsewhere is not None:
            warnings.append(f"{path}:{_line(key)}: {label} not applied: {elsewhere}")
            continue
        part = EB_PARTS.get(name) if rtype == "aws_elastic_beanstalk_environment" else None
        if part is not None and isinstance(value, yaml.MappingNode):
            for inner, figure in _figures(path, label, value, warnings, part).items():
                out[f"{name}.{inner}"] = figure
            continue
        if isinstance(value, yaml.MappingNode):
            for inner, inner_key, inner_value in _pairs(path, value, label):
                target = NESTED.get((name, inner))
                number = _number(path, inner_value, f"{label}.{inner}")
                if (name, inner) in NOT_BILLED:
                    warnings.append(
                        f"{path}:{_line(inner_key)}: {label}.{inner} not applied: {NOT_BILLED[name, inner]}"
                    )
                elif name in BY_REGION and number is not None:
                    if _REGION_NAME.fullmatch(inner):
                        out[f"{name}_{inner}"] = number
                    else:
                        warnings.append(
                            f"{path}:{_line(inner_key)}: {label}.{inner} is not an AWS Region; not applied"
                        )
                elif target is None or number is None:
                    warnings.append(_unused(path, inner_key, f"{label}.{inner}", number is None))
                else:
                    out[target] = number
            continue
        number = _number(path, value, label)
        if number is None:
            if value.tag != "tag:yaml.org,2002:null":
                warnings.append(_unused(path, key, label, True))
            continue
        if name == "request_size_kb" or (rtype, name) in METERED_SIZE:
            sizes.append((name, number, _line(key)))
        elif name in BACKTRACK_KEYS:
            backtrack[name] = (number, _line(key))
        elif (rtype, name) in TYPED:
            out[TYPED[rtype, name]] = number
        elif name in PER_SECOND:
            target = PER_SECOND[name]
            out[target] = out.get(target, 0.0) + number * SECONDS_PER_MONTH
        elif name in RENAMED:
            target, factor = RENAMED[name]
            out[target] = number * factor
        elif name in ADVISOR_KEYS:
            out[name] = number
        else:
            warnings.append(_unused(path, key, label, False))
    for size_key, size, line in sizes:
        count_key, chunk_kb = METERED_SIZE.get((rtype, size_key), ("monthly_requests", SQS_CHUNK_KB))
        if count_key in out:
            out[count_key] *= max(1.0, math.ceil(size / chunk_kb))
        else:
            warnings.append(
                f"{path}:{line}: {address}.{size_key} applies only beside {count_key}; not applied"
            )
    if backtrack:
        if len(backtrack) == len(BACKTRACK_KEYS):
            statements, records, window = (backtrack[k][0] for k in BACKTRACK_KEYS)
            out["monthly_backtrack_change_records"] = statements * records * window * HOURS_PER_MONTH
        else:
            lacking = ", ".join(k for k in BACKTRACK_KEYS if k not in backtrack)
            for name, (_number_value, line) in backtrack.items():
                warnings.append(f"{path}:{line}: {address}.{name} needs {lacking} as well; not applied")
    return out


def _unused(path: str, key: Any, label: str, text: bool) -> str:
    why = "is not a number Advisor can use" if text else "has no equivalent in Advisor's usage figures"
    return f"{path}:{_line(key)}: {label} {why}; not applied"
