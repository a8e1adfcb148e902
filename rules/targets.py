"""The places a rule row's targets point at in a resource: (nested) blocks and their attributes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from advisor.model import Block, Resource, Value

# `Resource.type` of a module call whose module is not analysed: a resource holding the call's
# arguments, checked only by the rules that name `module:<argument>` targets
MODULE_CALL = "module"


@dataclass(slots=True)
class Target:
    """One place a rule looks at: the attribute `name` of `block` (a body inside `resource`)."""

    resource: Resource
    block: Block
    chain: tuple[int, ...]  # indexes of nested blocks from the resource body down to `block`
    name: str
    value: Value | None
    element: int | None = None

    @property
    def path(self) -> str:
        """The attribute's dotted path from the resource (`root_block_device.volume_type`, `x[0]`)."""
        names = []
        block = self.resource.body
        for i in self.chain:
            block = block.blocks[i]
            names.append(block.type)
        names.append(self.name)
        if self.element is not None:
            names[-1] += f"[{self.element}]"
        return ".".join(names)


def iter_targets(resource: Resource, path: tuple[str, ...], each: bool) -> Iterator[Target]:
    yield from _walk_targets(resource, each, resource.body, path, ())


def _walk_targets(
    resource: Resource, each: bool, block: Block, steps: tuple[str, ...], chain: tuple[int, ...]
) -> Iterator[Target]:
    # A module-level function, not a recursive closure: a closure that calls itself is a reference
    # cycle, left for the cyclic collector on every call.
    if steps[0] == "**":  # any depth of nested blocks, none included (what a module call passes)
        yield from _walk_targets(resource, each, block, steps[1:], chain)
        for i, child in enumerate(block.blocks):
            yield from _walk_targets(resource, each, child, steps, (*chain, i))
        return
    if len(steps) == 1:
        names = list(block.attributes) if steps[0] == "*" else [steps[0]]  # `*`: every attribute
        for name in names:
            value = block.attributes.get(name)
            if each and value is not None and isinstance(value.elements, list):
                for i, el in enumerate(value.elements):
                    yield Target(resource, block, chain, name, el, i)
            elif not each:
                yield Target(resource, block, chain, name, value)
        return
    for i, child in enumerate(block.blocks):
        if child.type == steps[0]:
            yield from _walk_targets(resource, each, child, steps[1:], (*chain, i))


def number(v: Value | None) -> float | None:
    """A known numeric value, else None."""
    if v is None or not v.known:
        return None
    try:
        return float(v.value)
    except (TypeError, ValueError):
        return None


def origin_note(value: Value | None) -> str:
    """Where a value that is not written in place comes from (` (value from variable default)`)."""
    if value is None or not value.origin_note or value.kind == "literal":
        return ""
    return f" (value from {value.origin_note})"


def targets_in(
    targets: tuple[tuple[str, tuple[str, ...], bool], ...], resources: Sequence[Resource]
) -> Iterator[Target]:
    """Every place the targets point at in these resources, target by target."""
    for rtype, path, each in targets:
        for res in resources:
            if res.type == rtype:
                yield from _walk_targets(res, each, res.body, path, ())
