"""The contract every front-end implements (Terraform, Terragrunt, CloudFormation, plan JSON).

A front-end is a function `(path, Settings, Reader, …) → ModuleResult`: it reads what it needs through
the `Reader` (the engine's, which checks size caps, links and the time budget, and records what was
read), fills the neutral model (`advisor.model`: `Resource`, `Block`, `Value` with spans) and returns
it with the errors and notes met on the way. Nothing above the front-ends imports a front-end's own
module to understand its result: what a later layer needs (a template's key for an attribute, a
resource's launch template) is in the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from advisor.cache import BoundedCache
from advisor.iac.hcl_ast import BlockNode
from advisor.iac.hcl_parse import HclParser
from advisor.model import ParseError, Relocation, Resource, Span, Value, base_address

Reader = Callable[[str], str | None]  # a file's text, or None when it cannot be read (said by the reader)

TARGETS_LIMIT = 50_000  # blocks whose references are remembered (`FrontendMemory.targets`)
# (the block itself, resource `type.name`s, `data.type.name`s, module call names it refers to)
Targets = tuple[BlockNode, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@dataclass(slots=True)
class FrontendMemory:
    """What a session lends the front-ends to remember between runs: the HCL parser's caches and the
    references of each parsed block (an edit reuses the syntax trees of the blocks it did not touch).
    Made with no arguments, it remembers only for the run that made it."""

    parser: HclParser = field(default_factory=HclParser)
    targets: BoundedCache[int, Targets] = field(
        default_factory=lambda: BoundedCache("block references", TARGETS_LIMIT, recency=False)
    )


@dataclass(slots=True)
class Settings:
    """What the user chose for a run, as the front-ends need it."""

    default_region: str = "us-east-1"
    cli_vars: dict[str, str] = field(default_factory=dict)
    var_files: list[str] = field(default_factory=list)
    workspace: str = "default"
    # a Terragrunt root's `inputs` (Terragrunt passes them as TF_VAR_ variables: tfvars and --var win)
    inputs: dict[str, Value] = field(default_factory=dict)
    memory: FrontendMemory = field(default_factory=FrontendMemory, compare=False, repr=False)


@dataclass(slots=True)
class ModuleResult:
    """Resources of a module tree (or template, or plan), and what went wrong or was skipped reading it."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sensitive_variables: set[str] = field(default_factory=set)
    # the text of every string the sensitive variables take (defaults, .tfvars, --var, module arguments):
    # explanations scrub them wherever they appear
    sensitive_values: set[str] = field(default_factory=set)
    # resources reused from a previous run at a new place → (the old resource, how it moved)
    relocated: dict[int, tuple[Resource, Relocation]] = field(default_factory=dict)
    resource_ignores: dict[str, set[str]] = field(default_factory=dict)  # address → rule ids (metadata)
    # the `source` of each module call from a registry or git whose module is not in .terraform/modules
    remote_modules: list[Span] = field(default_factory=list)
    export: str = ""  # "plan" or "state" for a Terraform export (`terraform show -json`)
    # each module call whose module is not analysed (registry or git, not fetched), as a resource of
    # type "module" holding the call's arguments: checked by the rules that name `module:<argument>`
    # targets (an `instance_type = "t2.medium"` passed on), never priced or counted as a resource
    unanalysed_calls: list[Resource] = field(default_factory=list)
    # copies of resources whose values a CloudFormation region mapping sets (`Fn::FindInMap` keyed by
    # `AWS::Region`), one per other region the mapping lists (`Resource.variant_of`): checked by the
    # rules with that region's prices, so a choice written for another region is seen; never counted
    region_variants: list[Resource] = field(default_factory=list)


# What launches a launch template's instances (same module), and the nested block a launcher is given
# with the template's body, for pricing (`advisor.pricing.estimators.LAUNCHED_BLOCK`).
LAUNCHERS = ("aws_autoscaling_group", "aws_eks_node_group", "aws_instance")
LAUNCHED_BLOCK = "_launch_template"


def link_launch_templates(resources: list[Resource]) -> None:
    """Give each launcher (autoscaling group, EKS node group, instance) the launch template it uses
    (same module): its instance type and a copy of its body, labelled with the template's type. ECS
    services get the size of their task definition. Every front-end calls it once its resources are
    made; it may run again on a resource the language server reuses, and gives the same result.
    What the resources' values say of their operating system is written first, so that a launcher
    gets its template's (`advisor.iac.platform`)."""
    from advisor.iac.platform import mark_from_values

    mark_from_values(resources)
    templates = {
        base_address(r.address): r
        for r in resources
        if r.type in ("aws_launch_template", "aws_launch_configuration")
    }
    for r in resources:
        if r.type not in LAUNCHERS:
            continue
        for ref in r.references:
            target = templates.get(f"{r.module_path + '.' if r.module_path else ''}{ref}")
            if target is None:
                continue
            it = target.body.attributes.get("instance_type")
            if it is not None:
                r.body.attributes["_launch_instance_type"] = it
            r.launch_template = target.address
            launched = target.body.fresh_copy()
            launched.type, launched.labels = LAUNCHED_BLOCK, [target.type]
            r.body.blocks = [b for b in r.body.blocks if b.type != LAUNCHED_BLOCK] + [launched]
            r.body.cached_signature = None
            break
    _link_task_definitions(resources)
    _link_endpoint_configurations(resources)


# Task definition facts an ECS service's Fargate price needs: (attribute path there, name given here).
_TASK_FACTS = (
    ("cpu", "_task_cpu"),
    ("memory", "_task_memory"),
    ("runtime_platform.cpu_architecture", "_task_cpu_architecture"),
    ("ephemeral_storage.size_in_gib", "_task_ephemeral_storage_gib"),
    ("requires_compatibilities", "_task_requires_compatibilities"),
)


def _link_task_definitions(resources: list[Resource]) -> None:
    """Give ECS services the size of the task definition they run (same module), found through the
    references recorded for the service, as autoscaling groups get their launch template's type."""
    definitions = {base_address(r.address): r for r in resources if r.type == "aws_ecs_task_definition"}
    if not definitions:
        return
    for r in resources:
        if r.type != "aws_ecs_service":
            continue
        for ref in r.references:
            target = definitions.get(f"{r.module_path + '.' if r.module_path else ''}{ref}")
            if target is None:
                continue
            for path, name in _TASK_FACTS:
                value = target.attr(path)
                if value is not None:
                    r.body.attributes[name] = value
            r.body.attributes["_task_definition"] = Value(target.address, "literal")
            r.body.cached_signature = None
            break


# The nested block a SageMaker endpoint is given with its endpoint configuration's body, for pricing
# (`advisor.pricing.services_instances.ENDPOINT_CONFIGURATION_BLOCK`).
ENDPOINT_CONFIGURATION_BLOCK = "_endpoint_configuration"


def _link_endpoint_configurations(resources: list[Resource]) -> None:
    """Give each SageMaker endpoint a copy of its endpoint configuration's body (same module), found
    through a reference (`aws_sagemaker_endpoint_configuration.x.name`, `!GetAtt Config...`) or, for
    a literal `endpoint_config_name`, by the configuration's `name`: the endpoint is priced on its
    production variants, the configuration alone costs nothing. A link made on an earlier run is
    dropped first, so an endpoint whose configuration was removed is no longer priced on it."""
    configs = [r for r in resources if r.type == "aws_sagemaker_endpoint_configuration"]
    by_address = {base_address(r.address): r for r in configs}
    by_name: dict[tuple[str, str], Resource] = {}
    for r in configs:
        name = r.body.attributes.get("name")
        if name is not None and name.known and isinstance(name.value, str):
            by_name.setdefault((r.module_path, name.value), r)
    for r in resources:
        if r.type != "aws_sagemaker_endpoint":
            continue
        prefix = f"{r.module_path}." if r.module_path else ""
        target = next((by_address[prefix + ref] for ref in r.references if prefix + ref in by_address), None)
        written = r.body.attributes.get("endpoint_config_name")
        if target is None and written is not None and written.known and isinstance(written.value, str):
            target = by_name.get((r.module_path, written.value))
        r.body.blocks = [b for b in r.body.blocks if b.type != ENDPOINT_CONFIGURATION_BLOCK]
        if target is not None:
            linked = target.body.fresh_copy()
            linked.type, linked.labels = ENDPOINT_CONFIGURATION_BLOCK, [target.type]
            r.body.blocks.append(linked)
        r.body.cached_signature = None


def string_leaves(value: Any) -> Iterator[str]:
    """Every string inside a value (map values, list elements), depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from string_leaves(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from string_leaves(v)
