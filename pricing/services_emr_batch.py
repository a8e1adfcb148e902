"""Estimators for services that launch EC2 instances of their own: Amazon EMR clusters (instance
groups and instance fleets) and AWS Batch compute environments.

EMR bills every instance twice: the EC2 instance at its on-demand price (`ec2.<type>`, every region)
and EMR's charge per instance-hour (`emr.<type>`, us-east-1 rows of `prices_services.csv`; `advisor
pricing refresh --service emr` fetches every region). A type with no EMR row keeps its EC2 line priced
and an EMR line whose price is unknown, so the resource's total is unknown, never understated.

A managed Batch compute environment launches instances only while jobs run: only `min_vcpus` is a
fixed floor (kept running whether jobs run or not); everything above it depends on usage.

Registered in `services.py`'s `SERVICE_ESTIMATORS`; they follow the rules of `estimators.py`.
"""

from __future__ import annotations

import math

from advisor.model import HOURS_PER_MONTH, Block, Value

from .catalog import Price
from .lines import (
    GP3_FREE_IOPS,
    GP3_FREE_MIBPS,
    MAX_COUNT,
    _Ctx,
    _fmt,
    _instance_hours,
    _instance_note,
    _join,
    _Missing,
    _Number,
    _type_name,
)

MAX_VCPUS = 1_000_000.0  # more vCPUs than this in one compute environment is a typo, not a plan
SPOT_MISSING = "spot prices are not in the catalog"
EMR_VOLUME_TYPES = ("gp3", "gp2", "io1", "st1", "sc1", "standard")
# Batch instance_type values that name no single type: Batch picks the type when jobs arrive
BATCH_CHOSEN_BY_AWS = {
    "optimal": "'optimal' lets Batch choose among the C, M and R families",
    "default_x86_64": "'default_x86_64' lets Batch choose among x86_64 families",
    "default_arm64": "'default_arm64' lets Batch choose among Graviton families",
}


# -- EMR ---------------------------------------------------------------------------------------------


def _market(ctx: _Ctx, block: Block) -> tuple[bool | None, str]:
    """Whether the instances are spot (a `bid_price`, or CloudFormation's `Market: SPOT`): True, False,
    or None with a note when the template leaves it unknown."""
    market, market_note = ctx.text(block, "market")
    if market_note:
        return None, market_note
    if market is not None:
        return market == "spot", ""
    bid = ctx.raw(block, "bid_price")
    if isinstance(bid, _Missing) or (bid.known and bid.value in (None, "")):
        return False, ""
    if not bid.known:
        return None, f"bid_price is unknown ({bid.reason or 'not resolvable'}): on-demand or spot not known"
    return True, ""


def _emr_instances(
    ctx: _Ctx,
    role: str,
    type_value: Value | _Missing,
    attr: str,
    count: float | None,
    count_note: str,
    spot: bool | None,
    volumes: list[Block],
) -> None:
    """`count` instances of one type: the EC2 line, the EMR charge line and the EBS volumes each has.
    No instances cost nothing, whatever their type's prices."""
    name, why = _type_name(ctx, type_value, attr)
    if count == 0:
        ctx.note(f"{role} instances ({name or '?'}): none ({count_note or 'a count of 0'})")
        return
    hours, hours_note = _instance_hours(ctx, count)
    note = _join(count_note, hours_note)
    shown = name or "?"
    if spot is not True and name is not None:
        key = f"ec2.{name}"
        price = ctx.catalog.price(key, ctx.region)
        missing = "" if price else _instance_note(ctx, name, key)
        if spot is None:  # on-demand or spot not known: never the on-demand price as if it were known
            ctx.add(
                f"{role} EC2 instances ({name})",
                None,
                hours,
                unit="hours",
                note=note,
                missing_note="on-demand or spot not known",
                usage=False,
            )
        else:
            ctx.add(
                f"{role} EC2 instances (on-demand, {name})",
                key,
                hours,
                unit="hours",
                note=note,
                price=price,
                missing_note=missing,
            )
    else:
        ctx.add(
            f"{role} EC2 instances ({'spot, ' if spot else ''}{shown})",
            None,
            hours,
            unit="hours",
            note=note,
            missing_note=SPOT_MISSING if spot and name else why,
            usage=False,
        )
    if name is None:
        ctx.add(f"{role} EMR charge (?)", None, hours, unit="hours", note=note, missing_note=why)
    else:
        ctx.add(
            f"{role} EMR charge ({name})",
            f"emr.{name}",
            hours,
            unit="hours",
            note=note,
            missing_note=f"price unknown: no EMR charge for {name} in {ctx.region} in the catalog",
        )
    for ebs in volumes:
        _emr_volumes(ctx, role, ebs, count)


def _emr_volumes(ctx: _Ctx, role: str, ebs: Block, count: float | None) -> None:
    """One `ebs_config` block: `volumes_per_instance` volumes on each instance, for the hours the
    instances run (EMR creates and deletes them with the instances). EMR takes gp3, gp2, io1, st1, sc1
    and standard volumes; gp3 IOPS and throughput above the included 3000 and 125 MiB/s, and io1 IOPS,
    are billed per volume."""
    per_instance = ctx.number(
        ebs, "volumes_per_instance", default=1.0, maximum=MAX_COUNT, what="volumes_per_instance"
    )
    hours, _ = _instance_hours(ctx, 1.0)
    share = (HOURS_PER_MONTH if hours is None else hours) / HOURS_PER_MONTH
    volumes = None if count is None or per_instance.value is None else count * per_instance.value * share
    vtype, type_note = ctx.text(ebs, "type")
    size = ctx.number(ebs, "size", minimum=1, maximum=16384, what="ebs_config.size")
    if size.value is None and not size.note:
        size.note = "ebs_config.size is not set"
    note = _join(per_instance.note, type_note, size.note)

    def line(what: str, key: str | None, per_volume: float | None, missing: str = "") -> None:
        qty = None if per_volume is None or volumes is None else per_volume * volumes
        ctx.add(
            f"{role} EBS {what}",
            key,
            qty,
            note=note if qty is None else "",
            missing_note=missing,
            usage=False,
        )

    if vtype not in EMR_VOLUME_TYPES:
        why = type_note or (
            "ebs_config.type is not set" if vtype is None else f"'{vtype}' is no EMR volume type"
        )
        line("Storage", None, size.value, why)
        return
    line(f"Storage ({vtype})", f"ebs.{vtype}.storage", size.value)
    if vtype == "gp3":
        iops = ctx.number(ebs, "iops", default=GP3_FREE_IOPS, maximum=80000, what="ebs_config.iops")
        mibps = ctx.number(
            ebs, "throughput", default=GP3_FREE_MIBPS, maximum=2000, what="ebs_config.throughput"
        )
        if iops.value is None or iops.value > GP3_FREE_IOPS:
            extra = None if iops.value is None else iops.value - GP3_FREE_IOPS
            line("Provisioned IOPS (above 3000)", "ebs.gp3.iops", extra)
        if mibps.value is None or mibps.value > GP3_FREE_MIBPS:
            extra = None if mibps.value is None else mibps.value - GP3_FREE_MIBPS
            line("Provisioned throughput (above 125 MiB/s)", "ebs.gp3.throughput", extra)
    elif vtype == "io1":
        iops = ctx.number(ebs, "iops", minimum=100, maximum=64000, what="ebs_config.iops")
        line("Provisioned IOPS (io1)", "ebs.io1.iops", iops.value)
        if iops.value is None and not iops.given:
            ctx.note(f"{role} EBS: iops is required for io1 volumes")


def _instance_count(ctx: _Ctx, block: Block, attr: str, default: float | None, why_default: str) -> _Number:
    count = ctx.number(
        block, "instance_count", default=default, maximum=MAX_COUNT, what=f"{attr}instance_count"
    )
    if not count.given and count.value is not None:
        count.note = f"{attr}instance_count not set: {_fmt(count.value)} assumed ({why_default})"
    elif not count.given:
        count.note = f"{attr}instance_count is not set"
    return count


def _emr_group(
    ctx: _Ctx, role: str, block: Block, attr: str, default: float | None, why_default: str
) -> None:
    """An instance group: `instance_count` instances of `instance_type`, on-demand unless a bid price
    (or `Market: SPOT`) makes them spot."""
    count = _instance_count(ctx, block, attr, default, why_default)
    spot, spot_note = _market(ctx, block)
    _emr_instances(
        ctx,
        role,
        ctx.raw(block, "instance_type"),
        f"{attr}instance_type",
        count.value,
        _join(count.note, spot_note),
        spot,
        block.nested("ebs_config"),
    )


def _emr_fleet(ctx: _Ctx, role: str, fleet: Block, attr: str) -> None:
    """An instance fleet, priced as its on-demand target capacity filled with the first listed type
    (instances = capacity / that type's weighted capacity, rounded up). EMR may fill it with any listed
    type; spot capacity bills the spot price while it runs and depends on usage."""
    configs = fleet.nested("instance_type_configs")
    on_demand = ctx.number(
        fleet,
        "target_on_demand_capacity",
        default=0.0,
        maximum=MAX_COUNT,
        what=f"{attr}target_on_demand_capacity",
    )
    spot = ctx.number(
        fleet, "target_spot_capacity", default=0.0, maximum=MAX_COUNT, what=f"{attr}target_spot_capacity"
    )
    if not configs:
        ctx.add(
            f"{role} instances",
            None,
            None,
            unit="hours",
            usage=False,
            missing_note=f"{attr}instance_type_configs is not set",
        )
        return
    first = configs[0]
    weight = ctx.number(
        first, "weighted_capacity", default=1.0, minimum=1.0, maximum=MAX_COUNT, what="weighted_capacity"
    )
    count: float | None = None
    note = _join(on_demand.note, weight.note)
    if on_demand.value is not None and weight.value is not None:
        count = float(math.ceil(on_demand.value / weight.value))
        note = (
            f"on-demand target capacity {_fmt(on_demand.value)} filled with the first listed type "
            f"(weighted capacity {_fmt(weight.value)}): {_fmt(count)} instances"
        )
        if len(configs) > 1:
            note += f"; EMR may use any of the {len(configs)} listed types"
    _emr_instances(
        ctx,
        role,
        ctx.raw(first, "instance_type"),
        "instance_type_configs.instance_type",
        count,
        note,
        False,
        first.nested("ebs_config"),
    )
    if spot.value is None:
        ctx.add(f"{role} spot capacity", None, None, unit="hours", note=spot.note, usage=False)
    elif spot.value > 0:
        ctx.add(
            f"{role} spot capacity ({_fmt(spot.value)} units)",
            None,
            None,
            unit="hours",
            usage=True,
            note=(
                "spot instances bill the spot price, plus EMR's charge, while they run: "
                "depends on usage and the spot market, not in the total"
            ),
        )


EMR_NOTE = (
    "EMR bills each instance's EC2 price plus EMR's charge per instance-hour; priced for a month of "
    "running (usage monthly_hours for a cluster that runs part of the month)"
)


def _aws_emr_cluster(ctx: _Ctx) -> None:
    """Master and core instance groups or fleets; a CloudFormation cluster may also declare task
    groups and fleets inline (Terraform declares them as `aws_emr_instance_group` / `_fleet`)."""
    body = ctx.resource.body
    found = False
    for attr, role in (("master_instance_group", "Master"), ("core_instance_group", "Core")):
        for block in body.nested(attr)[:1]:
            found = True
            _emr_group(ctx, role, block, f"{attr}.", 1.0, "EMR's default")
    for block in body.nested("task_instance_group"):
        found = True
        _emr_group(ctx, "Task", block, "task_instance_group.", None, "")
    for attr, role in (("master_instance_fleet", "Master"), ("core_instance_fleet", "Core")):
        for block in body.nested(attr)[:1]:
            found = True
            _emr_fleet(ctx, role, block, f"{attr}.")
    for block in body.nested("task_instance_fleet"):
        found = True
        _emr_fleet(ctx, "Task", block, "task_instance_fleet.")
    if not found:
        ctx.add(
            "Instances",
            None,
            None,
            unit="hours",
            usage=False,
            missing_note="no instance group or fleet is set",
        )
    ctx.note(EMR_NOTE)
    ctx.note("EMR's default volumes (when ebs_config is not set) are not counted")


def _role(ctx: _Ctx, block: Block) -> str:
    """CloudFormation's InstanceRole / InstanceFleetType (Terraform's separate groups are task groups)."""
    role, _ = ctx.text(block, "instance_role")
    return role.capitalize() if role in ("master", "core", "task") else "Task"


def _aws_emr_instance_group(ctx: _Ctx) -> None:
    body = ctx.resource.body
    _emr_group(ctx, _role(ctx, body), body, "", 0.0, "the default")
    ctx.note(EMR_NOTE)


def _aws_emr_instance_fleet(ctx: _Ctx) -> None:
    body = ctx.resource.body
    _emr_fleet(ctx, _role(ctx, body), body, "")
    ctx.note(EMR_NOTE)


# -- AWS Batch ---------------------------------------------------------------------------------------


def _listed_types(ctx: _Ctx, resources: Block) -> tuple[list[str], list[str], str]:
    """(instance types the catalog knows, the other values written, a note when the list is unknown)."""
    raw = ctx.raw(resources, "instance_type")
    if isinstance(raw, _Missing):
        return [], [], ""
    if not raw.known:
        return [], [], f"compute_resources.instance_type is unknown ({raw.reason or 'not resolvable'})"
    items = raw.value if isinstance(raw.value, list | tuple) else [raw.value]
    known: list[str] = []
    other: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            continue
        name = item.strip().lower()
        (known if ctx.catalog.instance_type(name) is not None else other).append(name)
    return known, other, ""


def _batch_fargate(ctx: _Ctx, spot: bool) -> None:
    note = "Fargate jobs bill the vCPU and memory they request while they run: depends on usage"
    if spot:
        for what, unit in (("vCPU", "vCPU-hours"), ("memory", "GB-hours")):
            ctx.add(
                f"Fargate Spot {what}",
                None,
                None,
                unit=unit,
                usage=True,
                note=note,
                missing_note="Fargate Spot prices are not in the catalog",
            )
        return
    ctx.add("Fargate vCPU", "fargate.x86_64.vcpu", None, note=note, usage=True)
    ctx.add("Fargate memory", "fargate.x86_64.memory", None, note=note, usage=True)


def _per_vcpu(price: Price, vcpu: int) -> Price:
    return Price(
        price.key, price.region, price.value / vcpu, "vCPU-hour", price.source, price.as_of, price.estimate
    )


def _aws_batch_compute_environment(ctx: _Ctx) -> None:
    """A managed EC2 or spot environment: `min_vcpus` worth of the cheapest listed type is a fixed floor;
    above it, instances run only while jobs do (per vCPU-hour of the listed type with the lowest price
    per vCPU). Fargate environments depend on usage. An unmanaged one runs on instances billed elsewhere."""
    body = ctx.resource.body
    kind, _ = ctx.text(body, "type")
    if kind == "unmanaged":
        ctx.note(
            "an unmanaged compute environment runs on instances launched and billed elsewhere: no charge"
        )
        return
    resources = ctx.first_block("compute_resources")
    if resources is None:
        ctx.add(
            "Instances", None, None, unit="hours", usage=False, missing_note="compute_resources is not set"
        )
        return
    ctype, type_note = ctx.text(resources, "type")
    if ctype in ("fargate", "fargate_spot"):
        _batch_fargate(ctx, ctype == "fargate_spot")
        return
    spot = ctype == "spot"
    floor = ctx.number(
        resources, "min_vcpus", default=0.0, maximum=MAX_VCPUS, what="compute_resources.min_vcpus"
    )
    known, other, list_note = _listed_types(ctx, resources)
    chosen = [BATCH_CHOSEN_BY_AWS.get(name, f"'{name}' names no single instance type") for name in other]
    priced: list[tuple[float, str, int, Price]] = []  # (price per vCPU-hour, type, vCPUs, hourly price)
    for name in known:
        facts = ctx.catalog.instance_type(name)
        price = ctx.catalog.price(f"ec2.{name}", ctx.region)
        if facts is not None and facts.vcpu and price is not None:
            priced.append((price.value / facts.vcpu, name, facts.vcpu, price))
    why_unpriced = _join(
        type_note,
        list_note,
        *chosen,
        "" if known or other or list_note else "compute_resources.instance_type is not set",
        SPOT_MISSING if spot else "",
        "" if priced or not known else f"no price for {', '.join(known)} in {ctx.region}",
    )
    if floor.value is None or floor.value > 0:
        _batch_floor(ctx, floor, priced, spot, why_unpriced)
    label = "Instances launched for jobs"
    usage_note = "instances above min_vcpus run only while jobs do: depends on usage"
    if priced and not spot and not type_note:
        _, name, vcpu, price = min(priced)
        ctx.add(
            f"{label} (per vCPU-hour, {name})",
            None,
            None,
            unit="vCPU-hours",
            price=_per_vcpu(price, vcpu),
            usage=True,
            note=_join(
                usage_note, f"{name}: {_fmt(vcpu)} vCPUs; the listed type with the lowest price per vCPU"
            ),
        )
    else:
        ctx.add(
            f"{label} (per vCPU-hour)",
            None,
            None,
            unit="vCPU-hours",
            usage=True,
            note=usage_note,
            missing_note=why_unpriced,
        )
    ctx.note(
        "Batch launches instances only while jobs run; min_vcpus is kept running as a fixed floor, "
        "priced as the cheapest listed type that provides it"
    )


def _batch_floor(
    ctx: _Ctx, floor: _Number, priced: list[tuple[float, str, int, Price]], spot: bool, why: str
) -> None:
    """`min_vcpus` kept running: the listed type whose instances provide it at the lowest hourly cost."""
    if floor.value is None:
        ctx.add("Minimum vCPUs kept running", None, None, unit="hours", note=floor.note, usage=False)
        return
    if not priced or spot:
        ctx.add(
            f"Minimum vCPUs kept running ({_fmt(floor.value)} vCPUs)",
            None,
            None,
            unit="hours",
            usage=False,
            missing_note=why,
        )
        return
    need = floor.value
    _, name, vcpu, price = min((math.ceil(need / v) * p.value, n, v, p) for _, n, v, p in priced)
    count = float(math.ceil(need / vcpu))
    ctx.add(
        f"Minimum vCPUs kept running (on-demand, {_fmt(count)} × {name})",
        f"ec2.{name}",
        count * HOURS_PER_MONTH,
        unit="hours",
        price=price,
        note=f"min_vcpus {_fmt(floor.value)} as {_fmt(count)} {name} ({vcpu} vCPUs each)",
    )


EMR_BATCH_ESTIMATORS = {
    "aws_emr_cluster": _aws_emr_cluster,
    "aws_emr_instance_group": _aws_emr_instance_group,
    "aws_emr_instance_fleet": _aws_emr_instance_fleet,
    "aws_batch_compute_environment": _aws_batch_compute_environment,
}
