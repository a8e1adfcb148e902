"""Estimators for managed services billed by node, broker or task: MSK, OpenSearch / Elasticsearch,
Redshift, DocumentDB, Neptune, ECS on Fargate, MemoryDB (node-hours; its price is not known yet), and
fixed monthly or hourly charges (KMS keys, Secrets Manager secrets, CloudWatch alarms and dashboards,
Route 53 zones and resolver endpoints, Transit Gateway attachments, VPN connections, Network Firewall
and VPC interface endpoints, Directory Service directories, Transfer Family servers, Amazon MQ brokers).

They follow the rules of `estimators.py` (which registers `SERVICE_ESTIMATORS`): an unknown price
is None, never 0; a quantity that depends on usage is None unless `[usage]` gives it. Prices come from
`pricing/data/prices_services.csv` (us-east-1; elsewhere the catalog falls back to us-east-1 and says
the figure is an estimate).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from advisor.model import HOURS_PER_MONTH, Block, Resource, Value

from .catalog import Catalog
from .costs import ResourceCost
from .lines import (
    GP3_FREE_IOPS,
    GP3_FREE_MIBPS,
    MAX_COUNT,
    Usage,
    _compute_hours,
    _count,
    _Ctx,
    _fmt,
    _join,
    _Missing,
    _Number,
    _type_name,
)
from .services_emr_batch import EMR_BATCH_ESTIMATORS
from .services_instances import MANAGED_INSTANCE_ESTIMATORS, MANAGED_INSTANCE_FREE_TYPES
from .services_ops import OPS_ESTIMATORS, fsx_file_system, fsx_iops_above_included

FARGATE_FREE_EPHEMERAL_GB = 20.0  # every Fargate task gets 20 GB of ephemeral storage at no charge
OPENSEARCH_SMALL_GP3_GB = 170.0  # up to this size a gp3 volume includes 125 MiB/s
OPENSEARCH_GP3_STEP_GB = 3000.0  # above it, 250 MiB/s are included per started 3 TB ...
OPENSEARCH_GP3_STEP_MIBPS = 250.0
OPENSEARCH_GP3_MAX_FREE_MIBPS = 1000.0  # ... up to 1000 MiB/s
OPENSEARCH_VOLUME_TYPES = ("gp2", "gp3", "io1", "standard")


def _node_line(
    ctx: _Ctx, label: str, key_prefix: str, name: str | None, why: str, count: float | None, note: str = ""
) -> None:
    """`count` nodes of type `name` for a month, priced at `<key_prefix><name>`."""
    quantity = None if count is None else count * HOURS_PER_MONTH
    title = f"{label} ({name or '?'})"
    if name is None:
        ctx.add(title, None, quantity, unit="hours", note=note, missing_note=why)
        return
    key = f"{key_prefix}{name}"
    ctx.add(title, key, quantity, unit="hours", note=note, missing_note=f"no price for {key} in {ctx.region}")


def _node_count(ctx: _Ctx, block: Block | None, attr: str, default: float | None, what: str) -> _Number:
    """A count attribute (nodes, brokers, instances) with a plausibility cap."""
    value = ctx.number(block, attr, minimum=0, maximum=MAX_COUNT, default=default, what=what)
    if not value.given and value.value is not None:
        value.note = f"{what} not set: {_fmt(value.value)} assumed"
    elif not value.given:
        value.note = f"{what} is not set"
    return value


# -- MSK ---------------------------------------------------------------------------------------------


def _aws_msk_cluster(ctx: _Ctx) -> None:
    """Broker hours × brokers, plus the EBS storage provisioned on each broker."""
    body = ctx.resource.body
    group = ctx.first_block("broker_node_group_info")
    brokers = _node_count(ctx, body, "number_of_broker_nodes", None, "number_of_broker_nodes")
    name, why = _type_name(ctx, ctx.raw(group, "instance_type"), "broker_node_group_info.instance_type")
    _node_line(ctx, "Broker instances", "msk.", name, why, brokers.value, brokers.note)
    if name and name.startswith("express."):
        ctx.note("Express brokers also bill storage used and data written (depends on usage, not priced)")
        return
    storage = ctx.first_block("ebs_storage_info", ctx.first_block("storage_info", group))
    size = ctx.number(storage, "volume_size", minimum=1, maximum=16384, what="volume_size")
    if size.value is None and not size.note:
        size = ctx.number(group, "ebs_volume_size", minimum=1, maximum=16384, what="ebs_volume_size")
    note = size.note
    if size.value is None and not note:
        size, note = _Number(1000.0, given=False), "volume_size not set: AWS's default of 1000 GB assumed"
    qty = None if size.value is None or brokers.value is None else size.value * brokers.value
    ctx.add("Broker storage", "msk.storage", qty, note=_join(note, brokers.note if qty is None else ""))
    throughput = ctx.first_block("provisioned_throughput", storage)
    if throughput is not None and ctx.flag(throughput, "enabled"):
        ctx.add(
            "Provisioned storage throughput",
            None,
            None,
            unit="MiBps",
            missing_note="provisioned storage throughput is not in the catalog",
            usage=False,
        )


# -- OpenSearch / Elasticsearch ----------------------------------------------------------------------


def _search_type(raw: str) -> str:
    """`c4.2xlarge.elasticsearch` and `c4.2xlarge.search` are the same instance at the same price."""
    return re.sub(r"\.elasticsearch$", ".search", raw)


def _opensearch_gp3_free_mibps(gb: float) -> float:
    if gb <= OPENSEARCH_SMALL_GP3_GB:
        return GP3_FREE_MIBPS
    steps = -(-gb // OPENSEARCH_GP3_STEP_GB)  # started 3 TB
    return min(OPENSEARCH_GP3_MAX_FREE_MIBPS, steps * OPENSEARCH_GP3_STEP_MIBPS)


def _search_nodes(
    ctx: _Ctx, cluster: Block | None, label: str, type_attr: str, count_attr: str, default: float | None
) -> float | None:
    count = _node_count(ctx, cluster, count_attr, default, count_attr)
    raw, why = _type_name(ctx, ctx.raw(cluster, type_attr), f"cluster_config.{type_attr}")
    name = _search_type(raw.lower()) if raw else None
    _node_line(ctx, label, "opensearch.", name, why, count.value, count.note)
    return count.value


def _search_domain(ctx: _Ctx) -> None:
    """Data nodes, dedicated masters and UltraWarm nodes by the hour; EBS storage, IOPS and throughput
    per data node."""
    cluster = ctx.first_block("cluster_config")
    data_nodes = _search_nodes(ctx, cluster, "Data instances", "instance_type", "instance_count", 1.0)
    if ctx.flag(cluster, "dedicated_master_enabled"):
        _search_nodes(
            ctx, cluster, "Dedicated master instances", "dedicated_master_type", "dedicated_master_count", 3.0
        )
    if ctx.flag(cluster, "warm_enabled"):
        _search_nodes(ctx, cluster, "UltraWarm instances", "warm_type", "warm_count", None)
    ebs = ctx.first_block("ebs_options")
    if ebs is None or ctx.flag(ebs, "ebs_enabled") is False:
        ctx.note("no EBS volumes: data lives on the instances' own storage")
        return
    vtype, type_note = ctx.text(ebs, "volume_type")
    notes: list[str] = []
    if vtype is None and not type_note:
        vtype = "gp2"
        notes.append("volume_type not set: gp2 assumed")
    size = ctx.number(ebs, "volume_size", minimum=1, maximum=24576, what="volume_size")
    if size.value is None and not size.note:
        size = _Number(None, "volume_size is not set")
    per_node = size.value
    total = None if per_node is None or data_nodes is None else per_node * data_nodes
    if vtype not in OPENSEARCH_VOLUME_TYPES:
        why = type_note or f"unknown volume type '{vtype}'"
        ctx.add("Storage", None, total, unit="GB", note=size.note, missing_note=why)
        return
    ctx.add(f"Storage ({vtype})", f"opensearch.storage.{vtype}", total, note=_join(*notes, size.note))
    if vtype == "io1":
        iops = ctx.number(ebs, "iops", minimum=0, what="iops")
        qty = None if iops.value is None or data_nodes is None else iops.value * data_nodes
        why = iops.note or ("iops is required for io1 volumes" if iops.value is None else "")
        ctx.add("Provisioned IOPS (io1)", "opensearch.iops.io1", qty, note=why)
    if vtype == "gp3":
        mibps = ctx.number(ebs, "throughput", default=GP3_FREE_MIBPS, minimum=0, what="throughput")
        if mibps.value is None or per_node is None or data_nodes is None:
            ctx.add(
                "Provisioned throughput (gp3)",
                "opensearch.throughput.gp3",
                None,
                note=mibps.note,
                usage=False,
            )
        else:
            free = _opensearch_gp3_free_mibps(per_node)
            if mibps.value > free:
                ctx.add(
                    f"Provisioned throughput (gp3, above {_fmt(free)} MiB/s)",
                    "opensearch.throughput.gp3",
                    (mibps.value - free) * data_nodes,
                    note=f"{_fmt(free)} MiB/s included for a {_fmt(per_node)} GB volume",
                )
        iops = ctx.number(ebs, "iops", default=GP3_FREE_IOPS, minimum=0, what="iops")
        if iops.value is None or iops.value > GP3_FREE_IOPS:
            ctx.add(
                "Provisioned IOPS (gp3, above 3000)",
                "opensearch.iops.gp3",
                None
                if iops.value is None or data_nodes is None
                else (iops.value - GP3_FREE_IOPS) * data_nodes,
                note=iops.note,
            )


# -- Redshift ----------------------------------------------------------------------------------------


def _aws_redshift_cluster(ctx: _Ctx) -> None:
    body = ctx.resource.body
    kind, _ = ctx.text(body, "cluster_type")
    nodes = _node_count(ctx, body, "number_of_nodes", 1.0, "number_of_nodes")
    if kind == "single-node" and nodes.value not in (None, 1.0):
        nodes = _Number(1.0, "cluster_type single-node: one node")
    name, why = _type_name(ctx, ctx.raw(body, "node_type"), "node_type")
    node = name.lower() if name else None
    _node_line(ctx, "Cluster nodes", "redshift.", node, why, nodes.value, nodes.note if nodes.given else "")
    if node and node.startswith("ra3."):
        stored = ctx.usage_number("managed_storage_gb")
        ctx.add("Managed storage (RA3)", "redshift.managed_storage", stored.value, note=stored.note)
    _redshift_usage(ctx, node, nodes.value)


_REDSHIFT_FREE_SCALING_NOTE = "beyond the hour of free credits a day the cluster earns"


def _redshift_usage(ctx: _Ctx, node: str | None, nodes: float | None) -> None:
    """The lines that only usage gives: concurrency scaling (the cluster's own per-second on-demand
    rate for every node, for the seconds beyond the free credits), Spectrum scans and backup storage
    (tiered by volume). Each shows only when its usage figure is given."""
    scaling = ctx.usage_number("excess_concurrency_scaling_secs")
    if scaling.given:
        hourly = ctx.catalog.price(f"redshift.{node}", ctx.region) if node else None
        if hourly is None or scaling.value is None or nodes is None:
            ctx.add(
                "Concurrency scaling",
                None,
                None if scaling.value is None or nodes is None else scaling.value * nodes,
                unit="node-seconds",
                note=scaling.note,
                missing_note=f"no price for Redshift {node or '?'} in {ctx.region}",
            )
        else:
            per_second = replace(hourly, value=hourly.value / 3600.0, unit="node-second")
            ctx.add(
                f"Concurrency scaling ({node})",
                None,
                scaling.value * nodes,
                price=per_second,
                note=_join(scaling.note, _REDSHIFT_FREE_SCALING_NOTE),
            )
    scanned = ctx.usage_number("spectrum_data_scanned_tb")
    if scanned.given:
        ctx.add("Spectrum data scanned", "redshift.spectrum", scanned.value, note=scanned.note)
    backup = ctx.usage_number("backup_storage_gb")
    if backup.given:
        ctx.add_tiered(
            "Backup storage", "redshift.backup", backup.value, _redshift_backup_tier, note=backup.note
        )


def _redshift_backup_tier(begin: float, end: float | None) -> str:
    def tb(gb: float) -> str:
        return f"{gb / 1024:g} TB"

    if begin == 0 and end is not None:
        return f"first {tb(end)}"
    if end is None:
        return f"over {tb(begin)}"
    return f"next {tb(end - begin)}"


# -- DocumentDB and Neptune --------------------------------------------------------------------------


def _cluster_instance(ctx: _Ctx, service: str) -> None:
    """One database instance of a DocumentDB or Neptune cluster (storage and I/O bill on the cluster)."""
    body = ctx.resource.body
    name, why = _type_name(ctx, ctx.raw(body, "instance_class"), "instance_class")
    cls = name.lower() if name else None
    _node_line(ctx, "Database instance", f"{service}.", cls, why, 1.0)
    if service == "docdb" and cls and cls.startswith(("db.t3.", "db.t4g.")):
        credits = ctx.usage_number("cpu_credit_hours")
        ctx.add("CPU credits (above baseline)", "docdb.cpu_credits", credits.value, note=credits.note)


def _cluster_storage(ctx: _Ctx, service: str) -> None:
    body = ctx.resource.body
    storage_type, _ = ctx.text(body, "storage_type")
    if storage_type == "iopt1":
        ctx.add(
            "Storage (I/O-optimized)",
            None,
            ctx.usage_number("storage_gb").value,
            unit="GB",
            missing_note="I/O-optimized prices are not in the catalog",
        )
        ctx.note(
            "I/O-optimized clusters also bill their instances at higher rates, which are not in the catalog"
        )
        return
    stored = ctx.usage_number("storage_gb")
    ctx.add("Storage", f"{service}.storage", stored.value, note=stored.note)
    ios = ctx.usage_number("monthly_io_requests")
    ctx.add("I/O requests", f"{service}.io", None if ios.value is None else ios.value / 1e6, note=ios.note)
    if service == "docdb":
        backup = ctx.usage_number("backup_storage_gb")
        ctx.add("Backup storage", "docdb.backup.storage", backup.value, note=backup.note)


# -- ECS on Fargate ----------------------------------------------------------------------------------

_CPU_TEXT = re.compile(r"^\s*([\d.]+)\s*v?cpus?\s*$", re.IGNORECASE)
_MEMORY_TEXT = re.compile(r"^\s*([\d.]+)\s*(gb|gib|mb|mib)?\s*$", re.IGNORECASE)


def _task_size(ctx: _Ctx, attr: str, what: str) -> tuple[float | None, str]:
    """A task definition's `cpu` (units, or "1 vCPU") in vCPU, or `memory` (MiB, or "2 GB") in GB."""
    raw = ctx.raw(ctx.resource.body, attr)
    if isinstance(raw, _Missing):
        return None, f"the task definition sets no {what}"
    if not raw.known:
        return None, f"task definition {what} is unknown ({raw.reason or 'not resolvable'})"
    text = str(raw.value).strip()
    if what == "cpu":
        m = _CPU_TEXT.match(text)
        if m:
            return float(m.group(1)), ""
        try:
            return float(text) / 1024.0, ""
        except ValueError:
            return None, f"task definition cpu = {text!r} is not a size"
    m = _MEMORY_TEXT.match(text)
    if not m:
        return None, f"task definition memory = {text!r} is not a size"
    amount, unit = float(m.group(1)), (m.group(2) or "mib").lower()
    return (amount if unit in ("gb", "gib") else amount / 1024.0), ""


def _fargate_strategy(ctx: _Ctx) -> tuple[str | None, str]:
    """ "fargate", "fargate_spot", "ec2" or None (unknown), with a note."""
    body = ctx.resource.body
    launch, note = ctx.text(body, "launch_type")
    if note:
        return None, note
    if launch:
        return ("fargate" if launch == "fargate" else "ec2"), ""
    providers = [ctx.text(b, "capacity_provider")[0] for b in body.nested("capacity_provider_strategy")]
    if providers:
        if all(p == "fargate" for p in providers):
            return "fargate", ""
        if "fargate_spot" in providers:
            return "fargate_spot", ""
        if None in providers:
            return None, "capacity_provider_strategy is not resolvable"
        return "ec2", ""
    needs = ctx.raw(body, "_task_requires_compatibilities")
    if (
        not isinstance(needs, _Missing)
        and needs.known
        and isinstance(needs.value, list | tuple)
        and [str(x).upper() for x in needs.value] == ["FARGATE"]
    ):
        return "fargate", "launch_type not set: the task definition requires FARGATE"
    return "ec2", ""


def _aws_ecs_service(ctx: _Ctx) -> None:
    """desired_count × (vCPU-hours + GB-hours) of the task definition, on Fargate."""
    body = ctx.resource.body
    strategy, strategy_note = _fargate_strategy(ctx)
    if strategy == "ec2":
        ctx.note("runs on EC2 container instances: they are priced where they are declared")
        return
    default = 1.0 if ctx.resource.source_type else 0.0  # CloudFormation starts one task, Terraform none
    desired = ctx.number(body, "desired_count", minimum=0, maximum=MAX_COUNT, what="desired_count")
    tasks, count_note = _count(ctx, desired, default, "desired_count")
    count_note = _join(strategy_note, count_note)
    linked = not isinstance(ctx.raw(body, "_task_definition"), _Missing)
    if not linked:
        ctx.add(
            "Fargate tasks",
            None,
            None if tasks is None else tasks * HOURS_PER_MONTH,
            unit="task-hours",
            note=count_note,
            missing_note="depends on the task definition, which was not found in this module",
        )
        return
    arch_text, arch_note = ctx.text(body, "_task_cpu_architecture")
    arch = "arm64" if arch_text == "arm64" else "x86_64"
    if arch_note:
        arch, count_note = "", _join(count_note, arch_note)
    vcpu, cpu_note = _task_size(ctx, "_task_cpu", "cpu")
    gb, mem_note = _task_size(ctx, "_task_memory", "memory")
    hours = None if tasks is None else tasks * HOURS_PER_MONTH
    spot = (
        "capacity provider FARGATE_SPOT: spot prices are not in the catalog"
        if strategy == "fargate_spot"
        else ""
    )
    unknown_arch = "cpu_architecture is unknown" if not arch else ""
    for label, amount, note, dimension in (
        ("Fargate vCPU", vcpu, cpu_note, "vcpu"),
        ("Fargate memory", gb, mem_note, "memory"),
    ):
        qty = None if amount is None or hours is None else amount * hours
        key = None if spot or unknown_arch else f"fargate.{arch}.{dimension}"
        ctx.add(
            f"{label} ({arch or '?'})",
            key,
            qty,
            unit="vCPU-hours" if dimension == "vcpu" else "GB-hours",
            note=_join(count_note, note if qty is None else ""),
            missing_note=spot or unknown_arch or note,
        )
    ephemeral = ctx.number(
        body, "_task_ephemeral_storage_gib", minimum=0, maximum=200, what="ephemeral_storage"
    )
    if ephemeral.value is not None and ephemeral.value > FARGATE_FREE_EPHEMERAL_GB:
        extra = ephemeral.value - FARGATE_FREE_EPHEMERAL_GB
        ctx.add(
            "Fargate ephemeral storage (above 20 GB)",
            None if spot else "fargate.ephemeral_storage",
            None if hours is None else extra * hours,
            unit="GB-hours",
            missing_note=spot,
        )


# -- MemoryDB ----------------------------------------------------------------------------------------


MEMORYDB_ENGINES = ("redis", "valkey")


def _aws_memorydb_cluster(ctx: _Ctx) -> None:
    """node type × shards × (1 + replicas per shard), at the engine's node price (Valkey nodes cost
    30 % less than Redis OSS ones); a node type the catalog does not price is unknown, never $0."""
    body = ctx.resource.body
    shards = _node_count(ctx, body, "num_shards", 1.0, "num_shards")
    replicas = _node_count(ctx, body, "num_replicas_per_shard", 1.0, "num_replicas_per_shard")
    nodes = None if shards.value is None or replicas.value is None else shards.value * (1 + replicas.value)
    note = _join(shards.note, replicas.note)
    engine, engine_note = ctx.text(body, "engine")
    if engine is None and not engine_note:
        engine, note = "redis", _join(note, "engine not set: redis (the provider's default) assumed")
    name, why = _type_name(ctx, ctx.raw(body, "node_type"), "node_type")
    if engine not in MEMORYDB_ENGINES:
        name, why = None, engine_note or f"engine '{engine}' is not in the catalog (redis, valkey)"
    node = name.lower() if name else None
    _node_line(ctx, f"Nodes ({engine or '?'})", f"memorydb.{engine}.", node, why, nodes, note)
    ctx.note("data written and snapshot storage are billed by usage and not priced")


# -- Elastic Beanstalk ---------------------------------------------------------------------------------

# `setting` blocks an environment's cost depends on: (namespace, option name), lower-cased.
_EB_INSTANCE_TYPES = ("aws:ec2:instances", "instancetypes")
_EB_INSTANCE_TYPE = ("aws:autoscaling:launchconfiguration", "instancetype")
_EB_MIN_SIZE = ("aws:autoscaling:asg", "minsize")
_EB_ENVIRONMENT_TYPE = ("aws:elasticbeanstalk:environment", "environmenttype")
_EB_LOAD_BALANCER = ("aws:elasticbeanstalk:environment", "loadbalancertype")
_EB_ROOT_VOLUME = {"volume_type": "rootvolumetype", "volume_size": "rootvolumesize", "iops": "rootvolumeiops"}
_EB_DATABASE = {
    "instance_class": "dbinstanceclass",
    "engine": "dbengine",
    "multi_az": "multiazdatabase",
    "allocated_storage": "dballocatedstorage",
}
EB_DEFAULT_DB_ENGINE = "mysql"  # the aws:rds:dbinstance namespace's default DBEngine
RDS_MIN_GP2_GB = 20.0  # the smallest gp2 volume RDS for MySQL and PostgreSQL creates


def _eb_settings(ctx: _Ctx) -> dict[tuple[str, str], Value]:
    """The environment's `setting` blocks by (namespace, name), lower-cased; the last one wins."""
    out: dict[tuple[str, str], Value] = {}
    for block in ctx.resource.body.nested("setting"):
        namespace, _ = ctx.text(block, "namespace")
        name, _ = ctx.text(block, "name")
        value = block.get("value")
        if namespace and name and value is not None:
            out[(namespace, name)] = value
    return out


# `estimators.estimate`, handed in by `estimators.py` (which imports this module, not the other way)
Estimate = Callable[[Resource, Catalog, Usage | None], ResourceCost | None]


def _eb_part(
    ctx: _Ctx,
    price: Estimate,
    prefix: str,
    rtype: str,
    attrs: dict[str, Value],
    blocks: list[Block],
    count: float | None,
) -> None:
    """Price what the environment launches as the resource Advisor prices it as (an instance, a load
    balancer, a database), and add its lines here, `count` of them."""
    body = Block("resource", ctx.resource.body.span, attributes=attrs, blocks=blocks)
    part = Resource(rtype, f"{ctx.resource.address}/{rtype}", body, ctx.resource.path, region=ctx.region)
    found = price(part, ctx.catalog, _eb_part_usage(ctx.usage, rtype))
    if found is None:
        return
    for component in found.components:
        component.name = f"{prefix}{component.name}"
        if component.quantity is not None and count != 1.0:
            if count is None:
                component.quantity, component.unknown_quantity = None, True
            else:
                component.quantity *= count
        ctx.cost.components.append(component)
    for note in found.notes:
        ctx.note(f"{prefix}{note}")


# the usage-file part names (`advisor.usage_file.EB_PARTS`) whose figures each launched type reads
_EB_USAGE_PARTS = {
    "aws_instance": ("ec2",),
    "aws_elb": ("elb", "lb"),
    "aws_lb": ("lb", "elb"),
    "aws_db_instance": ("db",),
    "aws_cloudwatch_log_group": ("cloudwatch",),
}


def _eb_part_usage(usage: Usage, rtype: str) -> Usage:
    """A launched part's usage: the figures under its part name (`elb.monthly_data_processed_gb`); the
    instances also read the environment's own undotted figures."""
    own: dict[str, Any] = {}
    if rtype == "aws_instance":
        own = {k: v for k, v in usage.items() if "." not in k}
    for name in reversed(_EB_USAGE_PARTS.get(rtype, ())):
        own.update({k.split(".", 1)[1]: v for k, v in usage.items() if k.startswith(f"{name}.")})
    return own


def elastic_beanstalk_environment(ctx: _Ctx, price: Estimate) -> None:
    """An environment is billed for what it launches: its instances (MinSize of them, each with its
    root volume), its load balancer unless it is a single-instance environment, and the database its
    `aws:rds:dbinstance` settings create. Elastic Beanstalk itself costs nothing."""
    settings = _eb_settings(ctx)

    def literal(key: tuple[str, str]) -> Value | None:
        value = settings.get(key)
        if value is None or not value.known or value.value is None:
            return value
        return Value(str(value.value).strip(), value.kind)

    single = (literal(_EB_ENVIRONMENT_TYPE) or Value("", "literal")).value
    single = isinstance(single, str) and single.lower() == "singleinstance"
    types = literal(_EB_INSTANCE_TYPES)
    if types is not None and types.known:
        types = Value(str(types.value).split(",")[0].strip(), types.kind)
    itype = types or literal(_EB_INSTANCE_TYPE)
    size = _Number(1.0, given=False)
    if not single and (raw := settings.get(_EB_MIN_SIZE)) is not None:
        holder = Block("setting", ctx.resource.body.span, attributes={"value": raw})
        size = ctx.number(holder, "value", default=1.0, maximum=MAX_COUNT, what="aws:autoscaling:asg MinSize")
    count = size.value
    if size.note:
        ctx.note(size.note)
    elif not size.given and not single:
        ctx.note("aws:autoscaling:asg MinSize not set: 1 instance, the default")
    root = {
        attr: v
        for attr, name in _EB_ROOT_VOLUME.items()
        if (v := literal(("aws:autoscaling:launchconfiguration", name)))
    }
    instance: dict[str, Value] = {"instance_type": itype} if itype is not None else {}
    blocks = [Block("root_block_device", ctx.resource.body.span, attributes=root)]
    if itype is None:
        ctx.note("no instance type setting (aws:ec2:instances InstanceTypes): the instances are unknown")
        instance["instance_type"] = Value(None, "unknown", reason="no instance type setting")
    _eb_part(ctx, price, "Instances: ", "aws_instance", instance, blocks, count)
    if not single:
        kind = literal(_EB_LOAD_BALANCER)
        name = str(kind.value).lower() if kind is not None and kind.known else "classic"
        if kind is None:
            ctx.note("LoadBalancerType not set: classic, the namespace's default")
        if name == "classic":
            _eb_part(ctx, price, "Load balancer: ", "aws_elb", {}, [], 1.0)
        else:
            lb = {"load_balancer_type": kind} if kind is not None else {}
            _eb_part(ctx, price, "Load balancer: ", "aws_lb", lb, [], 1.0)
    database = {
        attr: v for attr, name in _EB_DATABASE.items() if (v := literal(("aws:rds:dbinstance", name)))
    }
    if database:
        database.setdefault("engine", Value(EB_DEFAULT_DB_ENGINE, "literal"))
        if "multi_az" in database and database["multi_az"].known:
            database["multi_az"] = Value(str(database["multi_az"].value).lower() == "true", "literal")
        if "allocated_storage" not in database:
            database["allocated_storage"] = Value(RDS_MIN_GP2_GB, "literal")
            ctx.note(f"DBAllocatedStorage not set: {_fmt(RDS_MIN_GP2_GB)} GB, the least RDS creates")
        _eb_part(ctx, price, "Database: ", "aws_db_instance", database, [], 1.0)
    if any(k.startswith("cloudwatch.") for k in ctx.usage):
        _eb_part(ctx, price, "Logs: ", "aws_cloudwatch_log_group", {}, [], 1.0)


# -- fixed monthly charges ---------------------------------------------------------------------------


def _monthly(name: str, key: str, unit: str, quantity: float = 1.0, note: str = "") -> Callable[[_Ctx], None]:
    def estimator(ctx: _Ctx) -> None:
        ctx.add(name, key, quantity, unit=unit, note=note)

    estimator.__name__ = f"_{key.replace('.', '_')}"
    return estimator


def _aws_cloudwatch_metric_alarm(ctx: _Ctx) -> None:
    """Alarms bill per metric they evaluate: high resolution (period under 60 s) costs three times as
    much; an anomaly detection alarm evaluates three metrics."""
    body = ctx.resource.body
    queries = body.nested("metric_query")
    metrics = float(sum(1 for q in queries if q.nested("metric"))) if queries else 1.0
    anomaly = not isinstance(ctx.raw(body, "threshold_metric_id"), _Missing)
    if anomaly:
        metrics = 3.0 * max(metrics, 1.0)
    periods = [ctx.number(body, "period")] + [
        ctx.number(ctx.first_block("metric", q), "period") for q in queries
    ]
    known = [p.value for p in periods if p.value is not None]
    high = any(p < 60 for p in known)
    kind = "high_resolution" if high else "standard"
    title = "High resolution" if high else "Standard resolution"
    ctx.add(
        f"Alarm metrics ({title.lower()}{', anomaly detection' if anomaly else ''})",
        f"cloudwatch.alarm.{kind}",
        metrics,
        unit="alarm metrics",
    )


def _transit_gateway_attachment(ctx: _Ctx) -> None:
    ctx.add("Transit gateway attachment", "tgw.attachment.hour", HOURS_PER_MONTH, unit="hours")
    data = ctx.usage_number("monthly_data_processed_gb")
    ctx.add("Data processed", "tgw.data", data.value, note=data.note)


def _aws_vpn_connection(ctx: _Ctx) -> None:
    """A connection hour; one ending on a transit gateway is also a transit gateway attachment."""
    ctx.add("VPN connection", "vpn.connection.hour", HOURS_PER_MONTH, unit="hours")
    if not isinstance(ctx.raw(ctx.resource.body, "transit_gateway_id"), _Missing):
        _transit_gateway_attachment(ctx)


def _aws_networkfirewall_firewall(ctx: _Ctx) -> None:
    mappings = ctx.resource.body.nested("subnet_mapping")
    endpoints = float(len(mappings)) if mappings else None
    note = "" if mappings else "subnet_mapping is not resolvable: one endpoint per mapped subnet"
    ctx.add(
        "Firewall endpoints",
        "networkfirewall.endpoint.hour",
        None if endpoints is None else endpoints * HOURS_PER_MONTH,
        unit="hours",
        note=note,
    )
    data = ctx.usage_number("monthly_data_processed_gb")
    ctx.add("Data processed", "networkfirewall.data", data.value, note=data.note)


def _list_length(ctx: _Ctx, block: Block | None, attr: str) -> tuple[float | None, str]:
    """How many elements a list attribute has (subnets, protocols), or None with a note."""
    raw = ctx.raw(block, attr)
    if isinstance(raw, _Missing):
        return None, ""
    if raw.known and isinstance(raw.value, list | tuple):
        return float(len(raw.value)), ""
    if isinstance(raw.elements, list):  # a written list whose elements are known only after apply
        return float(len(raw.elements)), ""
    return None, f"{attr} is unknown ({raw.reason or 'not a list'})"


def _aws_vpc_endpoint(ctx: _Ctx) -> None:
    """Interface and Gateway Load Balancer endpoints bill an hour per subnet (network interface);
    gateway endpoints (S3, DynamoDB) are free."""
    body = ctx.resource.body
    kind, kind_note = ctx.text(body, "vpc_endpoint_type")
    if kind is None and not kind_note:
        kind = "gateway"
    if kind == "gateway":
        ctx.note("gateway endpoints have no charge")
        return
    subnets, note = _list_length(ctx, body, "subnet_ids")
    if subnets is None and not note:
        configs = body.nested("subnet_configuration")
        subnets, note = (
            (float(len(configs)), "")
            if configs
            else (1.0, "subnet_ids not set: one network interface assumed")
        )
    hours = None if subnets is None else subnets * HOURS_PER_MONTH
    data = ctx.usage_number("monthly_data_processed_gb")
    if kind == "gatewayloadbalancer":
        ctx.add(
            "Endpoint (Gateway Load Balancer)",
            "privatelink.gwlb_endpoint.hour",
            hours,
            unit="hours",
            note=note,
        )
        ctx.add("Data processed", "privatelink.gwlb_endpoint.data", data.value, note=data.note)
        return
    if kind != "interface":
        why = kind_note or f"endpoint type '{kind}' is not in the catalog"
        ctx.add("Endpoint", None, hours, unit="hours", note=note, missing_note=why)
        return
    ctx.add("Endpoint (Interface, per subnet)", "vpc.endpoint.interface.hour", hours, unit="hours", note=note)
    ctx.add_tiered(
        "Data processed",
        "vpc.endpoint.interface.data",
        data.value,
        _volume_label(1e-6, lambda pb: f"{pb:g}PB"),
        note=data.note,
    )


def _aws_route53_resolver_endpoint(ctx: _Ctx) -> None:
    """An hour per IP address (elastic network interface) of the endpoint; queries by usage."""
    addresses = ctx.resource.body.nested("ip_address")
    hours = float(len(addresses)) * HOURS_PER_MONTH if addresses else None
    note = "" if addresses else "ip_address blocks are not resolvable"
    ctx.add("Resolver endpoint interfaces", "route53.resolver.endpoint.hour", hours, unit="hours", note=note)
    queries = ctx.usage_number("monthly_queries")
    ctx.add(
        "DNS queries",
        "route53.resolver.queries",
        None if queries.value is None else queries.value / 1e6,
        note=queries.note,
    )


_DIRECTORY_KINDS = {"simplead": "size", "adconnector": "size", "microsoftad": "edition"}
_DIRECTORY_DEFAULTS = {"edition": "enterprise"}
# CloudFormation has one resource type per directory type, where Terraform has a `type` attribute
_CFN_DIRECTORY_KINDS = {
    "AWS::DirectoryService::MicrosoftAD": "microsoftad",
    "AWS::DirectoryService::SimpleAD": "simplead",
}  # the provider's default; `size` has none we rely on


def _aws_directory_service_directory(ctx: _Ctx) -> None:
    """Two domain controllers, billed by the hour at the directory type's and size's (or edition's) rate."""
    body = ctx.resource.body
    kind, kind_note = ctx.text(body, "type")
    notes: list[str] = []
    if kind is None and not kind_note:
        kind = _CFN_DIRECTORY_KINDS.get(ctx.resource.source_type)
        if kind is None:
            kind = "simplead"
            notes.append("type not set: SimpleAD (the provider's default)")
    attr = _DIRECTORY_KINDS.get(kind or "")
    variant, variant_note = ctx.text(body, attr) if attr else (None, "")
    if attr and variant is None and not variant_note:
        variant = _DIRECTORY_DEFAULTS.get(attr)
        if variant is None:
            variant_note = f"{attr} is not set"
        else:
            notes.append(f"{attr} not set: {variant.title()} (the provider's default)")
    label = f"Domain controllers ({kind or '?'}, {variant or '?'})"
    hours = 2 * HOURS_PER_MONTH
    if attr is None or variant is None:
        why = kind_note or variant_note or f"directory type '{kind}' is not in the catalog"
        ctx.add(label, None, hours, unit="hours", note=_join(*notes), missing_note=why)
        return
    key = f"directory.{kind}.{variant}.hour"
    ctx.add(label, key, hours, unit="hours", note=_join("two per directory", *notes))
    more = ctx.usage_number("additional_domain_controllers")
    if more.given:
        ctx.add(
            "Additional domain controllers",
            key,
            None if more.value is None else more.value * HOURS_PER_MONTH,
            unit="hours",
            note=more.note,
        )
    shared = ctx.usage_number("shared_accounts")
    if shared.given:
        if kind == "microsoftad":
            hours_shared = None if shared.value is None else shared.value * HOURS_PER_MONTH
            ctx.add(
                "Directory sharing", "directory.sharing.hour", hours_shared, unit="hours", note=shared.note
            )
        else:
            ctx.note("shared_accounts not applied: only AWS Managed Microsoft AD directories can be shared")


def _aws_transfer_server(ctx: _Ctx) -> None:
    """An hour per enabled protocol (SFTP when none is named); data up and down by usage."""
    protocols, note = _list_length(ctx, ctx.resource.body, "protocols")
    if protocols is None and not note:
        protocols, note = 1.0, "protocols not set: SFTP (the default)"
    ctx.add(
        "Enabled protocols",
        "transfer.protocol.hour",
        None if protocols is None else protocols * HOURS_PER_MONTH,
        unit="hours",
        note=note,
    )
    moved = ctx.usage_number("monthly_data_transferred_gb")
    ctx.add("Data uploaded and downloaded", "transfer.data", moved.value, note=moved.note)


_MQ_BROKERS = {"single_instance": 1.0, "active_standby_multi_az": 2.0, "cluster_multi_az": 3.0}


def _aws_mq_broker(ctx: _Ctx) -> None:
    """Broker instances (one, an active/standby pair, or a three-node cluster) and storage by usage:
    ActiveMQ on EFS by default, RabbitMQ always on EBS."""
    body = ctx.resource.body
    engine, _ = ctx.text(body, "engine_type")
    mode, mode_note = ctx.text(body, "deployment_mode")
    if mode is None and not mode_note:
        mode = "single_instance"
    brokers = _MQ_BROKERS.get(mode or "")
    note = mode_note or ("" if brokers else f"unknown deployment_mode '{mode}'")
    name, why = _type_name(ctx, ctx.raw(body, "host_instance_type"), "host_instance_type")
    _node_line(ctx, "Broker instances", "mq.", name.lower() if name else None, why, brokers, note)
    storage, _ = ctx.text(body, "storage_type")
    kind = "ebs" if engine == "rabbitmq" else (storage or "efs")
    stored = ctx.usage_number("storage_gb")
    ctx.add(f"Storage ({kind.upper()})", f"mq.storage.{kind}", stored.value, note=stored.note)


# -- FSx file systems --------------------------------------------------------------------------------


def _fsx_size(ctx: _Ctx, attr: str, what: str, maximum: float) -> _Number:
    value = ctx.number(ctx.resource.body, attr, minimum=0, maximum=maximum, what=what)
    if value.value is None and not value.note:
        value.note = f"{what} is not set"
    return value


def _fsx_backup(ctx: _Ctx, key: str) -> None:
    backup = ctx.usage_number("backup_storage_gb")
    ctx.add("Backup storage", key, backup.value, note=backup.note)


def _aws_fsx_windows_file_system(ctx: _Ctx) -> None:
    """Storage (SSD or HDD) and throughput capacity, both provisioned, at Single-AZ or Multi-AZ rates;
    SSD IOPS above the 3 per GB included; backups by usage."""
    body = ctx.resource.body
    deployment, dep_note = ctx.text(body, "deployment_type")
    if deployment is None and not dep_note:
        deployment = "single_az_1"
    az = "multi_az" if deployment == "multi_az_1" else ("single_az" if deployment else None)
    storage_type, type_note = ctx.text(body, "storage_type")
    if storage_type is None and not type_note:
        storage_type = "ssd"
    gb = _fsx_size(ctx, "storage_capacity", "storage_capacity", 65536)
    mbps = _fsx_size(ctx, "throughput_capacity", "throughput_capacity", 12288)
    label = {"multi_az": "Multi-AZ", "single_az": "Single-AZ"}.get(az or "", "?")
    if az is None or storage_type not in ("ssd", "hdd"):
        why = dep_note or type_note or f"unknown storage_type '{storage_type}'"
        ctx.add("Storage", None, gb.value, unit="GB", missing_note=why)
        ctx.add("Throughput capacity", None, mbps.value, unit="MBps", missing_note=why)
        return
    ctx.add(
        f"{storage_type.upper()} storage ({label})",
        f"fsx.windows.{az}.{storage_type}.storage",
        gb.value,
        unit="GB",
        note=gb.note,
    )
    ctx.add(
        f"Throughput capacity ({label})",
        f"fsx.windows.{az}.throughput",
        mbps.value,
        unit="MBps",
        note=mbps.note,
    )
    above = fsx_iops_above_included(ctx, gb) if storage_type == "ssd" else None
    if above is not None:
        ctx.add(
            "SSD IOPS (above 3 per GB)",
            None,
            above[0],
            unit="IOPS",
            note=above[1],
            missing_note="FSx for Windows provisioned SSD IOPS are not in the catalog",
        )
    _fsx_backup(ctx, "fsx.windows.backup")


def _aws_fsx_openzfs_file_system(ctx: _Ctx) -> None:
    """SSD storage, throughput capacity, and SSD IOPS above the 3 per GB included, at the rates of the
    deployment type; backups by usage. Compression does not lower the bill: provisioned storage is
    billed, whatever it holds."""
    body = ctx.resource.body
    deployment, dep_note = ctx.text(body, "deployment_type")
    if deployment is None and not dep_note:
        dep_note = "deployment_type is not set"
    gb = _fsx_size(ctx, "storage_capacity", "storage_capacity", 524288)
    mbps = _fsx_size(ctx, "throughput_capacity", "throughput_capacity", 10240)
    dep = deployment or "?"
    missing = dep_note or f"no price for FSx for OpenZFS {dep} in {ctx.region}"
    ctx.add(
        f"SSD storage ({dep})",
        f"fsx.openzfs.{dep}.storage" if deployment else None,
        gb.value,
        unit="GB",
        note=gb.note,
        missing_note=missing,
    )
    ctx.add(
        f"Throughput capacity ({dep})",
        f"fsx.openzfs.{dep}.throughput" if deployment else None,
        mbps.value,
        unit="MBps",
        note=mbps.note,
        missing_note=missing,
    )
    above = fsx_iops_above_included(ctx, gb)
    if above is not None:
        ctx.add(
            "SSD IOPS (above 3 per GB)",
            f"fsx.openzfs.{dep}.iops" if deployment else None,
            above[0],
            unit="IOPS",
            note=above[1],
            missing_note=missing,
        )
    _fsx_backup(ctx, "fsx.openzfs.backup")


def _aws_fsx_lustre_file_system(ctx: _Ctx) -> None:
    """Storage billed per GB at the rate of the deployment type and, for persistent file systems, the
    throughput per TiB chosen; backups by usage."""
    body = ctx.resource.body
    deployment, dep_note = ctx.text(body, "deployment_type")
    if deployment is None and not dep_note:
        deployment = "scratch_1"
    storage_type, _ = ctx.text(body, "storage_type")
    gb = _fsx_size(ctx, "storage_capacity", "storage_capacity", 2097152)
    key: str | None = None
    why = dep_note
    label = deployment or "?"
    if deployment in ("scratch_1", "scratch_2"):
        key = "fsx.lustre.scratch.storage"
    elif deployment in ("persistent_1", "persistent_2"):
        per_tib = ctx.number(
            body, "per_unit_storage_throughput", minimum=0, what="per_unit_storage_throughput"
        )
        if per_tib.value is None:
            why = per_tib.note or "per_unit_storage_throughput is not set"
        else:
            kind = "hdd" if storage_type == "hdd" else "ssd"
            label = f"{deployment}, {kind.upper()}, {_fmt(per_tib.value)} MB/s/TiB"
            key = f"fsx.lustre.{deployment}.{kind}.{_fmt(per_tib.value)}"
            why = f"no price for {key} in {ctx.region}"
    elif deployment:
        why = f"unknown deployment_type '{deployment}'"
    ctx.add(f"Storage ({label})", key, gb.value, unit="GB", note=gb.note, missing_note=why)
    if storage_type == "hdd" and ctx.text(body, "drive_cache_type")[0] == "read":
        ctx.add(
            "SSD read cache",
            None,
            None,
            unit="GB",
            missing_note="the HDD read cache is not in the catalog",
            usage=False,
        )
    if deployment in ("persistent_1", "persistent_2"):
        _fsx_backup(ctx, "fsx.lustre.backup")


# -- API Gateway, dedicated hosts, MWAA, Private CA ------------------------------------------------

_API_CACHE_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")


def _aws_api_gateway_stage(ctx: _Ctx) -> None:
    """A stage is free; its cache, when enabled, bills every hour at the rate of its size."""
    body = ctx.resource.body
    if not ctx.flag(body, "cache_cluster_enabled"):
        raw = ctx.raw(body, "cache_cluster_enabled")
        if not isinstance(raw, _Missing) and not raw.known:
            ctx.add(
                "Cache memory",
                None,
                HOURS_PER_MONTH,
                unit="hours",
                missing_note=f"cache_cluster_enabled is unknown ({raw.reason or 'not resolvable'})",
            )
            return
        ctx.note("no cache: requests are billed on the API (depends on usage)")
        return
    size = ctx.number(body, "cache_cluster_size", default=0.5, minimum=0, what="cache_cluster_size")
    name = _fmt(size.value) if size.value is not None else None
    note = "" if size.given else "cache_cluster_size not set: 0.5 GB (the default)"
    if name is None or name not in _API_CACHE_SIZES:
        why = size.note or f"cache_cluster_size {name} GB is not a cache size"
        ctx.add("Cache memory", None, HOURS_PER_MONTH, unit="hours", missing_note=why)
        return
    ctx.add(f"Cache memory ({name} GB)", f"apigateway.cache.{name}", HOURS_PER_MONTH, unit="hours", note=note)


def _aws_ec2_host(ctx: _Ctx) -> None:
    """A dedicated host bills every hour at its instance family's rate, whatever runs on it."""
    body = ctx.resource.body
    family, note = ctx.text(body, "instance_family")
    if family is None and not note:
        itype, note = ctx.text(body, "instance_type")
        family = itype.split(".")[0] if itype else None
        if family is None and not note:
            note = "neither instance_type nor instance_family is set"
    label = f"Dedicated host ({family or '?'})"
    key = f"dedicated_host.{family}" if family else None
    ctx.add(label, key, HOURS_PER_MONTH, unit="hours", missing_note=note)


_MWAA_INCLUDED_SCHEDULERS = 2.0  # the environment price includes two schedulers and one worker


def _aws_mwaa_environment(ctx: _Ctx) -> None:
    """The environment by the hour at its class's rate (two schedulers and one worker included), workers
    kept above one by `min_workers`, schedulers above two, and the metadata database by usage."""
    body = ctx.resource.body
    cls, cls_note = ctx.text(body, "environment_class")
    if cls is None and not cls_note:
        cls, cls_note = "mw1.small", ""
        ctx.note("environment_class not set: mw1.small (the default)")
    missing = cls_note or f"no price for MWAA {cls} in {ctx.region}"
    ctx.add(
        f"Environment ({cls or '?'})",
        f"mwaa.{cls}.environment" if cls else None,
        HOURS_PER_MONTH,
        unit="hours",
        missing_note=missing,
    )
    workers = ctx.number(body, "min_workers", default=1.0, minimum=1, maximum=MAX_COUNT, what="min_workers")
    if workers.value is None or workers.value > 1:
        extra = None if workers.value is None else (workers.value - 1) * HOURS_PER_MONTH
        ctx.add(
            "Workers (above the one included)",
            f"mwaa.{cls}.worker" if cls else None,
            extra,
            unit="hours",
            note=workers.note,
            missing_note=missing,
        )
    ctx.note("workers added by auto scaling above min_workers are billed by usage")
    schedulers = ctx.number(body, "schedulers", default=2.0, minimum=1, maximum=MAX_COUNT, what="schedulers")
    if schedulers.value is None or schedulers.value > _MWAA_INCLUDED_SCHEDULERS:
        extra = (
            None
            if schedulers.value is None
            else (schedulers.value - _MWAA_INCLUDED_SCHEDULERS) * HOURS_PER_MONTH
        )
        ctx.add(
            "Schedulers (above the two included)",
            f"mwaa.{cls}.scheduler" if cls else None,
            extra,
            unit="hours",
            note=schedulers.note,
            missing_note=missing,
        )
    _mwaa_added(ctx, cls, "additional_workers", "Workers added by auto scaling (average)", "worker", missing)
    _mwaa_added(
        ctx, cls, "additional_schedulers", "Schedulers (usage, above the two included)", "scheduler", missing
    )
    stored = ctx.usage_number("meta_database_gb")
    ctx.add("Meta database storage", "mwaa.metadb.storage", stored.value, note=stored.note)


def _mwaa_added(ctx: _Ctx, cls: str | None, usage_key: str, name: str, part: str, missing: str) -> None:
    """Workers or schedulers a usage figure adds (the average number running beyond those the
    configuration already bills), each by the hour at the class's rate; shown only when given."""
    added = ctx.usage_number(usage_key)
    if not added.given:
        return
    ctx.add(
        name,
        f"mwaa.{cls}.{part}" if cls else None,
        None if added.value is None else added.value * HOURS_PER_MONTH,
        unit="hours",
        note=added.note,
        missing_note=missing,
    )


def _aws_acmpca_certificate_authority(ctx: _Ctx) -> None:
    """A private CA bills per month (general purpose, or short-lived certificate mode); certificates
    issued by usage (general purpose: tiered by the month's volume, first 1,000, next 9,000, over 10,000)."""
    mode, note = ctx.text(ctx.resource.body, "usage_mode")
    short = mode == "short_lived_certificate"
    if mode not in (None, "general_purpose", "short_lived_certificate") or note:
        ctx.add(
            "Private certificate authority",
            None,
            1.0,
            unit="months",
            missing_note=note or f"unknown usage_mode '{mode}'",
        )
        return
    kind = "short_lived" if short else "general_purpose"
    title = "short-lived certificate mode" if short else "general purpose"
    ctx.add(f"Private certificate authority ({title})", f"acmpca.{kind}", 1.0, unit="months")
    issued = ctx.usage_number("monthly_requests")
    if short:
        ctx.add("Certificates issued", "acmpca.certificate.short_lived", issued.value, note=issued.note)
        return
    ctx.add_tiered(
        "Certificates issued", "acmpca.certificate", issued.value, _certificate_tier, note=issued.note
    )


def _certificate_tier(begin: float, end: float | None) -> str:
    if begin == 0 and end is not None:
        return f"first {end:,.0f}"
    if end is None:
        return f"over {begin:,.0f}"
    return f"next {end - begin:,.0f}"


# -- networking: Direct Connect, Client VPN, Global Accelerator, traffic mirroring, WAF, health checks -

_DX_PORTS = {"1gbps": "1g", "10gbps": "10g", "100gbps": "100g", "400gbps": "400g"}


def _aws_dx_connection(ctx: _Ctx) -> None:
    """A dedicated connection's port hours at its bandwidth's rate; data out by usage."""
    bandwidth, note = ctx.text(ctx.resource.body, "bandwidth")
    port = _DX_PORTS.get((bandwidth or "").replace(" ", ""))
    why = note or (
        "bandwidth is not set"
        if bandwidth is None
        else f"{bandwidth} is a hosted-connection speed: its price is set by the partner"
        if port is None
        else f"no price for a {bandwidth} port in {ctx.region}"
    )
    ctx.add(
        f"Port hours ({bandwidth or '?'})",
        f"directconnect.port.{port}" if port else None,
        HOURS_PER_MONTH,
        unit="hours",
        missing_note=why,
    )
    _dx_data_out(ctx)


# Direct Connect locations (the `location` codes) -> the area whose outbound rates apply to them
DX_LOCATION_AREAS = {"eqdc2": "north_america"}  # Equinix DC2, Ashburn
DX_OUT_PREFIX = "monthly_outbound_from_region_to_dx_connection_location"


def _dx_data_out(ctx: _Ctx) -> None:
    """Data out from each AWS Region to the connection's location (usage, GB per source Region; a bare
    figure is from the resource's Region), at the rate of that Region and the location's area. Pairs
    without a published rate in the catalog are priced unknown."""
    location, location_note = ctx.text(ctx.resource.body, "location")
    area = DX_LOCATION_AREAS.get(location or "")
    why = location_note or (
        "location is not set" if location is None else f"no data transfer rates for location {location}"
    )
    by_region = {
        name[len(DX_OUT_PREFIX) + 1 :].replace("_", "-"): name
        for name in sorted(ctx.usage)
        if name.startswith(DX_OUT_PREFIX + "_")
    }
    if not by_region:
        by_region = {ctx.region: DX_OUT_PREFIX}
    for source, usage_key in by_region.items():
        out = ctx.usage_number(usage_key)
        ctx.add(
            f"Data transfer out (from {source}, to {location or '?'})",
            f"directconnect.out.{source}.{area}" if area else None,
            out.value,
            unit="GB",
            note=out.note,
            missing_note="" if area else why,
            region=DX_PRICE_REGION,
        )


DX_PRICE_REGION = "us-east-1"  # the keys name the source Region; the rows are kept under us-east-1


def _aws_dx_gateway_association(ctx: _Ctx) -> None:
    """Associating a transit gateway is a transit gateway attachment; a virtual private gateway costs
    nothing."""
    raw = ctx.raw(ctx.resource.body, "associated_gateway_id")
    said = "" if isinstance(raw, _Missing) else f"{raw.value if raw.known else ''} {raw.reason}".lower()
    if "tgw-" in said or "aws_ec2_transit_gateway" in said:
        _transit_gateway_attachment(ctx)
    elif "vgw-" in said or "aws_vpn_gateway" in said:
        ctx.note("a virtual private gateway association has no charge")
    else:
        ctx.add(
            "Transit gateway attachment",
            None,
            HOURS_PER_MONTH,
            unit="hours",
            missing_note="associated_gateway_id is unknown: a transit gateway bills an attachment, "
            "a virtual private gateway nothing",
        )


def _aws_ec2_client_vpn_endpoint(ctx: _Ctx) -> None:
    connections = ctx.usage_number("monthly_connection_hours")
    ctx.add("Client connections", "clientvpn.connection.hour", connections.value, note=connections.note)


def _aws_globalaccelerator_accelerator(ctx: _Ctx) -> None:
    ctx.add("Fixed fee", "globalaccelerator.hour", HOURS_PER_MONTH, unit="hours")
    ctx.note("data transfer premium is billed by usage")


# The edge-location groups a Global Accelerator endpoint group's traffic is counted by (the names of
# infracost's usage file, `advisor.usage_file.GA_EDGE_GROUPS`), with the areas each covers.
GA_EDGE_GROUPS: tuple[tuple[str, str], ...] = (
    ("us", "US, Mexico, Canada"),
    ("europe", "Europe"),
    ("south_africa", "South Africa, Kenya"),
    ("south_america", "South America"),
    ("south_korea", "South Korea"),
    ("middle_east", "Middle East"),
    ("australia", "Australia, New Zealand"),
    ("asia_pacific", "Asia Pacific"),
    ("india", "India, Indonesia, Philippines, Thailand"),
)
GA_PRICE_REGION = "us-east-1"  # the premium depends on the region pair, not on where it is looked up


def _ga_region_group(region: str) -> str | None:
    """The AWS Region group whose premium rates apply to an endpoint region; None for one with no rates."""
    if region.startswith(("us-", "ca-", "mx-")):
        return "north_america"
    if region.startswith("eu-"):
        return "europe"
    return None


def _aws_globalaccelerator_endpoint_group(ctx: _Ctx) -> None:
    """The data transfer premium (DT-Premium): a rate per GB that depends on the endpoint's AWS Region and
    the edge location serving the user, billed on the dominant direction of the traffic only (inbound to
    the application or outbound to users). AWS weighs the directions hour by hour; a usage file gives the
    month, so the direction with more GB in the month is the one billed. Region pairs with no published
    rate in the catalog are priced unknown."""
    region, region_note = ctx.text(ctx.resource.body, "endpoint_group_region")
    region = region or (None if region_note else ctx.region)
    group = _ga_region_group(region) if region else None
    volumes = {
        direction: {
            edge: ctx.usage_number(f"monthly_{direction}_data_transfer_gb_{edge}")
            for edge, _ in GA_EDGE_GROUPS
        }
        for direction in ("inbound", "outbound")
    }
    totals = {d: sum(n.value or 0.0 for n in by_edge.values()) for d, by_edge in volumes.items()}
    given = [n for by_edge in volumes.values() for n in by_edge.values() if n.value is not None or n.note]
    why = region_note or (
        f"no data transfer premium rates for endpoints in {region}" if group is None else ""
    )
    if not given:
        ctx.add(
            "Data transfer premium (dominant direction)",
            None if group is None else f"globalaccelerator.premium.{group}.us",
            None,
            unit="GB",
            note=region_note,
            missing_note=why,
            region=GA_PRICE_REGION,
        )
        return
    direction, other = (
        ("inbound", "outbound") if totals["inbound"] > totals["outbound"] else ("outbound", "inbound")
    )
    ctx.note(
        f"the premium is billed on the dominant direction: {direction}"
        f" ({_fmt(totals[direction])} GB against {_fmt(totals[other])} GB {other})"
    )
    for edge, area in GA_EDGE_GROUPS:
        amount = volumes[direction][edge]
        if amount.value is None and not amount.note:
            continue
        ctx.add(
            f"Data transfer premium, {direction} ({area})",
            None if group is None else f"globalaccelerator.premium.{group}.{edge}",
            amount.value,
            unit="GB",
            note=amount.note,
            missing_note=why,
            region=GA_PRICE_REGION,
        )


def _web_acl(ctx: _Ctx, rule_blocks: str) -> None:
    """A web ACL per month, a rule (or rule group) per month each, requests by usage."""
    rules = float(len(ctx.resource.body.nested(rule_blocks)))
    ctx.add("Web ACL", "waf.web_acl", 1.0, unit="months")
    if rules:
        ctx.add("Rules and rule groups", "waf.rule", rules, unit="rules")
    requests = ctx.usage_number("monthly_requests")
    ctx.add(
        "Requests",
        "waf.requests",
        None if requests.value is None else requests.value / 1e6,
        note=requests.note,
    )


_HEALTH_CHECK_FEATURES = {"https": "HTTPS", "https_str_match": "HTTPS and string matching"}


def _aws_route53_health_check(ctx: _Ctx) -> None:
    """A health check per month, plus each optional feature (HTTPS, string matching, fast interval,
    latency measurement). AWS endpoints cost less than others; the endpoint kind is usage
    (`endpoint_type = "non_aws"`), AWS assumed."""
    body = ctx.resource.body
    kind = str(ctx.usage.get("endpoint_type", "")).strip().lower()
    where = "other" if kind == "non_aws" else "aws"
    note = "" if kind else 'endpoint in AWS assumed (usage endpoint_type = "non_aws" for others)'
    check_type, _ = ctx.text(body, "type")
    features: list[str] = []
    if check_type in ("https", "https_str_match"):
        features.append("HTTPS")
    if check_type in ("http_str_match", "https_str_match"):
        features.append("string matching")
    interval = ctx.number(body, "request_interval", default=30.0)
    if interval.value is not None and interval.value < 30:
        features.append("fast interval")
    if ctx.flag(body, "measure_latency"):
        features.append("latency measurement")
    label = "AWS endpoint" if where == "aws" else "non-AWS endpoint"
    if check_type in ("calculated", "cloudwatch_metric"):
        ctx.add(f"Health check ({check_type})", "route53.health_check.aws", 1.0, unit="months")
        return
    ctx.add(f"Health check ({label})", f"route53.health_check.{where}", 1.0, unit="months", note=note)
    if features:
        ctx.add(
            f"Optional features ({', '.join(features)})",
            f"route53.health_check.feature.{where}",
            float(len(features)),
            unit="features",
        )


# -- Kinesis ------------------------------------------------------------------------------------------


def _aws_kinesis_stream(ctx: _Ctx) -> None:
    """Provisioned streams bill shard-hours; on-demand streams a stream-hour plus data by usage."""
    body = ctx.resource.body
    mode, mode_note = ctx.text(ctx.first_block("stream_mode_details"), "stream_mode")
    if mode == "on_demand":
        ctx.add("Stream (on-demand)", "kinesis.on_demand.stream_hour", HOURS_PER_MONTH, unit="hours")
        ingested = ctx.usage_number("monthly_on_demand_data_ingested_gb")
        ctx.add("Data ingested", "kinesis.on_demand.ingested", ingested.value, note=ingested.note)
        return
    shards = ctx.number(body, "shard_count", minimum=0, maximum=MAX_COUNT, what="shard_count")
    note = _join(mode_note, shards.note or ("" if shards.given else "shard_count is not set"))
    ctx.add(
        "Shards (provisioned)",
        "kinesis.shard_hour",
        None if shards.value is None else shards.value * HOURS_PER_MONTH,
        unit="shard-hours",
        note=note,
    )
    puts = ctx.usage_number("monthly_put_units")
    ctx.add(
        "PUT payload units",
        "kinesis.put_units",
        None if puts.value is None else puts.value / 1e6,
        note=puts.note,
    )


_FIREHOSE_DESTINATIONS = (
    "extended_s3_configuration",
    "elasticsearch_configuration",
    "opensearch_configuration",
    "http_endpoint_configuration",
    "redshift_configuration",
    "splunk_configuration",
)


def _aws_kinesis_firehose_delivery_stream(ctx: _Ctx) -> None:
    """Data ingested bills per GB on a volume ladder (first 500 TB, next 1.5 PB, then the third rate:
    AWS prices above 5 PB by agreement, so the third rate is a bound there); format conversion and VPC
    delivery bill per GB (usage); a VPC destination also bills an hour per subnet (availability zone)
    it delivers from."""
    body = ctx.resource.body
    ingested = ctx.usage_number("monthly_data_ingested_gb")
    ctx.add_tiered(
        "Data ingested", "firehose.ingested", ingested.value, _volume_label(1.0, _gb_text), note=ingested.note
    )
    destinations = [b for name in _FIREHOSE_DESTINATIONS for b in body.nested(name)]
    converts = any(
        ctx.flag(c, "enabled") is not False
        for d in destinations
        for c in d.nested("data_format_conversion_configuration")
    )
    if converts:
        ctx.add("Format conversion", "firehose.format_conversion", ingested.value, note=ingested.note)
    vpcs = [v for d in destinations for v in d.nested("vpc_config")]
    if vpcs:
        subnets, note = _list_length(ctx, vpcs[0], "subnet_ids")
        if subnets is None and not note:
            note = "vpc_config.subnet_ids is not set"
        ctx.add(
            "VPC delivery (per availability zone)",
            "firehose.vpc.az_hour",
            None if subnets is None else subnets * HOURS_PER_MONTH,
            unit="hours",
            note=note,
        )
        ctx.add("VPC data delivered", "firehose.vpc.data", ingested.value, note=ingested.note)


def _aws_kinesisanalyticsv2_application(ctx: _Ctx) -> None:
    """A Flink application bills one orchestration KPU all month, the KPUs that process the stream
    (usage) and 50 GB of running storage per KPU."""
    runtime, _ = ctx.text(ctx.resource.body, "runtime_environment")
    if runtime and runtime.startswith("sql"):
        kpus = ctx.usage_number("kinesis_processing_units")
        ctx.add(
            "Processing (stream)",
            "flink.kpu.hour",
            None if kpus.value is None else kpus.value * HOURS_PER_MONTH,
            unit="KPU-hours",
            note=kpus.note,
        )
        return
    ctx.add("Processing (orchestration)", "flink.kpu.hour", HOURS_PER_MONTH, unit="KPU-hours")
    kpus = ctx.usage_number("kinesis_processing_units")
    ctx.add(
        "Processing (stream)",
        "flink.kpu.hour",
        None if kpus.value is None else kpus.value * HOURS_PER_MONTH,
        unit="KPU-hours",
        note=kpus.note,
    )
    ctx.add(
        "Running storage (50 GB per KPU)",
        "flink.running_storage",
        None if kpus.value is None else kpus.value * 50.0,
        note=kpus.note,
    )


# -- services billed only by usage -------------------------------------------------------------------
# No fixed charge: each line reads "depends on usage" until `[usage]` gives the figure, so the
# resource has a known cost (the unit prices) rather than none.


def _per_million(ctx: _Ctx, name: str, key: str, usage_key: str) -> None:
    amount = ctx.usage_number(usage_key)
    ctx.add(name, key, None if amount.value is None else amount.value / 1e6, note=amount.note)


def _per_unit(ctx: _Ctx, name: str, key: str, usage_key: str) -> None:
    amount = ctx.usage_number(usage_key)
    ctx.add(name, key, amount.value, note=amount.note)


def _count_text(n: float) -> str:
    """333e6 -> "333M", 2e10 -> "20B": how AWS's pages name volume tiers of requests and queries."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= size:
            return f"{n / size:g}{suffix}"
    return f"{n:g}"


def _gb_text(gb: float) -> str:
    """512000 -> "500TB", 1536000 -> "1.5PB": AWS's volume tiers count 1,024 GB to the TB and 1,000 TB
    to the PB (Firehose's "first 500 TB, next 1.5 PB" ends at 2,048,000 GB)."""
    for size, suffix in ((1024.0 * 1000.0, "PB"), (1024.0, "TB")):
        if gb >= size:
            return f"{gb / size:g}{suffix}"
    return f"{gb:g}GB"


def _volume_label(
    scale: float, text: Callable[[float], str] = _count_text
) -> Callable[[float, float | None], str]:
    """The name of a volume tier whose bounds are in units of `scale` (1e6 for a per-million price)."""

    def label(begin: float, end: float | None) -> str:
        if end is None:
            return f"over {text(begin * scale)}"
        return f"{'first' if begin == 0 else 'next'} {text((end - begin) * scale)}"

    return label


def _per_million_tiered(ctx: _Ctx, name: str, group: str, usage_key: str) -> None:
    """Requests (or messages, queries) by usage, one line per volume tier of `group` they reach."""
    amount = ctx.usage_number(usage_key)
    quantity = None if amount.value is None else amount.value / 1e6
    ctx.add_tiered(name, group, quantity, _volume_label(1e6), note=amount.note)


def _aws_sqs_queue(ctx: _Ctx) -> None:
    fifo = bool(ctx.flag(ctx.resource.body, "fifo_queue"))
    kind = "fifo" if fifo else "standard"
    _per_million(ctx, f"Requests ({kind})", f"sqs.{kind}.requests", "monthly_requests")
    ctx.note("the first million requests a month of an account are free")


def _aws_sns_topic(ctx: _Ctx) -> None:
    if ctx.flag(ctx.resource.body, "fifo_topic"):
        _per_million(ctx, "FIFO publish API requests", "sns.fifo.requests", "monthly_requests")
        return
    _per_million(ctx, "API requests", "sns.requests", "monthly_requests")
    ctx.note("the first million requests a month of an account are free; deliveries bill by endpoint")


def _aws_efs_file_system(ctx: _Ctx) -> None:
    """Storage by usage at the Standard or One Zone rate; provisioned throughput billed as provisioned."""
    body = ctx.resource.body
    one_zone = not isinstance(ctx.raw(body, "availability_zone_name"), _Missing)
    kind = "one_zone" if one_zone else "standard"
    stored = ctx.usage_number("storage_gb")
    title = kind.replace("_", " ")
    ctx.add(f"Storage ({title})", f"efs.{kind}.storage", stored.value, note=stored.note)
    infrequent = ctx.usage_number("infrequent_access_storage_gb")
    if infrequent.given:
        ctx.add(
            f"Storage ({title}, infrequent access)",
            f"efs.{kind}_ia.storage",
            infrequent.value,
            note=infrequent.note,
        )
    for usage_key, name, key in (
        ("monthly_infrequent_access_read_gb", "Reads from infrequent access", "efs.ia.read"),
        ("monthly_infrequent_access_write_gb", "Writes to infrequent access", "efs.ia.write"),
    ):
        moved = ctx.usage_number(usage_key)
        if moved.given:
            ctx.add(name, key, moved.value, note=moved.note)
    mode, _ = ctx.text(body, "throughput_mode")
    if mode == "provisioned":
        _efs_provisioned_throughput(ctx, body, stored.value)


EFS_BASELINE_MIBPS_PER_GB = 50.0 / 1024.0  # 50 KiB/s of throughput earned by each GiB stored


def _efs_provisioned_throughput(ctx: _Ctx, body: Block, stored_gb: float | None) -> None:
    """Provisioned throughput bills what exceeds the baseline the data stored earns (50 KiB/s per GiB
    stored); without a storage figure all of it is counted, a bound."""
    mibps = ctx.number(
        body, "provisioned_throughput_in_mibps", minimum=0, maximum=10240, what="provisioned_throughput"
    )
    billed = mibps.value
    if mibps.value is None or mibps.note:
        note = mibps.note
    elif stored_gb is None:
        note = "all of it counted: AWS bills what exceeds the baseline the stored data earns (a bound)"
    else:
        baseline = stored_gb * EFS_BASELINE_MIBPS_PER_GB
        billed = max(0.0, mibps.value - baseline)
        note = f"{_fmt(mibps.value)} MiBps less the {_fmt(baseline)} MiBps earned by {_fmt(stored_gb)} GB"
    ctx.add("Provisioned throughput", "efs.provisioned_throughput", billed, unit="MiBps", note=note)


# CloudFront's pricing areas (the names of infracost's usage file) and the countries each covers
CLOUDFRONT_AREAS: tuple[tuple[str, str], ...] = (
    ("us", "US, Mexico, Canada"),
    ("europe", "Europe, Israel"),
    ("south_africa", "South Africa, Kenya, Middle East"),
    ("south_america", "South America"),
    ("japan", "Japan"),
    ("australia", "Australia, New Zealand"),
    ("asia_pacific", "Hong Kong, Philippines, Asia Pacific"),
    ("india", "India"),
)
# Origin Shield bills its requests at the rate of the area of the shield's Region
CLOUDFRONT_SHIELD_AREAS: tuple[tuple[str, str], ...] = (
    ("us-", "us"),
    ("ca-", "us"),
    ("eu-", "europe"),
    ("sa-", "south_america"),
    ("ap-northeast-1", "japan"),
    ("ap-northeast-2", "south_korea"),
    ("ap-southeast-1", "singapore"),
    ("ap-southeast-2", "australia"),
    ("ap-south-1", "india"),
)
CLOUDFRONT_FREE_INVALIDATION_PATHS = 1000.0  # a month, per account


def _cloudfront_tier(begin: float, end: float | None) -> str:
    """CloudFront's volume tiers in binary TB and PB (first 10 TB ... next 524 TB, next 4 PB, over 5 PB)."""

    def size(gb: float) -> str:
        return f"{gb / 1024**2:g}PB" if gb >= 1024**2 else f"{gb / 1024:g}TB"

    return _volume_label(1.0, size)(begin, end)


def _cloudfront_area_usage(ctx: _Ctx, key: str, area: str) -> _Number:
    """An area's figure (`monthly_http_requests_europe`); the US figure also under the bare key."""
    return ctx.usage_number(f"{key}_{area}", key) if area == "us" else ctx.usage_number(f"{key}_{area}")


def _aws_cloudfront_distribution(ctx: _Ctx) -> None:
    """Per pricing area (usage): data transfer out to the internet on the area's volume ladder, data
    transfer out to the origin, HTTP and HTTPS requests; Origin Shield requests at the shield Region's
    area rate; invalidation paths beyond the free 1,000, field-level encryption requests, real-time log
    lines and dedicated-IP custom SSL certificates. Areas without figures are left out (the US lines
    stand for the whole distribution while no figure is given)."""
    for area, place in CLOUDFRONT_AREAS:
        transfer = _cloudfront_area_usage(ctx, "monthly_data_transfer_to_internet_gb", area)
        origin = _cloudfront_area_usage(ctx, "monthly_data_transfer_to_origin_gb", area)
        http = _cloudfront_area_usage(ctx, "monthly_http_requests", area)
        https = _cloudfront_area_usage(ctx, "monthly_https_requests", area)
        if area != "us" and not any(n.given for n in (transfer, origin, http, https)):
            continue
        ctx.add_tiered(
            f"Data transfer out to internet ({place})",
            f"cloudfront.{area}.transfer_out",
            transfer.value,
            _cloudfront_tier,
            note=transfer.note,
        )
        ctx.add(
            f"Data transfer out to origin ({place})",
            f"cloudfront.{area}.transfer_origin",
            origin.value,
            note=origin.note,
        )
        for name, requests in (("HTTP", http), ("HTTPS", https)):
            ctx.add(
                f"{name} requests ({place})",
                f"cloudfront.{area}.{name.lower()}_requests",
                None if requests.value is None else requests.value / 1e4,
                note=requests.note,
            )
    _cloudfront_origin_shield(ctx)
    paths = ctx.usage_number("monthly_invalidation_requests")
    if paths.given:
        ctx.add(
            "Invalidation paths (over 1,000)",
            "cloudfront.invalidation_path",
            None if paths.value is None else max(0.0, paths.value - CLOUDFRONT_FREE_INVALIDATION_PATHS),
            note=_join(paths.note, "the first 1,000 paths a month are free"),
        )
    for usage_key, name, key, scale in (
        (
            "monthly_encryption_requests",
            "Field-level encryption requests",
            "cloudfront.field_level_encryption",
            1e4,
        ),
        ("monthly_log_lines", "Real-time log lines", "cloudfront.realtime_log_lines", 1e6),
        (
            "custom_ssl_certificates",
            "Dedicated IP custom SSL certificates",
            "cloudfront.dedicated_ip_ssl",
            1.0,
        ),
    ):
        amount = ctx.usage_number(usage_key)
        if amount.given:
            ctx.add(name, key, None if amount.value is None else amount.value / scale, note=amount.note)


def _cloudfront_origin_shield(ctx: _Ctx) -> None:
    """One line per Origin Shield Region the distribution's origins enable, at that Region's area rate."""
    regions: list[str] = []
    for origin in ctx.resource.body.nested("origin"):
        for shield in origin.nested("origin_shield"):
            region, _ = ctx.text(shield, "origin_shield_region")
            if ctx.flag(shield, "enabled") is not False and region and region not in regions:
                regions.append(region)
    for region in regions:
        area = next((a for prefix, a in CLOUDFRONT_SHIELD_AREAS if region.startswith(prefix)), None)
        requests = ctx.usage_number(f"monthly_shield_requests_{area}") if area else _Number(None, given=False)
        ctx.add(
            f"Origin Shield requests ({region})",
            f"cloudfront.shield.{area}" if area else None,
            None if requests.value is None else requests.value / 1e4,
            note=requests.note,
            missing_note="" if area else f"no Origin Shield rate for {region}",
        )


def _aws_apigatewayv2_api(ctx: _Ctx) -> None:
    protocol, _ = ctx.text(ctx.resource.body, "protocol_type")
    if protocol == "websocket":
        _per_million_tiered(ctx, "Messages", "apigateway.websocket.messages", "monthly_messages")
        minutes = ctx.usage_number("monthly_connection_mins")
        ctx.add(
            "Connection minutes",
            "apigateway.websocket.connection_minutes",
            None if minutes.value is None else minutes.value / 1e6,
            note=minutes.note,
        )
        return
    _per_million_tiered(ctx, "Requests", "apigateway.http.requests", "monthly_requests")


_ROUTING_QUERIES = (
    ("latency_routing_policy", "Latency-based routing queries", "route53.queries.latency"),
    ("geolocation_routing_policy", "Geo DNS queries", "route53.queries.geo"),
)


_ROUTING_USAGE = {
    "route53.queries.standard": "monthly_standard_queries",
    "route53.queries.latency": "monthly_latency_based_queries",
    "route53.queries.geo": "monthly_geo_queries",
}


def _aws_route53_record(ctx: _Ctx) -> None:
    """Queries by usage at the record's routing rate; queries to alias records of AWS resources are free.
    A record answers queries of its own routing policy only, so usage given for another is said, not
    priced."""
    body = ctx.resource.body
    if body.nested("alias"):
        ctx.note("queries to an alias of an AWS resource are free")
        return
    policy = next(
        (key for block, _, key in _ROUTING_QUERIES if body.nested(block)), "route53.queries.standard"
    )
    for key, usage_key in _ROUTING_USAGE.items():
        if key != policy and ctx.usage_number(usage_key).given:
            kind = policy.rsplit(".", 1)[1]
            ctx.note(f"usage {usage_key} not priced: this record's routing policy bills {kind} queries")
    for block, name, key in _ROUTING_QUERIES:
        if body.nested(block):
            _per_million_tiered(
                ctx,
                name,
                key,
                "monthly_latency_based_queries" if "latency" in key else "monthly_geo_queries",
            )
            return
    _per_million_tiered(ctx, "Standard queries", "route53.queries.standard", "monthly_standard_queries")


def _aws_ssm_parameter(ctx: _Ctx) -> None:
    tier, note = ctx.text(ctx.resource.body, "tier")
    if tier == "advanced":
        ctx.add("Parameter storage (advanced)", "ssm.parameter.advanced", 1.0, unit="months")
        interactions = ctx.usage_number("api_throughput_limit_requests", "monthly_api_interactions")
        ctx.add(
            "API interactions (advanced)",
            "ssm.parameter.advanced.api",
            None if interactions.value is None else interactions.value / 1e4,
            note=interactions.note,
        )
    elif tier == "intelligent-tiering" or note:
        ctx.add(
            "Parameter storage",
            None,
            1.0,
            unit="months",
            missing_note=note or "intelligent-tiering picks standard or advanced when the value is written",
        )
    else:
        ctx.note("standard parameters are free")


SFN_DURATION_STEP_MS = 100.0  # Express workflows bill duration in 100 ms steps
SFN_MEMORY_STEP_MB = 64.0  # and memory in 64 MB steps, at least one


def _sfn_express_gb_hours(ctx: _Ctx) -> float | None:
    """GB-hours of Express executions: requests x duration (rounded up to 100 ms) x memory (rounded up
    to 64 MB, at least 64 MB), as the Step Functions page bills them. None while any figure is missing."""
    requests = ctx.usage_number("monthly_requests").value
    duration = ctx.usage_number("workflow_duration_ms").value
    memory = ctx.usage_number("memory_mb").value
    if requests is None or duration is None or memory is None:
        return None
    seconds = math.ceil(duration / SFN_DURATION_STEP_MS) * SFN_DURATION_STEP_MS / 1000.0
    gb = max(1.0, math.ceil(memory / SFN_MEMORY_STEP_MB)) * SFN_MEMORY_STEP_MB / 1024.0
    return requests * seconds * gb / 3600.0


def _aws_sfn_state_machine(ctx: _Ctx) -> None:
    kind, _ = ctx.text(ctx.resource.body, "type")
    if kind == "express":
        _per_million(ctx, "Requests", "sfn.express.requests", "monthly_requests")
        ctx.add_tiered("Duration", "sfn.express.duration", _sfn_express_gb_hours(ctx), _volume_label(1.0))
        return
    transitions = ctx.usage_number("monthly_transitions")
    ctx.add(
        "State transitions",
        "sfn.standard.transitions",
        None if transitions.value is None else transitions.value / 1e3,
        note=transitions.note,
    )


def _glue_dpu_hours(ctx: _Ctx) -> None:
    hours = ctx.usage_number("monthly_hours")
    body = ctx.resource.body
    dpus = ctx.number(body, "max_capacity", minimum=0, maximum=MAX_COUNT, what="max_capacity")
    if dpus.value is None and not dpus.note:
        workers = ctx.number(body, "number_of_workers", minimum=0, maximum=MAX_COUNT)
        wtype, _ = ctx.text(body, "worker_type")
        per_worker = {"standard": 1.0, "g.1x": 1.0, "g.2x": 2.0, "g.4x": 4.0, "g.8x": 8.0, "g.025x": 0.25}
        if workers.value is not None and wtype in per_worker:
            dpus = _Number(workers.value * per_worker[wtype])
    qty = None if hours.value is None or dpus.value is None else hours.value * dpus.value
    ctx.add(
        "Duration (DPU-hours)", "glue.dpu_hour", qty, note=_join(hours.note, dpus.note if hours.value else "")
    )


def _aws_glue_crawler(ctx: _Ctx) -> None:
    _per_unit(ctx, "Duration (DPU-hours)", "glue.dpu_hour", "monthly_hours")


def _aws_codebuild_project(ctx: _Ctx) -> None:
    env = ctx.first_block("environment")
    compute, note = ctx.text(env, "compute_type")
    kind, _ = ctx.text(env, "type")
    os_name = "windows" if kind and "windows" in kind else "linux"
    size = compute.replace("build_", "") if compute else None
    minutes = ctx.usage_number("monthly_build_mins")
    ctx.add(
        f"Build minutes ({os_name}, {size or '?'})",
        f"codebuild.{os_name}.{size}" if size else None,
        minutes.value,
        unit="minutes",
        note=minutes.note,
        missing_note=note or "environment.compute_type is not set",
    )


def _aws_codepipeline(ctx: _Ctx) -> None:
    kind, note = ctx.text(ctx.resource.body, "pipeline_type")
    if kind == "v2" or note:
        minutes = ctx.usage_number("monthly_action_execution_minutes")
        ctx.add(
            "Action execution minutes (V2)",
            None if note else "codepipeline.v2.action_minute",
            minutes.value,
            unit="minutes",
            note=minutes.note,
            missing_note=note,
        )
        return
    ctx.add("Active pipeline (V1)", "codepipeline.v1.pipeline", 1.0, unit="months")


def _aws_config_config_rule(ctx: _Ctx) -> None:
    evaluations = ctx.usage_number("monthly_rule_evaluations")
    ctx.add_tiered(
        "Rule evaluations",
        "config.rule_evaluation",
        evaluations.value,
        _volume_label(1.0),
        note=evaluations.note,
    )


def _aws_acm_certificate(ctx: _Ctx) -> None:
    """Public certificates are free; one issued by a private CA bills per certificate issued."""
    if isinstance(ctx.raw(ctx.resource.body, "certificate_authority_arn"), _Missing):
        ctx.note("public certificates are free")
        return
    _per_unit(
        ctx, "Private certificates issued (first 1,000)", "acmpca.certificate.first1k", "monthly_requests"
    )


def _aws_service_discovery_dns_namespace(ctx: _Ctx) -> None:
    ctx.add("Hosted zone (created for the namespace)", "route53.zone", 1.0, unit="zones")
    ctx.note("registered instances and lookups bill by usage")


def _aws_cloudtrail(ctx: _Ctx) -> None:
    """The first copy of management events in each region is free; data events, insights and further
    copies of management events bill per 100,000 events (usage)."""
    ctx.note("the first copy of management events is free")
    for name, key, usage_key in (
        (
            "Management events (additional copies)",
            "cloudtrail.management_events",
            "monthly_additional_management_events",
        ),
        ("Data events", "cloudtrail.data_events", "monthly_data_events"),
        ("Insight events", "cloudtrail.insight_events", "monthly_insight_events"),
    ):
        amount = ctx.usage_number(usage_key)
        ctx.add(name, key, None if amount.value is None else amount.value / 1e5, note=amount.note)


def _aws_flow_log(ctx: _Ctx) -> None:
    """Flow log records are vended logs, billed per GB delivered at the destination's rate (usage)."""
    dest, note = ctx.text(ctx.resource.body, "log_destination_type")
    dest = dest or ("" if note else "cloud-watch-logs")
    keys = {"cloud-watch-logs": "flowlogs.cloudwatch", "s3": "flowlogs.s3"}
    delivered = ctx.usage_number("monthly_data_delivered_gb")
    ctx.add(
        f"Logs delivered ({dest or '?'})",
        keys.get(dest),
        delivered.value,
        unit="GB",
        note=delivered.note,
        missing_note=note or f"delivery to {dest} is not in the catalog",
        usage=True,
    )


def _aws_codecommit_repository(ctx: _Ctx) -> None:
    users = ctx.usage_number("monthly_active_users_above_free")
    ctx.add("Active users (above the five free a month)", "codecommit.user", users.value, note=users.note)


def _aws_ec2_capacity_reservation(ctx: _Ctx) -> None:
    """Reserved capacity bills at the on-demand rate whether instances run in it or not."""
    body = ctx.resource.body
    count = _node_count(ctx, body, "instance_count", None, "instance_count")
    tenancy, _ = ctx.text(body, "tenancy")
    platform, _ = ctx.text(body, "instance_platform")
    if tenancy == "dedicated" or (platform and platform != "linux/unix"):
        why = "dedicated tenancy" if tenancy == "dedicated" else f"platform {platform}"
        ctx.add(
            "Reserved capacity",
            None,
            None if count.value is None else count.value * HOURS_PER_MONTH,
            unit="hours",
            note=count.note,
            missing_note=f"{why}: only Linux shared-tenancy prices are in the catalog",
        )
        return
    _compute_hours(ctx, ctx.raw(body, "instance_type"), count.value, count_note=count.note)


def _aws_eks_fargate_profile(ctx: _Ctx) -> None:
    """A profile costs nothing itself; the pods it schedules bill Fargate vCPU and memory hours (usage)."""
    for label, key, usage_key in (
        ("Fargate pods vCPU", "fargate.x86_64.vcpu", "monthly_vcpu_hours"),
        ("Fargate pods memory", "fargate.x86_64.memory", "monthly_gb_hours"),
    ):
        _per_unit(ctx, label, key, usage_key)


def _aws_cloudwatch_event_archive(ctx: _Ctx) -> None:
    _per_unit(ctx, "Events archived", "eventbridge.archive.processing", "monthly_archived_gb")
    _per_unit(ctx, "Archive storage", "eventbridge.archive.storage", "archive_storage_gb")


SERVICE_ESTIMATORS: dict[str, Callable[[_Ctx], None]] = {
    **OPS_ESTIMATORS,
    "aws_msk_cluster": _aws_msk_cluster,
    "aws_opensearch_domain": _search_domain,
    "aws_elasticsearch_domain": _search_domain,
    "aws_redshift_cluster": _aws_redshift_cluster,
    "aws_docdb_cluster_instance": lambda ctx: _cluster_instance(ctx, "docdb"),
    "aws_docdb_cluster": lambda ctx: _cluster_storage(ctx, "docdb"),
    "aws_neptune_cluster_instance": lambda ctx: _cluster_instance(ctx, "neptune"),
    "aws_neptune_cluster": lambda ctx: _cluster_storage(ctx, "neptune"),
    "aws_ecs_service": _aws_ecs_service,
    **EMR_BATCH_ESTIMATORS,
    "aws_memorydb_cluster": _aws_memorydb_cluster,
    "aws_kms_key": _monthly("Customer managed key", "kms.key", "keys"),
    "aws_kms_external_key": _monthly("Customer managed key", "kms.key", "keys"),
    "aws_secretsmanager_secret": _monthly("Secret", "secretsmanager.secret", "secrets"),
    "aws_cloudwatch_metric_alarm": _aws_cloudwatch_metric_alarm,
    "aws_cloudwatch_dashboard": _monthly("Dashboard", "cloudwatch.dashboard", "dashboards"),
    "aws_route53_zone": _monthly("Hosted zone", "route53.zone", "zones", note="first 25 zones of an account"),
    "aws_ec2_transit_gateway_vpc_attachment": _transit_gateway_attachment,
    "aws_ec2_transit_gateway_peering_attachment": _transit_gateway_attachment,
    "aws_vpn_connection": _aws_vpn_connection,
    "aws_networkfirewall_firewall": _aws_networkfirewall_firewall,
    "aws_vpc_endpoint": _aws_vpc_endpoint,
    "aws_route53_resolver_endpoint": _aws_route53_resolver_endpoint,
    "aws_directory_service_directory": _aws_directory_service_directory,
    "aws_transfer_server": _aws_transfer_server,
    "aws_mq_broker": _aws_mq_broker,
    "aws_fsx_windows_file_system": _aws_fsx_windows_file_system,
    "aws_fsx_openzfs_file_system": _aws_fsx_openzfs_file_system,
    "aws_fsx_lustre_file_system": _aws_fsx_lustre_file_system,
    "aws_api_gateway_stage": _aws_api_gateway_stage,
    "aws_ec2_host": _aws_ec2_host,
    "aws_mwaa_environment": _aws_mwaa_environment,
    "aws_acmpca_certificate_authority": _aws_acmpca_certificate_authority,
    "aws_dx_connection": _aws_dx_connection,
    "aws_dx_gateway_association": _aws_dx_gateway_association,
    "aws_ec2_client_vpn_endpoint": _aws_ec2_client_vpn_endpoint,
    "aws_ec2_client_vpn_network_association": _monthly(
        "Endpoint association", "clientvpn.association.hour", "hours", HOURS_PER_MONTH
    ),
    "aws_globalaccelerator_accelerator": _aws_globalaccelerator_accelerator,
    "aws_globalaccelerator_endpoint_group": _aws_globalaccelerator_endpoint_group,
    "aws_ec2_traffic_mirror_session": _monthly(
        "Traffic mirror session", "trafficmirror.session.hour", "hours", HOURS_PER_MONTH
    ),
    "aws_waf_web_acl": lambda ctx: _web_acl(ctx, "rules"),
    "aws_wafregional_web_acl": lambda ctx: _web_acl(ctx, "rule"),
    "aws_wafv2_web_acl": lambda ctx: _web_acl(ctx, "rule"),
    "aws_route53_health_check": _aws_route53_health_check,
    "aws_kinesis_stream": _aws_kinesis_stream,
    "aws_kinesis_firehose_delivery_stream": _aws_kinesis_firehose_delivery_stream,
    "aws_kinesisanalyticsv2_application": _aws_kinesisanalyticsv2_application,
    "aws_acm_certificate": _aws_acm_certificate,
    "aws_cloudtrail": _aws_cloudtrail,
    "aws_s3_bucket_metric": lambda ctx: _per_unit(
        ctx, "Request metrics (CloudWatch, up to 16 per filter)", "cloudwatch.metric", "monthly_metrics"
    ),
    "aws_eks_fargate_profile": _aws_eks_fargate_profile,
    "aws_cloudwatch_event_archive": _aws_cloudwatch_event_archive,
    "aws_service_discovery_service": lambda ctx: _per_unit(
        ctx, "Registered instances", "cloudmap.instance", "registered_instances"
    ),
    "aws_flow_log": _aws_flow_log,
    "aws_codecommit_repository": _aws_codecommit_repository,
    "aws_ec2_capacity_reservation": _aws_ec2_capacity_reservation,
    "aws_config_configuration_recorder": lambda ctx: _per_unit(
        ctx, "Configuration items recorded", "config.configuration_item", "monthly_config_items"
    ),
    "aws_sqs_queue": _aws_sqs_queue,
    "aws_sns_topic": _aws_sns_topic,
    "aws_ecr_repository": lambda ctx: _per_unit(ctx, "Storage", "ecr.storage", "storage_gb"),
    "aws_efs_file_system": _aws_efs_file_system,
    "aws_cloudfront_distribution": _aws_cloudfront_distribution,
    "aws_api_gateway_rest_api": lambda ctx: _per_million_tiered(
        ctx, "Requests", "apigateway.rest.requests", "monthly_requests"
    ),
    "aws_apigatewayv2_api": _aws_apigatewayv2_api,
    "aws_route53_record": _aws_route53_record,
    "aws_ssm_parameter": _aws_ssm_parameter,
    "aws_sfn_state_machine": _aws_sfn_state_machine,
    "aws_cloudwatch_event_bus": lambda ctx: _per_million(
        ctx, "Custom events published", "eventbridge.custom_events", "monthly_custom_events"
    ),
    "aws_scheduler_schedule": lambda ctx: _per_million(
        ctx, "Invocations", "scheduler.invocations", "monthly_invocations"
    ),
    "aws_pipes_pipe": lambda ctx: _per_million(ctx, "Requests", "pipes.requests", "monthly_requests"),
    "aws_cloudwatch_event_api_destination": lambda ctx: _per_million(
        ctx, "Invocations", "eventbridge.api_destination", "monthly_invocations"
    ),
    "aws_glue_job": _glue_dpu_hours,
    "aws_glue_crawler": _aws_glue_crawler,
    "aws_codebuild_project": _aws_codebuild_project,
    "aws_codepipeline": _aws_codepipeline,
    "aws_config_config_rule": _aws_config_config_rule,
    "aws_service_discovery_private_dns_namespace": _aws_service_discovery_dns_namespace,
    "aws_service_discovery_public_dns_namespace": _aws_service_discovery_dns_namespace,
    "aws_s3_bucket_analytics_configuration": lambda ctx: _per_million(
        ctx, "Objects monitored", "s3_analytics.objects", "monthly_monitored_objects"
    ),
    "aws_s3_bucket_inventory": lambda ctx: _per_million(
        ctx, "Objects listed", "s3_inventory.objects", "monthly_listed_objects"
    ),
    **MANAGED_INSTANCE_ESTIMATORS,
}

SERVICE_ESTIMATORS["aws_fsx_file_system"] = fsx_file_system(SERVICE_ESTIMATORS)  # CloudFormation's FSx

# No charge by themselves: a task definition is priced on the service that runs it.
SERVICE_FREE_TYPES = frozenset(
    {"aws_ecs_task_definition", "aws_ecs_cluster", "aws_msk_configuration", "aws_docdb_subnet_group"}
    | {"aws_neptune_subnet_group", "aws_redshift_subnet_group", "aws_redshift_parameter_group"}
    | {"aws_kms_alias", "aws_secretsmanager_secret_version"}
    | MANAGED_INSTANCE_FREE_TYPES
)
