"""A tree's analysis from its modules' outcomes: each resource, finding and error once.

A module folder that a root module calls (or a Terragrunt root runs, or a plan stands for) is analysed
through that call, with its real inputs, and not again on its own; a finding two modules share is
kept once per root: when two roots reach the same place (a module both call, a variables file both
read), each root's finding stays and says whose it is, since each root is a deployment of its own.
A state export beside a plan export (`terraform show -json` of both, in one folder) is the same
infrastructure before the plan: only the plan is counted, and a note says so.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from advisor.engine.pipeline import is_terragrunt_root
from advisor.engine.records import Analysis, ModuleJob
from advisor.iac.files import is_terraform_file, is_tfvars_file
from advisor.model import Finding, ParseError


def merge(
    jobs: list[ModuleJob], outcomes: list[Analysis], files: list[str], errors: list[ParseError]
) -> Analysis:
    """The analysis of a tree whose discovery found `files` (and `errors`), from its jobs' outcomes."""
    analysis = Analysis(errors=list(errors))
    seen_inputs: set[str] = set()
    for o in outcomes:
        for name, recorded in o.inputs:
            if name not in seen_inputs:
                seen_inputs.add(name)
                analysis.inputs.append((name, recorded))
    child_dirs: set[str] = set()
    terragrunt = {j.directory for j in jobs if is_terragrunt_root(j)}
    for job, o in zip(jobs, outcomes, strict=True):
        if job.template is not None or job.directory in terragrunt:
            # a plan stands for the configuration beside it (it read it), and a Terragrunt root for the
            # module it runs: those folders are not counted again
            child_dirs.update(os.path.dirname(p) or "." for p in o.files if is_terraform_file(p))
            continue
        for path in o.files:
            d = os.path.dirname(path) or "."
            if d != o.directory:
                child_dirs.add(d)
    superseded = _states_beside_plans(jobs, outcomes)
    for state, plan in superseded.items():
        analysis.notes.append(f"{state}: a state export beside the plan {plan}; only the plan is counted")
    seen_findings: dict[tuple[Any, ...], set[str]] = {}  # place, rule, value → the roots with that finding
    roots_at: dict[tuple[Any, ...], set[str]] = {}  # place and rule → the roots with a finding there
    found: list[tuple[Finding, str, tuple[Any, ...]]] = []
    seen_errors: set[tuple[Any, ...]] = set()
    seen_files: set[str] = set()
    for job, o in zip(jobs, outcomes, strict=True):
        seen_files.update(o.files)
        if job.template is None and o.directory in child_dirs and job.directory not in terragrunt:
            continue  # analysed through the module call that uses it, with its real inputs
        if job.template in superseded:
            continue
        analysis.resources.extend(o.resources)
        analysis.costs.extend(o.costs)
        analysis.not_priced.extend(o.not_priced)
        analysis.notes.extend(o.notes)
        analysis.remote_modules.extend(o.remote_modules)
        analysis.sensitive_variables |= o.sensitive_variables
        analysis.sensitive_values |= o.sensitive_values
        root = job.template or job.directory
        for f in o.findings:
            place = (f.span.path, f.span.start, f.span.end, f.span.line)
            # one place may hold several values (a module's `var.x`, set differently by each call)
            at = (f.rule, *place)
            fkey = (*at, f.message if not f.resource else str(f.current))
            roots = seen_findings.setdefault(fkey, set())
            if not f.resource and roots:
                continue  # about the file itself (a syntax error, an unused ignore): said once
            if root not in roots:
                roots.add(root)
                roots_at.setdefault(at, set()).add(root)
                found.append((f, root, at))
        for e in [*o.errors, *o.read_errors]:
            ekey = (e.path, e.message, e.span.line if e.span else -1)
            if ekey not in seen_errors:
                seen_errors.add(ekey)
                analysis.errors.append(e)
    for f, root, at in found:
        # two roots with a finding at one place (whatever value each passes): each says whose it is;
        # a Terragrunt root says so itself
        shared = len(roots_at[at]) > 1 and root not in terragrunt
        analysis.findings.append(_as_called_by(f, root) if shared else f)
    listed = {f for f in files if is_terraform_file(f) or is_tfvars_file(f)}
    analysis.files = sorted({os.path.normpath(f) for f in seen_files | listed})  # `./main.tf` is `main.tf`
    analysis.findings.sort(key=Finding.sort_key)
    analysis.errors.sort(key=lambda e: (e.path, e.span.line if e.span else -1, e.message))
    analysis.costs.sort(key=lambda c: (c.path, c.line, c.address))
    analysis.resources.sort(key=lambda r: (r.path, r.span.line, r.address))
    analysis.not_priced.sort()
    analysis.remote_modules = sorted(set(analysis.remote_modules), key=lambda s: (s.path, s.line, s.column))
    return analysis


def _states_beside_plans(jobs: list[ModuleJob], outcomes: list[Analysis]) -> dict[str, str]:
    """State export → the plan export in its folder (the first by name) that stands for it."""
    plans: dict[str, str] = {}
    for job, o in zip(jobs, outcomes, strict=True):
        if job.template is not None and o.export == "plan":
            plans.setdefault(os.path.dirname(job.template), job.template)
    out: dict[str, str] = {}
    for job, o in zip(jobs, outcomes, strict=True):
        if job.template is not None and o.export == "state":
            plan = plans.get(os.path.dirname(job.template))
            if plan is not None:
                out[job.template] = plan
    return out


def _as_called_by(finding: Finding, root: str) -> Finding:
    """A copy of a finding two roots share the place of, naming the root it is for."""
    named = copy.copy(finding)
    named.message = f"{finding.message} (as called by root {os.path.normpath(root)})"
    return named
