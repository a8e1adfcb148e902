"""Runs every enabled rule of the table on a module's resources, reusing what an edit did not touch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from advisor.deadline import check_deadline
from advisor.model import Finding, Relocation, Resource
from advisor.rules.context import RuleContext
from advisor.rules.findings import Draft, in_other_regions, merge_instances, render, scale_templates
from advisor.rules.kinds import KINDS
from advisor.rules.table import Rule, load_rules
from advisor.rules.targets import MODULE_CALL

Entries = dict[int, tuple[Resource, dict[tuple[str, int], list[Draft]]]]


@dataclass(slots=True)
class FindingReuse:
    """Findings of a module's previous run per resource, for the language server's next run.

    The Terraform front-end hands back the very same `Resource` object for a block the edit did not
    touch (see `ResourceReuse`); what a per-resource rule finds on it depends only on that object and
    the run's settings (`token`), so it is not checked again. The very same drafts, and so the very
    same `Finding` objects, are handed out again, so nothing after the rules changes a finding in
    place: it changes a copy.
    """

    token: tuple[Any, ...] = ()
    entries: Entries = field(default_factory=dict)


class _Checked:
    """One run's view of a `FindingReuse`: what the last run found, and what this run keeps."""

    def __init__(
        self,
        reuse: FindingReuse | None,
        token: tuple[Any, ...],
        relocated: dict[int, tuple[Resource, Relocation]],
    ) -> None:
        self.reuse = reuse
        self.relocated = relocated
        self.previous = reuse.entries if reuse is not None and reuse.token == token else {}
        self.token = token
        self.kept: Entries = {}

    def drafts(
        self,
        key: tuple[str, int],
        res: Resource,
        check: Callable[[Rule, Sequence[Resource], RuleContext], list[Draft]],
        rule: Rule,
        ctx: RuleContext,
    ) -> list[Draft]:
        """`check`'s drafts on `res`, from the previous run when it saw the same resource."""
        if self.reuse is None:
            return check(rule, (res,), ctx)
        entry = self.kept.get(id(res))
        if entry is None:
            entry = self.kept[id(res)] = (res, self._previous(res))
        found = entry[1].get(key)
        if found is None:
            found = entry[1][key] = check(rule, (res,), ctx)
        return found

    def _previous(self, res: Resource) -> dict[tuple[str, int], list[Draft]]:
        old = self.previous.get(id(res))
        if old is not None and old[0] is res:
            return old[1]
        moved = self.relocated.get(id(res))  # the same block, moved by an edit above it
        old = self.previous.get(id(moved[0])) if moved is not None else None
        if moved is None or old is None or old[0] is not moved[0]:
            return {}
        return {key: [d.relocated(moved[1]) for d in found] for key, found in old[1].items()}

    def done(self) -> None:
        if self.reuse is not None:
            self.reuse.token, self.reuse.entries = self.token, self.kept


def check_resources(
    resources: list[Resource],
    ctx: RuleContext,
    reuse: FindingReuse | None = None,
    relocated: dict[int, tuple[Resource, Relocation]] | None = None,
) -> list[Finding]:
    """Every finding of every enabled rule on these resources, merged across count/for_each instances.

    `reuse` carries the previous run's findings of resources that did not change (language server);
    `relocated` maps resources reused at a new place to their old selves and how they moved."""
    drafts: list[Draft] = []
    rules = [r for r in load_rules() if r.id not in ctx.config.disabled_rules]
    token = (
        tuple(r.id for r in rules),
        repr(ctx.config),
        ctx.workspace,
        tuple(ctx.var_files),
        id(ctx.get_catalog()),
    )
    checked = _Checked(reuse, token, relocated or {})
    by_type: dict[str, list[Resource]] = {}
    for res in resources:
        by_type.setdefault(res.type, []).append(res)
    # the arguments of module calls Advisor could not follow (`MODULE_CALL`) are checked only by the
    # rules that name them as targets
    # and copies of resources for the other regions of a region mapping, only by targeted rules
    real = [r for r in resources if r.type != MODULE_CALL and not r.variant_of]
    for rule in rules:
        check_deadline()  # the language server's time budget
        kind = KINDS.get(rule.kind)
        if kind is None:  # reported by the engine itself (parse errors, unused ignores)
            continue
        if kind.scope == "module":  # looks at the module's other resources: never reused
            drafts += kind.check(rule, real, ctx)
        elif not rule.targets:  # every resource
            for res in real:
                drafts += checked.drafts((rule.id, -1), res, kind.check, rule, ctx)
        else:
            for n, part in enumerate(rule.parts):
                for res in by_type.get(part.targets[0][0], ()):
                    drafts += checked.drafts((rule.id, n), res, kind.check, part, ctx)
    checked.done()
    if ctx.silenced is not None:
        drafts = [d for d in drafts if not ctx.silenced(d.finding)]
    drafts = in_other_regions(drafts, resources)
    scale_templates(drafts, resources)
    return render(merge_instances(drafts))
