"""`version_support`: a version past its standard support pays AWS's extended-support price; the
oldest version still in standard support does not.

Row parameters: `calendar` (`eks`: Kubernetes minor versions, `aws_eks_cluster.version`; `rds`: the
major engine versions of `aws_db_instance` / `aws_rds_cluster`, read with the resource's `engine`),
`versions` (for `rds`: each engine's major versions in release order, the candidates to move to),
`remark` (said after the figures: what the upgrade needs).

The calendars are the pricing layer's (`advisor.pricing.estimators.EKS_SUPPORT_ENDS`,
`RDS_EXTENDED_SUPPORT`) and the date is the one prices are computed for (`ADVISOR_PRICE_DATE`, else
today), so the finding and the bill agree on which versions cost more. The figures are the resource
priced at its version and at the suggested one; a version not past standard support is not flagged.
The fix sets the suggested version and is never marked safe: an upgrade needs testing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from advisor.model import Resource
from advisor.rules.context import RuleContext
from advisor.rules.edits import replace_value
from advisor.rules.findings import Draft, draft
from advisor.rules.kinds.registry import kind
from advisor.rules.table import Rule
from advisor.rules.targets import Target, origin_note, targets_in

_MINOR = re.compile(r"^\s*v?(\d+)\.(\d+)")


@kind("version_support")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    return [d for t in targets_in(rule.targets, resources) if (d := check_target(rule, t, ctx)) is not None]


def check_target(rule: Rule, t: Target, ctx: RuleContext) -> Draft | None:
    if t.value is None or not t.value.known or not isinstance(t.value.value, str | int | float):
        return None
    from advisor.pricing.lines import price_date

    today, _ = price_date()
    current = str(t.value.value).strip()
    p = rule.params
    to = _eks_target(current, today) if p["calendar"] == "eks" else _rds_target(t, current, today, p)
    if to is None:
        return None
    before, after = ctx.compare_change(t.resource, t.chain, {t.name: to}, t.element)
    if before is None or after is None or after >= before:
        return None  # the bill must say the old version costs more, or there is nothing to claim
    edits = [replace_value(ctx.texts, t.value, to)]
    remark = f" — {p['remark']}" if p.get("remark") else ""
    head = f"{current} → {to} (past standard support as of {today})"
    note, origin = origin_note(t.value), True
    d = draft(
        rule,
        t,
        ctx,
        head,
        current,
        to,
        before,
        after,
        edits,
        safe=False,
        note=note,
        origin=origin,
        remark=remark,
    )
    d.finding.fix_title = f"Set {t.name} = {to!r}".replace("'", '"')
    return d


def _eks_target(current: str, today: str) -> str | None:
    """The oldest Kubernetes minor version in standard support on `today`, when `current` is past it."""
    from advisor.pricing.estimators import EKS_SUPPORT_ENDS

    match = _MINOR.match(current)
    if match is None:
        return None
    minor = (int(match.group(1)), int(match.group(2)))
    supported = sorted(v for v, (standard_ends, _) in EKS_SUPPORT_ENDS.items() if today <= standard_ends)
    if not supported or minor >= supported[0]:
        return None
    return f"{supported[0][0]}.{supported[0][1]}"


def _rds_target(t: Target, current: str, today: str, p: dict[str, object]) -> str | None:
    """The oldest major version after `current` of the resource's engine not in extended support."""
    from advisor.pricing.estimators import RDS_ENGINES, RDS_EXTENDED_SUPPORT, engine_major

    engine = t.resource.body.attributes.get("engine")
    if engine is None or not engine.known:
        return None
    mapped = RDS_ENGINES.get(str(engine.value))
    versions = p["versions"]
    assert isinstance(versions, dict)
    ordered: list[str] = list(versions.get(mapped or "", []))
    major = engine_major(mapped or "", current)
    window = RDS_EXTENDED_SUPPORT.get((mapped or "", major))
    if window is None or today < window[0] or major not in ordered:
        return None
    for candidate in ordered[ordered.index(major) + 1 :]:
        later = RDS_EXTENDED_SUPPORT.get((mapped or "", candidate))
        if later is None or today < later[0]:
            return candidate
    return None
