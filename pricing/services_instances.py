"""Estimators for managed instances billed by the hour outside EC2: SageMaker real-time endpoints and
notebook instances, DMS replication instances and Lightsail instances.

They follow the rules of `estimators.py`: an unknown price is None, never 0, and a line without a
price makes the resource's total unknown. Prices are us-east-1 rows of
`pricing/data/prices_services.csv` (elsewhere the catalog falls back to us-east-1 and says so); only
figures a public record confirms are kept, so many instance types and bundles have no row yet and
their line says "price unknown".

An endpoint is priced through its endpoint configuration, which the front-ends copy onto it as a
nested block (`advisor.iac.frontend.ENDPOINT_CONFIGURATION_BLOCK`); the configuration alone is free.
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.model import HOURS_PER_MONTH, Block

from .lines import MAX_COUNT, _Ctx, _fmt, _join, _Missing, _type_name

# the block `advisor.iac.frontend` gives an endpoint with its configuration's body (pricing may not
# import the front-ends, so the name is repeated; the ML estimator test checks both agree)
ENDPOINT_CONFIGURATION_BLOCK = "_endpoint_configuration"
NOTEBOOK_DEFAULT_VOLUME_GB = 5.0  # AWS's default ML storage of a notebook instance
NOTEBOOK_MAX_VOLUME_GB = 16384.0
DMS_DEFAULT_STORAGE_GB = 50.0  # AWS's default allocated storage of a replication instance
DMS_MAX_STORAGE_GB = 6144.0
# gp2 storage each replication instance includes, by family (AWS's DMS pricing page)
DMS_INCLUDED_STORAGE_GB = {
    "t2": 50.0,
    "t3": 50.0,
    "c4": 100.0,
    "c5": 100.0,
    "c6i": 100.0,
    "r4": 100.0,
    "r5": 100.0,
    "r6i": 100.0,
}


# -- SageMaker ------------------------------------------------------------------------------------------


def _variant_lines(ctx: _Ctx, variant: Block, label: str) -> None:
    """One production (or shadow) variant: instances × hours, or usage-priced when serverless."""
    name_text, _ = ctx.text(variant, "variant_name")
    title = f"{label} {name_text}" if name_text else label
    if ctx.first_block("serverless_config", variant) is not None:
        ctx.add(
            f"{title} (serverless)",
            None,
            None,
            unit="GB-seconds",
            missing_note="serverless inference is billed per request duration and data (depends on usage)",
            usage=True,
        )
        return
    type_name, why = _type_name(ctx, ctx.raw(variant, "instance_type"), "instance_type")
    count = ctx.number(variant, "initial_instance_count", minimum=1, maximum=MAX_COUNT, default=1.0)
    count_note = count.note
    if not count.given and count.value is not None:
        count_note = "initial_instance_count not set: 1 assumed"
    hours = None if count.value is None else count.value * HOURS_PER_MONTH
    line = f"{title} ({type_name or '?'})"
    if type_name is None:
        ctx.add(line, None, hours, unit="hours", note=count_note, missing_note=why, usage=False)
        return
    key = f"sagemaker.hosting.{type_name.lower()}"
    ctx.add(line, key, hours, unit="hours", note=count_note, missing_note=f"price unknown: no row for {key}")


def _aws_sagemaker_endpoint(ctx: _Ctx) -> None:
    """Instance hours of each production variant of the endpoint's configuration."""
    config = ctx.first_block(ENDPOINT_CONFIGURATION_BLOCK)
    if config is None:
        ctx.add(
            "Endpoint instances",
            None,
            None,
            unit="hours",
            missing_note="depends on the endpoint configuration, which was not found in this module",
            usage=False,
        )
        return
    variants = config.nested("production_variants")
    if not variants:
        ctx.add(
            "Endpoint instances",
            None,
            None,
            unit="hours",
            missing_note="the endpoint configuration has no production_variants",
            usage=False,
        )
        return
    for variant in variants:
        _variant_lines(ctx, variant, "Production variant")
    for variant in config.nested("shadow_production_variants"):
        _variant_lines(ctx, variant, "Shadow variant")


def _aws_sagemaker_notebook_instance(ctx: _Ctx) -> None:
    """Instance hours of a notebook instance (it bills while in service) and its ML storage."""
    body = ctx.resource.body
    type_name, why = _type_name(ctx, ctx.raw(body, "instance_type"), "instance_type")
    line = f"Notebook instance ({type_name or '?'})"
    if type_name is None:
        ctx.add(line, None, HOURS_PER_MONTH, unit="hours", missing_note=why)
    else:
        key = f"sagemaker.notebook.{type_name.lower()}"
        ctx.add(line, key, HOURS_PER_MONTH, unit="hours", missing_note=f"price unknown: no row for {key}")
    size = ctx.number(
        body, "volume_size", minimum=5, maximum=NOTEBOOK_MAX_VOLUME_GB, default=NOTEBOOK_DEFAULT_VOLUME_GB
    )
    note = size.note or ("" if size.given else "volume_size not set: AWS's default of 5 GB assumed")
    ctx.add(
        "ML storage (general purpose SSD)",
        "sagemaker.ml_storage",
        size.value,
        unit="GB",
        note=note,
        missing_note="price unknown: no row for sagemaker.ml_storage",
        usage=False if size.value is None else None,
    )


# -- DMS --------------------------------------------------------------------------------------------------


def _aws_dms_replication_instance(ctx: _Ctx) -> None:
    """Instance hours (Multi-AZ bills a standby at the same rate) and gp2 storage above the amount
    the instance class includes."""
    body = ctx.resource.body
    class_name, why = _type_name(
        ctx, ctx.raw(body, "replication_instance_class"), "replication_instance_class"
    )
    multi_az = ctx.flag(body, "multi_az")
    raw_multi = ctx.raw(body, "multi_az")
    unknown_multi = multi_az is None and not isinstance(raw_multi, _Missing) and not raw_multi.known
    multi_note = "multi_az is unknown: Single-AZ assumed" if unknown_multi else ""
    copies = 2.0 if multi_az else 1.0
    deployment = "Multi-AZ" if multi_az else "Single-AZ"
    name = (class_name or "").lower()
    line = f"Replication instance ({class_name or '?'}, {deployment})"
    if class_name is None:
        ctx.add(line, None, copies * HOURS_PER_MONTH, unit="hours", missing_note=why)
    elif not name.startswith("dms."):
        ctx.add(
            line,
            None,
            copies * HOURS_PER_MONTH,
            unit="hours",
            missing_note=f"replication_instance_class = {class_name!r} is not a DMS class (dms.<type>)",
        )
    else:
        key = f"dms.{name.removeprefix('dms.')}"
        ctx.add(
            line,
            key,
            copies * HOURS_PER_MONTH,
            unit="hours",
            note=_join(multi_note, "a primary and a standby instance" if multi_az else ""),
            missing_note=f"price unknown: no row for {key}",
        )
    storage = ctx.number(
        body, "allocated_storage", minimum=5, maximum=DMS_MAX_STORAGE_GB, default=DMS_DEFAULT_STORAGE_GB
    )
    family = name.removeprefix("dms.").split(".")[0] if name.startswith("dms.") else ""
    included = DMS_INCLUDED_STORAGE_GB.get(family)
    storage_note = storage.note or (
        "" if storage.given else "allocated_storage not set: AWS's default of 50 GB assumed"
    )
    if storage.value is None:
        ctx.add("Storage (gp2)", "dms.storage.gp2", None, unit="GB", note=storage_note, usage=False)
        return
    if included is None:
        ctx.add(
            "Storage (gp2)",
            None,
            None,
            unit="GB",
            note=storage_note,
            missing_note=f"storage included with {class_name or 'this class'} is not known",
            usage=False,
        )
        return
    extra = max(storage.value - included, 0.0)
    ctx.add(
        f"Storage (gp2, above the included {_fmt(included)} GB)",
        "dms.storage.gp2",
        extra * copies,
        unit="GB",
        note=_join(storage_note, "Multi-AZ stores a copy on the standby" if multi_az and extra else ""),
    )


# -- Lightsail ------------------------------------------------------------------------------------------


def _aws_lightsail_instance(ctx: _Ctx) -> None:
    """A bundle's fixed price, billed by the hour up to the monthly price (reached at 744 hours)."""
    body = ctx.resource.body
    bundle, why = _type_name(ctx, ctx.raw(body, "bundle_id"), "bundle_id")
    system = "Windows" if bundle and "_win_" in bundle.lower() else "Linux/UNIX"
    line = f"Virtual server ({system}, {bundle or '?'})"
    if bundle is None:
        ctx.add(line, None, HOURS_PER_MONTH, unit="hours", missing_note=why)
        return
    key = f"lightsail.{bundle.lower()}"
    ctx.add(line, key, HOURS_PER_MONTH, unit="hours", missing_note=f"price unknown: no row for {key}")


MANAGED_INSTANCE_ESTIMATORS: dict[str, Callable[[_Ctx], None]] = {
    "aws_sagemaker_endpoint": _aws_sagemaker_endpoint,
    "aws_sagemaker_notebook_instance": _aws_sagemaker_notebook_instance,
    "aws_dms_replication_instance": _aws_dms_replication_instance,
    "aws_lightsail_instance": _aws_lightsail_instance,
}

# No charge by themselves: a configuration is priced on the endpoint that uses it.
MANAGED_INSTANCE_FREE_TYPES = frozenset({"aws_sagemaker_endpoint_configuration", "aws_sagemaker_model"})
