"""The records the engine works with: the run's `Options`, one `ModuleJob` per root module or
template, and the one outcome record, `Analysis`, for a module and for a whole tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.config import Config
from advisor.engine.session import Session
from advisor.iac import files as iac_files
from advisor.model import Finding, ParseError, Resource, Span

if TYPE_CHECKING:
    from advisor.iac.frontend import FrontendMemory, Settings
    from advisor.pricing.costs import ResourceCost

TEMPLATE_TYPES = {"aws_launch_template", "aws_launch_configuration"}


@dataclass(slots=True)
class Options:
    region: str | None = None
    config: Config = field(default_factory=Config)
    cli_vars: dict[str, str] = field(default_factory=dict)
    var_files: list[str] = field(default_factory=list)
    select: set[str] = field(default_factory=set)
    ignore: set[str] = field(default_factory=set)
    workspace: str = "default"
    jobs: int = 0
    disk_cache: bool = False
    incremental: bool = False  # keep each module's last results to reuse on the next run (editors)
    # False: outcomes keep each resource's identity and place but not its attributes. Reports that only
    # count and price resources (lint, cost) then store, pass between processes and read back a fifth.
    resource_bodies: bool = True
    # The analysed folders: a link that leads out of them is not followed (empty: each module's own
    # folder). `analyze_paths` sets them to the folders it was given.
    roots: tuple[str, ...] = ()
    # what the runs made with these options remember (one per command-line run, one per server)
    session: Session = field(default_factory=Session, compare=False, repr=False)

    @property
    def default_region(self) -> str:
        return self.region or self.config.region or "us-east-1"

    def settings(self, memory: FrontendMemory | None = None) -> Settings:
        """The front-ends' settings (`memory`: what they may remember, from the session; without it
        they remember nothing)."""
        from advisor.iac.frontend import FrontendMemory, Settings

        return Settings(
            self.default_region,
            dict(self.cli_vars),
            list(self.var_files),
            self.workspace,
            memory=memory or FrontendMemory(),
        )


@dataclass(slots=True)
class ModuleJob:
    """A root module directory, or (with `template`) one CloudFormation template."""

    directory: str
    options: Options
    overlay: dict[str, str] = field(default_factory=dict)
    template: str | None = None
    signature: str = field(default="", init=False, repr=False, compare=False)  # `stored.job_signature`'s


@dataclass(slots=True)
class Analysis:
    """What an analysis produced, for one root module or template (`directory`: the engine's unit of
    work, stored and sent between processes as it is) or for a whole tree (its modules merged by
    `merging.merge`, every field sorted for deterministic output)."""

    directory: str = ""  # the root module's folder ("" for a tree)
    files: list[str] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    costs: list[ResourceCost] = field(default_factory=list)
    not_priced: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # a module's files that could not be read (a tree has them in `errors`)
    read_errors: list[ParseError] = field(default_factory=list)
    # with the disk store: every file (by digest) and folder listing the analysis was made from
    inputs: list[tuple[str, Any]] = field(default_factory=list)
    # the `source` of each module call from a registry or git that is not in .terraform/modules
    remote_modules: list[Span] = field(default_factory=list)
    # variables declared `sensitive` in the module and those it calls (their values never leave)
    sensitive_variables: set[str] = field(default_factory=set)
    sensitive_values: set[str] = field(default_factory=set)  # the strings they take: never shown to an LLM
    export: str = ""  # "plan" or "state": the module is a Terraform export (see `merging.merge`)

    @property
    def monthly_cost(self) -> float:
        return round(sum(c.monthly_cost or 0.0 for c in self.costs), 2)

    @property
    def count_unknown(self) -> int:
        """Resources whose `count` or `for_each` is unknown before apply, each counted once: the one
        figure every output states (lint, cost, JSON, the editor)."""
        return sum(1 for r in self.resources if r.count_unknown)

    @property
    def monthly_savings(self) -> float:
        return round(sum(f.monthly_savings or 0.0 for f in self.findings if (f.monthly_savings or 0) > 0), 2)


REMOTE_MODULE = "module call not analysed (registry/git): run `terraform init`, or pass a plan JSON"


REMOTE_TERRAGRUNT = (
    "Terragrunt module not analysed (remote source, not in .terragrunt-cache): run `terragrunt init`, or "
    "pass a plan JSON"
)


def remote_module_note(where: Span) -> str:
    """What the language server says on the `source` of a module call (or Terragrunt root) not followed."""
    return REMOTE_TERRAGRUNT if iac_files.is_terragrunt_file(where.path) else REMOTE_MODULE


def remote_modules_notice(sources: list[Span]) -> str:
    """The line that ends `lint` and `cost` text output when registry or git module calls were not
    followed (their modules are not in .terraform/modules, or a Terragrunt root's not in
    .terragrunt-cache): their resources are not in the figures."""
    count = len(sources)
    calls = "module call" if count == 1 else "module calls"
    terragrunt = sum(1 for s in sources if iac_files.is_terragrunt_file(s.path))
    init = "`terraform init`"
    if terragrunt:
        init = "`terragrunt init`" if terragrunt == count else "`terraform init` or `terragrunt init`"
    return f"{count} {calls} not analysed (registry/git): run {init}, or pass a plan JSON"
