"""Which operating system an EC2 instance, launch template or launch configuration runs, where the
configuration says so: the AMI it is launched from (an `aws_ami` data source's name filter,
`name_regex` or owner; an SSM public parameter such as `/aws/service/ami-windows-latest/...`; an AMI
description in a plan), `get_password_data = true` (Windows only), an EKS node group's Windows
`ami_type`.

The answer is written on the resource as the attribute `PLATFORM_ATTRIBUTE` (value one of
`windows`, `windows-sql-web`, `windows-sql-standard`, `windows-sql-enterprise`, `rhel`, `suse`, with
the reason in `origin_note`), which pricing reads (`advisor.pricing.licences`). Where nothing says,
or the clues disagree, nothing is written and the instance is priced as Linux: nothing is guessed.
The text is untrusted: every pattern is a bounded, linear regular expression on at most
`MAX_CLUE_CHARS` characters of each clue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from advisor.model import Block, Resource, Value

PLATFORM_ATTRIBUTE = "_platform"  # read by advisor.pricing.licences (same name)
IMAGE_ATTRIBUTES = {
    "aws_instance": "ami",
    "aws_launch_template": "image_id",
    "aws_launch_configuration": "image_id",
}
MAX_CLUE_CHARS = 512
MAX_CLUES = 64

# Accounts that publish only one operating system's AMIs (owner ids as AWS documents them).
OWNER_PLATFORMS = {
    "801119661308": ("windows", "Amazon's Windows AMI account"),
    "309956199498": ("rhel", "Red Hat's AMI account"),
    "013907871322": ("suse", "SUSE's AMI account"),
}
_SQL = re.compile(r"sql[ _-]?(?:server[ _-]?)?(?:\d{4}[ _-]?)?(web|standard|enterprise|express)", re.I)
_WINDOWS = re.compile(r"windows", re.I)
_RHEL = re.compile(r"(?:^|[^a-z])(?:rhel|red ?hat)(?:[^a-z]|$)", re.I)
_SUSE = re.compile(r"suse|(?:^|[^a-z])sles(?:[^a-z]|$)", re.I)
_EDITIONS = {
    "web": "windows-sql-web",
    "standard": "windows-sql-standard",
    "enterprise": "windows-sql-enterprise",
}


def classify(text: str) -> str | None:
    """The platform an AMI name, name pattern, description or SSM parameter path names, or None."""
    text = text[:MAX_CLUE_CHARS]
    if "byol" in text.lower():  # the customer's own licence: billed at the Linux rate
        return None
    found: set[str] = set()
    if _WINDOWS.search(text):
        sql = _SQL.search(text)
        edition = sql.group(1).lower() if sql else ""
        found.add(_EDITIONS.get(edition, "windows"))  # Express is free: plain Windows
    if _RHEL.search(text):
        found.add("rhel")
    if _SUSE.search(text):
        found.add("suse")
    return found.pop() if len(found) == 1 else None


def from_clues(clues: Iterable[tuple[str, str]], owners: Iterable[str] = ()) -> tuple[str, str] | None:
    """(platform, reason) from (what, text) clues such as ("AMI filter", "Windows_Server-2022-*") and
    owner ids; None when they name nothing or disagree."""
    verdicts: dict[str, str] = {}
    for what, text in list(clues)[:MAX_CLUES]:
        platform = classify(text)
        if platform is not None:
            verdicts.setdefault(platform, f"{what} {text[:120]}")
    for owner in list(owners)[:MAX_CLUES]:
        hit = OWNER_PLATFORMS.get(owner.strip())
        if hit is not None and not verdicts:
            verdicts.setdefault(hit[0], f"AMI owner {owner.strip()} ({hit[1]})")
    if len(verdicts) != 1:
        return None
    return next(iter(verdicts.items()))


def ami_data_clues(body: Block) -> tuple[list[tuple[str, str]], list[str]]:
    """Clues of an `aws_ami` data source's configuration: its `name_regex`, the values of its `name`,
    `description`, `platform` and `platform-details` filters, and its owners."""
    clues: list[tuple[str, str]] = []
    regex = body.attributes.get("name_regex")
    if regex is not None and isinstance(regex.value, str):
        clues.append(("AMI name_regex", regex.value))
    for f in body.nested("filter"):
        name = f.attributes.get("name")
        values = f.attributes.get("values")
        if name is None or values is None or not isinstance(name.value, str):
            continue
        if name.value not in ("name", "description", "platform", "platform-details"):
            continue
        items = values.value if isinstance(values.value, list) else [values.value]
        clues += [(f"AMI filter {name.value}", v) for v in items if isinstance(v, str)]
    owners_value = body.attributes.get("owners")
    owners = owners_value.value if owners_value is not None and isinstance(owners_value.value, list) else []
    return clues, [o for o in owners if isinstance(o, str)]


def mark(body: Block, platform: str, reason: str, at: Value | None) -> None:
    """Write the platform on a resource's body (the span is the image attribute's, when known)."""
    body.attributes[PLATFORM_ATTRIBUTE] = Value(
        platform, "resolved", span=at.span if at else None, origin_note=reason
    )
    body.cached_signature = None


def mark_from_values(resources: list[Resource]) -> None:
    """What the resources' own values tell (every front-end calls this before linking launch
    templates): an image id written as an SSM parameter path or `resolve:ssm:` reference, an
    instance's `get_password_data = true`, an EKS node group's Windows `ami_type`. A platform a
    front-end already found from an AMI data source stays."""
    for r in resources:
        body = r.body
        if PLATFORM_ATTRIBUTE in body.attributes:
            continue
        attr = IMAGE_ATTRIBUTES.get(r.type)
        if attr is not None:
            image = body.attributes.get(attr)
            if image is not None and isinstance(image.value, str) and not image.value.startswith("ami-"):
                what = (
                    "SSM image parameter"
                    if "/aws/service/" in image.value or "ssm" in image.value
                    else "image"
                )
                found = from_clues([(what, image.value)])
                if found is not None:
                    mark(body, found[0], found[1], image)
                    continue
        if r.type == "aws_instance":
            password = body.attributes.get("get_password_data")
            if password is not None and password.value is True:
                mark(body, "windows", "get_password_data = true (Windows only)", password)
        elif r.type == "aws_eks_node_group":
            ami_type = body.attributes.get("ami_type")
            if (
                ami_type is not None
                and isinstance(ami_type.value, str)
                and ami_type.value.startswith("WINDOWS_")
            ):
                mark(body, "windows", f"ami_type = {ami_type.value}", ami_type)


def plan_images(doc: dict[str, Any], max_modules: int = 64) -> dict[str, tuple[str, str]]:
    """`aws_ami` data sources a plan or state export read (`prior_state`, `planned_values`, `values`),
    by their image id and by their address (`data.aws_ami.win`): (platform, reason) from their
    `platform_details`, `platform`, name and description."""
    found: dict[str, tuple[str, str]] = {}
    roots: list[Any] = []
    for section in ("prior_state", "planned_values", "values"):
        node = doc.get(section)
        if isinstance(node, dict) and section == "prior_state":
            node = node.get("values")
        if isinstance(node, dict):
            roots.append(node.get("root_module"))
    seen = 0
    while roots and seen < max_modules:
        module = roots.pop()
        seen += 1
        if not isinstance(module, dict):
            continue
        children = module.get("child_modules")
        roots.extend(children if isinstance(children, list) else [])
        resources = module.get("resources")
        for r in resources if isinstance(resources, list) else []:
            if not isinstance(r, dict) or r.get("mode") != "data" or r.get("type") != "aws_ami":
                continue
            raw = r.get("values")
            values: dict[str, Any] = raw if isinstance(raw, dict) else {}
            clues = [
                (f"AMI {k}", v)
                for k in ("platform_details", "platform", "name", "description")
                if isinstance(v := values.get(k), str) and v
            ]
            verdict = from_clues(clues)
            address = r.get("address")
            if verdict is None:
                continue
            if isinstance(address, str):
                verdict = (verdict[0], f"{verdict[1]} ({address[:200]})")
            if isinstance(address, str):
                found.setdefault(address, verdict)
            for key in ("id", "image_id"):
                if isinstance(values.get(key), str):
                    found.setdefault(values[key], verdict)
    return found


def mark_from_plan(resources: list[Resource], images: dict[str, tuple[str, str]]) -> None:
    """Instances and launch templates of a plan launched from one of `images` (by the planned image
    id, or by a reference of their configuration to the data source)."""
    if not images:
        return
    for r in resources:
        attr = IMAGE_ATTRIBUTES.get(r.type)
        if attr is None or PLATFORM_ATTRIBUTE in r.body.attributes:
            continue
        image = r.body.attributes.get(attr)
        hit = images.get(image.value) if image is not None and isinstance(image.value, str) else None
        if hit is None:
            refs = [images[ref] for ref in r.references if ref.startswith("data.aws_ami.") and ref in images]
            hit = refs[0] if refs else None
        if hit is not None:
            mark(r.body, hit[0], hit[1], image)
