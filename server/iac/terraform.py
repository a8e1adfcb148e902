"""The Terraform front-end: a module directory's files in, resource instances out.

Within a module it evaluates variables (defaults, terraform.tfvars, *.auto.tfvars, --var-file,
--var), locals, count / for_each multiplicity, the aws provider's region, and local module calls
(arguments flow into the child's variables; remote modules are read from .terraform/modules when
present). Anything it cannot know before apply stays unknown with a reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.deadline import check_deadline
from advisor.iac.files import is_terraform_file
from advisor.iac.frontend import (
    LAUNCHERS,
    FrontendMemory,
    ModuleResult,
    Reader,
    Settings,
    Targets,
    link_launch_templates,
    string_leaves,
)
from advisor.iac.hcl_ast import (
    Attribute,
    BinOp,
    BlockNode,
    Call,
    Cond,
    Expr,
    ForExpr,
    Index,
    Lit,
    ObjectExpr,
    Opaque,
    Ref,
    Splat,
    Template,
    TupleExpr,
    Unary,
)
from advisor.iac.hcl_eval import AFTER_APPLY, RESOURCE_ROOT, Budget, Evaluator, Scope
from advisor.iac.hcl_parse import HclFile, HclParser, Locator, ParsedItem, parse_hcl
from advisor.iac.platform import IMAGE_ATTRIBUTES, ami_data_clues
from advisor.iac.platform import from_clues as platform_from_clues
from advisor.iac.platform import mark as mark_platform
from advisor.model import Block, ParseError, Relocation, Resource, Span, Value

# Limits on what one configuration can make Advisor evaluate. Past one, the block is not expanded and an
# error (incomplete: batch runs exit 3) says so: a total that leaves instances out is never silent.
# Real configurations stay far below: a few hundred instances of one block, a few thousand in a root.
MAX_INSTANCES = 10_000  # instances of one resource or module block (count, for_each) and dynamic blocks
MAX_ROOT_INSTANCES = 50_000  # resource and module instances of a root module with all its module calls
# Module calls nested deeper than this are not followed (public modules nest four or five levels; a
# cycle is caught on its own, so this bounds only long chains of distinct directories).
MAX_MODULE_DEPTH = 32
# Blocks an editor run compares before reusing a resource block's result (the blocks its references
# read, directly or through others); a block that reads more is evaluated again on every edit.
MAX_DEPENDENCIES = 64
# Called module instances evaluated to answer `module.x.output` references, per root: each is a module
# evaluation of its own, so a configuration that fans them out cannot multiply the work without bound.
MAX_OUTPUT_SOURCES = 1_000
# References followed from block to block at once (`a.x = b.x`, `b.x = c.x` …): each evaluates another
# block's argument in a scope of its own, so the chain is bounded here rather than by `hcl_eval`'s depth.
MAX_REFERENCE_CHAIN = 16
# Meta-arguments Terraform reads itself, not the provider: a resource's, and a module call's (whose
# `source`, `version` and `providers` are ordinary arguments of resources: `aws_eks_cluster.version`).
RESOURCE_META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle"})
MODULE_META_ARGUMENTS = RESOURCE_META_ARGUMENTS | {"providers", "source", "version"}


@dataclass(slots=True)
class _Reused:
    """What evaluating one resource block produced, with the side effects to replay."""

    item: ParsedItem  # kept alive, so its id cannot be handed to another block
    extra: tuple[Any, ...]
    resources: list[Resource]
    notes: list[str]
    errors: list[ParseError] = field(default_factory=list)
    # the resource and data blocks whose configuration it may read (compared by identity), or None
    # when there are too many to compare: then it is never reused
    seen: tuple[ParsedItem, ...] | None = ()


@dataclass(slots=True)
class ResourceReuse:
    """The resources a root module's previous evaluation built, for the language server's next run.

    An edit re-parses only the chunk it touched; every other chunk keeps its syntax tree (chunks are
    cached by text), and a chunk that did not move keeps its very `ParsedItem`. A resource block
    evaluates to the same resources as long as nothing it can see changed: the `token` holds the
    variables, locals, providers, tfvars and settings of the run (by identity: the same text at the
    same place), and each entry the block's references. A block that did not move gets the very same
    objects back (evaluation never mutates what it returns; autoscaling groups, linked afterwards, are
    never reused); one that moved gets copies with its spans moved (`Relocation`).
    """

    token: tuple[Any, ...] = ()
    entries: dict[tuple[int, str], _Reused] = field(default_factory=dict)


def _same_items(a: tuple[ParsedItem, ...] | None, b: tuple[ParsedItem, ...] | None) -> bool:
    """The same blocks at the same places (identity), in the same order."""
    if a is None or b is None or len(a) != len(b):
        return False
    return all(x is y for x, y in zip(a, b, strict=True))


def _same_token(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Values are compared by equality, objects (parsed items, locators) by identity."""
    if len(a) != 2 or len(b) != 2 or a[0] != b[0] or len(a[1]) != len(b[1]):
        return False
    return all(x is y for x, y in zip(a[1], b[1], strict=True))


def parse_file(path: str, text: str, parser: HclParser | None = None) -> HclFile:
    """Parse a `.tf`, `.tfvars` or their `.json` forms into items with positions."""
    if path.endswith(".json"):
        from advisor.iac.tf_json import parse_tf_json

        return parse_tf_json(path, text)  # its few `${…}` strings are parsed once each, not remembered
    return parse_hcl(path, text, parser)


@dataclass(slots=True)
class _Tree:
    """What a root module and all the modules it calls share: the limits they count against."""

    instances: int = 0  # resource and module instances expanded so far (MAX_ROOT_INSTANCES)
    output_sources: int = 0  # called module instances evaluated to answer outputs (MAX_OUTPUT_SOURCES)
    budget: Budget = field(default_factory=Budget)  # what expressions built (hcl_eval.MAX_BUILT)


def read_disk(path: str) -> str | None:
    """A file's text through `files.read_file` (regular files within the size cap; links that leave
    the file's own folder are not followed), or None."""
    from advisor.iac.files import read_file, real_roots

    data = read_file(path, roots=real_roots([os.path.dirname(path) or "."])).data
    try:
        return data.decode("utf-8-sig") if data is not None else None
    except UnicodeDecodeError:
        return None


def iter_refs(expr: Expr) -> Iterator[Ref]:
    """Every traversal inside an expression."""
    stack: list[Any] = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Ref):
            yield e
            stack.extend(p for p in e.parts if not isinstance(p, (str, int)))
        elif isinstance(e, Template):
            stack.extend(p for p in e.parts if not isinstance(p, str))
        elif isinstance(e, Call):
            stack.extend(e.args)
        elif isinstance(e, Cond):
            stack.extend((e.cond, e.then, e.other))
        elif isinstance(e, BinOp):
            stack.extend((e.left, e.right))
        elif isinstance(e, Unary):
            stack.append(e.operand)
        elif isinstance(e, TupleExpr):
            stack.extend(e.items)
        elif isinstance(e, ObjectExpr):
            for k, v in e.items:
                stack.append(v)
                if not isinstance(k, str):
                    stack.append(k)
        elif isinstance(e, Index):
            stack.append(e.target)
            if not isinstance(e.key, (str, int)):
                stack.append(e.key)
        elif isinstance(e, ForExpr):
            stack.extend(x for x in (e.collection, e.key, e.value, e.cond) if x is not None)
        elif isinstance(e, Splat):
            stack.append(e.target)
            stack.extend(p for p in e.accessors if not isinstance(p, (str, int)))
        elif isinstance(e, Opaque):
            stack.extend(e.inner)


def _block_refs(block: BlockNode) -> Iterator[Ref]:
    for a in block.attributes:
        yield from iter_refs(a.expr)
    for b in block.blocks:
        yield from _block_refs(b)


def resource_targets(block: BlockNode, memory: FrontendMemory) -> tuple[str, ...]:
    """`type.name` of every resource a block refers to, remembered per (immutable) block.

    An edit reuses the syntax trees of the blocks it did not touch, so their references are not walked
    again; the block is kept with its entry so a recycled `id()` can never answer for another block.
    """
    return _targets(block, memory)[1]


def data_targets(block: BlockNode, memory: FrontendMemory) -> tuple[str, ...]:
    """`data.type.name` of every data source a block refers to (remembered with `resource_targets`)."""
    return _targets(block, memory)[2]


def module_targets(block: BlockNode, memory: FrontendMemory) -> tuple[str, ...]:
    """The names of the module calls whose outputs a block reads (`module.<name>.…`)."""
    return _targets(block, memory)[3]


def _targets(block: BlockNode, memory: FrontendMemory) -> Targets:
    hit = memory.targets.get(id(block))
    if hit is not None and hit[0] is block:
        return hit
    found: list[str] = []
    data: list[str] = []
    modules: list[str] = []
    for ref in _block_refs(block):
        parts = ref.parts
        if len(parts) >= 2 and isinstance(parts[0], str) and isinstance(parts[1], str) and "_" in parts[0]:
            found.append(f"{parts[0]}.{parts[1]}")
        elif len(parts) >= 3 and parts[0] == "data" and all(isinstance(p, str) for p in parts[1:3]):
            data.append(f"data.{parts[1]}.{parts[2]}")
        elif len(parts) >= 2 and parts[0] == "module" and isinstance(parts[1], str):
            modules.append(parts[1])
    return memory.targets.put(id(block), (block, tuple(found), tuple(data), tuple(modules)))


class ModuleEvaluator:
    """Evaluates one module directory (and, recursively, the local modules it calls)."""

    def __init__(
        self,
        directory: str,
        files: list[HclFile],
        settings: Settings,
        read: Reader,
        *,
        address_prefix: str = "",
        inputs: Mapping[str, Value] | None = None,
        tfvars: list[HclFile] | None = None,
        region: Value | None = None,
        provider_tags: dict[str, Any] | None = None,
        depth: int = 0,
        root_dir: str | None = None,
        reuse: ResourceReuse | None = None,
        tree: _Tree | None = None,
        calls: tuple[tuple[str, str], ...] = (),
        count_unknown: bool = False,
    ) -> None:
        self.dir = directory
        self.count_unknown = count_unknown  # called by a module block whose count or for_each is unknown
        self.tree = tree or _Tree()
        # (module address, real directory) of each module evaluation from the root to this one
        self.calls = (*calls, (address_prefix.rstrip(".") or "the root module", os.path.realpath(directory)))
        self.files = files
        self.settings = settings
        self.read = read
        self.prefix = address_prefix
        self.inputs = inputs
        self.tfvars = tfvars or []
        self.depth = depth
        self.root_dir = root_dir or directory
        self.result = ModuleResult(files=[f.path for f in files])
        self.variables: dict[str, ParsedItem] = {}
        self.local_exprs: dict[str, tuple[Attribute, Locator]] = {}
        self.resources: list[ParsedItem] = []
        # resource and data blocks by (type, name), data types as `data.aws_ami`: their configuration
        # answers references to what it states (`aws_rds_cluster.main.engine`)
        self._declared: dict[tuple[str, str], ParsedItem] = {}
        self._configured_cache: dict[tuple[str, str, Any, str], Value] = {}
        self._configured_busy: set[tuple[str, str, Any, str]] = set()
        self._instance_keys: dict[tuple[str, str], dict[Any, dict[str, Any]] | None] = {}
        self._closures: dict[tuple[str, str], tuple[ParsedItem, ...] | None] = {}
        # (module call name, instance key) → the child evaluator that answers its outputs
        self._output_sources: dict[tuple[str, Any], ModuleEvaluator | Value] = {}
        self.modules: list[ParsedItem] = []
        self.providers: list[ParsedItem] = []
        for f in files:
            self.result.errors.extend(f.errors)
            for pi in f.items:
                item = pi.item
                if not isinstance(item, BlockNode):
                    continue
                if item.type == "variable" and item.labels:
                    self.variables[item.labels[0]] = pi
                elif item.type == "locals":
                    for a in item.attributes:
                        self.local_exprs[a.name] = (a, pi.at)
                elif item.type == "resource" and len(item.labels) >= 2:
                    self.resources.append(pi)
                    self._declared[(item.labels[0], item.labels[1])] = pi
                elif item.type == "data" and len(item.labels) >= 2:
                    self._declared[(f"data.{item.labels[0]}", item.labels[1])] = pi
                elif item.type == "module" and item.labels:
                    self.modules.append(pi)
                elif item.type == "provider" and item.labels and item.labels[0] == "aws":
                    self.providers.append(pi)
        self._targets: dict[str, list[str]] = {}
        self._var_cache: dict[str, Value] = {}
        self._local_cache: dict[str, Value] = {}
        self._locals_busy: set[str] = set()
        self._base = Evaluator(self._scope({}))
        self.region = region or self._provider_region(None)
        self.inherited_tags = provider_tags
        self.reuse = reuse if inputs is None else None  # a child module's resources depend on its call
        self._reused: dict[tuple[int, str], _Reused] = {}

    # -- scope ---------------------------------------------------------------------------------------
    def _scope(self, extra: dict[str, Callable[[tuple[Any, ...], Ref, Locator], Value]]) -> Scope:
        roots: dict[str, Callable[[tuple[Any, ...], Ref, Locator], Value]] = {
            "var": self._resolve_var,
            "local": self._resolve_local,
            "path": self._resolve_path,
            "terraform": self._resolve_terraform,
            "data": self._resolve_data,
            "module": self._resolve_module,
            RESOURCE_ROOT: self._resolve_resource,
        }
        roots.update(extra)
        return Scope(roots, budget=self.tree.budget)

    def _resolve_path(self, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        where = {"module": self.dir, "root": self.root_dir, "cwd": os.getcwd()}.get(
            str(rest[0]) if rest else ""
        )
        if where is None:
            return Value(None, "unknown", reason=f"{ref.dotted()} is not known")
        return Value(where, "resolved")

    def _resolve_terraform(self, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        if rest and rest[0] == "workspace":
            return Value(self.settings.workspace, "resolved")
        return Value(None, "unknown", reason=f"{ref.dotted()} is not known")

    def _resolve_resource(self, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        """`aws_rds_cluster.main.engine`: `rest` is (type, name, …)."""
        if len(rest) < 2:
            return Value(None, "unknown", reason=f"{ref.dotted()} is known only after apply")
        return self._configured(str(rest[0]), rest[1:], ref, at)

    def _resolve_data(self, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        if len(rest) < 2:
            return Value(None, "unknown", reason=f"{ref.dotted()} is known only after apply")
        return self._configured(f"data.{rest[0]}", rest[1:], ref, at)

    def _configured(self, kind: str, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        """What another block of this module states: an argument written in it (a literal or an
        expression known here) is known; anything else (`id`, `arn`, attributes the provider
        computes, nested blocks) is known only after apply. `rest` is (name, [instance key], …)."""
        after_apply = Value(None, "unknown", reason=f"{ref.dotted()} is known only after apply")
        name = str(rest[0])
        pi = self._declared.get((kind, name))
        if pi is None:
            return after_apply
        block = pi.item
        assert isinstance(block, BlockNode)
        after = rest[1:]
        instances = self._instances_of(kind, name, pi)
        if instances is not None and not after:  # counted, and all of its instances asked for
            return self._whole(kind, name, pi, instances)
        picked = _pick_instance(kind, name, block, instances, after)
        if isinstance(picked, Value):
            return picked
        key, roots, after = picked
        if not after:
            return self._object(kind, name, pi, key, roots)
        attribute = after[0]
        if not isinstance(attribute, str) or attribute in RESOURCE_META_ARGUMENTS:
            return after_apply
        if block.attr(attribute) is None:
            written = (b.labels[0] if b.type == "dynamic" and b.labels else b.type for b in block.blocks)
            if attribute in written:  # nested blocks: a list of objects
                return _traverse(self._nested(kind, name, pi, key, roots, attribute), after[1:])
            return after_apply
        value = self._argument(kind, name, pi, key, roots, attribute, at.span(ref.pos))
        return _traverse(value, after[1:])

    def _nested(
        self, kind: str, name: str, pi: ParsedItem, key: Any, roots: dict[str, Any], block_type: str
    ) -> Value:
        """The nested blocks of one type of one instance, as Terraform exposes them: a list of objects
        of the arguments (and nested blocks) they state. With a `dynamic` block of that type the list
        is known only after evaluation of its `for_each`: unknown here."""
        block = pi.item
        assert isinstance(block, BlockNode)
        if any(b.type == "dynamic" and tuple(b.labels[:1]) == (block_type,) for b in block.blocks):
            return Value(None, "unknown", reason=f"{kind}.{name}.{block_type} comes from a dynamic block")
        cache_key = (kind, name, key, f"block:{block_type}")
        cached = self._configured_cache.get(cache_key)
        if cached is not None:
            return cached
        if cache_key in self._configured_busy:
            return Value(None, "unknown", reason=f"{kind}.{name}.{block_type} refers to itself")
        self._configured_busy.add(cache_key)
        try:
            evaluator = Evaluator(self._scope(roots)) if roots else self._base
            items = [self._block_object(b, pi.at, evaluator) for b in block.blocks if b.type == block_type]
        finally:
            self._configured_busy.discard(cache_key)
        out = Value([v.value for v in items], "resolved", origin_note=f"{kind}.{name}.{block_type}")
        out.elements = items
        self._configured_cache[cache_key] = out
        return out

    def _block_object(self, node: BlockNode, at: Locator, evaluator: Evaluator) -> Value:
        elements: dict[str, Value] = {a.name: evaluator.eval(a.expr, at) for a in node.attributes}
        for child_type in dict.fromkeys(b.type for b in node.blocks if b.type != "dynamic"):
            children = [self._block_object(b, at, evaluator) for b in node.blocks if b.type == child_type]
            listed = Value([c.value for c in children], "resolved")
            listed.elements = children
            elements[child_type] = listed
        out = Value({k: v.value for k, v in elements.items()}, "resolved")
        out.elements = elements
        out.reason = AFTER_APPLY  # what it does not state is computed by the provider
        return out

    def _resolve_module(self, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        """`module.<name>[key].<output>`: the output's `value` as the called module evaluates it with
        the arguments of this call (local modules, and remote ones under `.terraform/modules`)."""
        if len(rest) < 2 or not isinstance(rest[0], str):
            return Value(None, "unknown", reason=f"{ref.dotted()} is known only after apply")
        name = rest[0]
        pi = next(
            (m for m in self.modules if isinstance(m.item, BlockNode) and m.item.labels[0] == name), None
        )
        if pi is None:
            return Value(None, "unknown", reason=f"module.{name} is not declared in this module")
        block = pi.item
        assert isinstance(block, BlockNode)
        after = rest[1:]
        instances = self._instances_of("module", name, pi)
        if instances is not None and not after:
            reason = f"{ref.dotted()}: a module's instances as a whole are not evaluated"
            return Value(None, "unknown", reason=reason)
        picked = _pick_instance("module", name, block, instances, after)
        if isinstance(picked, Value):
            return picked
        key, roots, after = picked
        if not after or not isinstance(after[0], str):
            return Value(None, "unknown", reason=f"{ref.dotted()} is not an output")
        source = self._output_source(name, key, pi, roots)
        if isinstance(source, Value):
            return source
        busy = ("module", name, key, after[0])
        if busy in self._configured_busy:
            return Value(None, "unknown", reason=f"module.{name}.{after[0]} refers to itself")
        self._configured_busy.add(busy)
        try:
            value = source.output(after[0])
        finally:
            self._configured_busy.discard(busy)
        return _traverse(value, after[1:])

    def _output_source(
        self, name: str, key: Any, pi: ParsedItem, roots: dict[str, Any]
    ) -> ModuleEvaluator | Value:
        """The evaluator of a called module instance that answers its outputs (made once per run), or
        why its outputs cannot be known."""
        found = self._output_sources.get((name, key))
        if found is not None:
            return found
        block = pi.item
        assert isinstance(block, BlockNode)
        src_attr = block.attr("source")
        source = self._base.eval(src_attr.expr, pi.at).value if src_attr is not None else None
        child_dir = self._module_dir(name, source) if isinstance(source, str) else None
        out: ModuleEvaluator | Value
        if child_dir is None:
            out = Value(
                None, "unknown", reason=f"module.{name} is not analysed (its source is not available)"
            )
        elif os.path.realpath(child_dir) in {d for _, d in self.calls} or self.depth >= MAX_MODULE_DEPTH:
            out = Value(None, "unknown", reason=f"module.{name} is not expanded")
        elif self.tree.output_sources >= MAX_OUTPUT_SOURCES:
            reason = f"more than {MAX_OUTPUT_SOURCES} module instances read for outputs (Advisor's limit)"
            where = pi.at.span(block.pos)
            if not any(p[1] == reason for p in self.tree.budget.problems):
                self.tree.budget.report(where, reason)  # an error there: the run is incomplete
            out = Value(None, "unknown", reason=reason)
        else:
            self.tree.output_sources += 1
            files = load_module_files(child_dir, self.read, parser=self.settings.memory.parser)
            ev = Evaluator(self._scope(roots)) if roots else self._base
            out = ModuleEvaluator(
                child_dir,
                files,
                self.settings,
                self.read,
                address_prefix=f"{self.prefix}module.{name}.",
                inputs=_CallArguments(block, pi.at, ev),
                region=self.region,
                depth=self.depth + 1,
                root_dir=self.root_dir,
                tree=self.tree,
                calls=self.calls,
            )
        self._output_sources[(name, key)] = out
        return out

    def output(self, name: str) -> Value:
        """The `value` of this module's `output "<name>"` block."""
        for f in self.files:
            for pi in f.items:
                item = pi.item
                if (
                    isinstance(item, BlockNode)
                    and item.type == "output"
                    and tuple(item.labels[:1]) == (name,)
                ):
                    attr = item.attr("value")
                    if attr is None:
                        break
                    return self._base.eval(attr.expr, pi.at)
        return Value(None, "unknown", reason=f"{self.prefix}{name}: no such output")

    def _argument(
        self,
        kind: str,
        name: str,
        pi: ParsedItem,
        key: Any,
        roots: dict[str, Any],
        attribute: str,
        where: Span | None = None,
    ) -> Value:
        """One argument of one instance of a block, evaluated once per run."""
        cache_key = (kind, name, key, attribute)
        cached = self._configured_cache.get(cache_key)
        if cached is not None:
            return cached
        if cache_key in self._configured_busy:
            return Value(None, "unknown", reason=f"{kind}.{name}.{attribute} refers to itself")
        if len(self._configured_busy) >= MAX_REFERENCE_CHAIN:
            reason = f"references from block to block nested deeper than {MAX_REFERENCE_CHAIN}; not followed"
            if not any(p[0] == where and p[1] == reason for p in self.tree.budget.problems):
                self.tree.budget.report(where, reason)  # an error there: the rest of the chain is unknown
            return Value(None, "unknown", reason=reason)
        attr = pi.item.attr(attribute) if isinstance(pi.item, BlockNode) else None
        if attr is None:
            return Value(None, "unknown", reason=f"{kind}.{name}.{attribute} is known only after apply")
        self._configured_busy.add(cache_key)
        try:
            evaluator = Evaluator(self._scope(roots)) if roots else self._base
            value = evaluator.eval(attr.expr, pi.at)
        finally:
            self._configured_busy.discard(cache_key)
        self._configured_cache[cache_key] = value
        return value

    def _object(self, kind: str, name: str, pi: ParsedItem, key: Any, roots: dict[str, Any]) -> Value:
        """An instance as an object of the arguments its block states (for splats and `values()`)."""
        block = pi.item
        assert isinstance(block, BlockNode)
        elements = {
            a.name: self._argument(kind, name, pi, key, roots, a.name)
            for a in block.attributes
            if a.name not in RESOURCE_META_ARGUMENTS
        }
        out = Value({k: v.value for k, v in elements.items()}, "resolved", origin_note=f"{kind}.{name}")
        out.elements = elements
        out.reason = AFTER_APPLY
        return out

    def _whole(self, kind: str, name: str, pi: ParsedItem, instances: dict[Any, dict[str, Any]]) -> Value:
        """All instances of a counted block: a list for count, a map for for_each, as in Terraform;
        built once per run (every instance of a block may splat another block's instances)."""
        cached = self._configured_cache.get((kind, name, None, "*"))
        if cached is not None:
            return cached
        out = self._whole_uncached(kind, name, pi, instances)
        self._configured_cache[(kind, name, None, "*")] = out
        return out

    def _whole_uncached(
        self, kind: str, name: str, pi: ParsedItem, instances: dict[Any, dict[str, Any]]
    ) -> Value:
        objects = {k: self._object(kind, name, pi, k, roots) for k, roots in instances.items()}
        if isinstance(pi.item, BlockNode) and pi.item.attr("count") is not None:
            out = Value([o.value for o in objects.values()], "resolved")
            out.elements = list(objects.values())
            return out
        out = Value({str(k): o.value for k, o in objects.items()}, "resolved")
        out.elements = {str(k): o for k, o in objects.items()}
        return out

    def _instances_of(self, kind: str, name: str, pi: ParsedItem) -> dict[Any, dict[str, Any]] | None:
        """Instance key → scope roots of a counted block (None when it is not counted or its count is
        unknown), computed once per run without the notes and limits of its own expansion."""
        if (kind, name) in self._instance_keys:
            return self._instance_keys[(kind, name)]
        block = pi.item
        assert isinstance(block, BlockNode)
        out: dict[Any, dict[str, Any]] | None = None
        self._instance_keys[(kind, name)] = None  # a count that refers to its own block is unknown
        count_attr, each_attr = block.attr("count"), block.attr("for_each")
        if count_attr is not None:
            n = self._base.eval(count_attr.expr, pi.at)
            whole = _whole_count(n.value) if n.known else ""
            if isinstance(whole, int) and whole <= MAX_INSTANCES:
                out = {i: {"count": _const_root({"index": i})} for i in range(whole)}
        elif each_attr is not None:
            v = self._base.eval(each_attr.expr, pi.at)
            items = _each_items(v) if v.known else None
            if items is not None and len(items) <= MAX_INSTANCES:
                out = {k: {"each": _const_root({"key": k, "value": val})} for k, val in items}
        self._instance_keys[(kind, name)] = out
        return out

    def _resolve_var(self, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        if not rest:
            return Value(None, "unknown", reason="`var` needs a name")
        value = self.variable(str(rest[0]))
        return _traverse(value, rest[1:])

    def _resolve_local(self, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        if not rest:
            return Value(None, "unknown", reason="`local` needs a name")
        name = str(rest[0])
        if name not in self._local_cache:
            entry = self.local_exprs.get(name)
            if entry is None:
                return Value(None, "unknown", reason=f"local.{name} is not defined")
            if name in self._locals_busy:
                return Value(None, "unknown", reason=f"local.{name} refers to itself")
            self._locals_busy.add(name)
            try:
                self._local_cache[name] = self._base.eval(entry[0].expr, entry[1])
            finally:
                self._locals_busy.discard(name)
        return _traverse(self._local_cache[name], rest[1:])

    def declared_sensitive(self) -> set[str]:
        """The variables declared `sensitive = true` (their values are kept out of prompts)."""
        out: set[str] = set()
        for name, decl in self.variables.items():
            assert isinstance(decl.item, BlockNode)
            flag = decl.item.attr("sensitive")
            if flag is not None and self._base.eval(flag.expr, decl.at).value is True:
                out.add(name)
        return out

    def variable(self, name: str) -> Value:
        cached = self._var_cache.get(name)
        if cached is not None:
            return cached
        value = self._variable_uncached(name)
        self._var_cache[name] = value
        return value

    def _variable_uncached(self, name: str) -> Value:
        value = self._variable_as_given(name)
        decl = self.variables.get(name)
        if decl is None or not value.known:
            return value
        assert isinstance(decl.item, BlockNode)
        t = decl.item.attr("type")
        return with_optional_attributes(value, t.expr, decl.at) if t is not None else value

    def _variable_as_given(self, name: str) -> Value:
        decl = self.variables.get(name)
        var_type = ""
        if decl is not None:
            assert isinstance(decl.item, BlockNode)
            t = decl.item.attr("type")
            if t is not None:
                var_type = _type_name(t.expr)
        if self.inputs is not None:
            given = self.inputs.get(name)
            if given is not None and not (given.known and given.value is None and _not_nullable(decl)):
                return given  # a null given to a `nullable = false` variable is its default, as in Terraform
        else:
            if name in self.settings.cli_vars:
                return Value(
                    _coerce(self.settings.cli_vars[name], var_type), "resolved", origin_note=f"--var {name}"
                )
            for tf in reversed(self.tfvars):
                for pi in tf.items:
                    if isinstance(pi.item, Attribute) and pi.item.name == name:
                        v = Evaluator(Scope({}, budget=self.tree.budget)).eval(pi.item.expr, pi.at)
                        v.kind = "resolved" if v.known else "unknown"
                        v.origin_note = f"set in {os.path.basename(tf.path)}"
                        return v
            if name in self.settings.inputs:
                return self.settings.inputs[name]
        if decl is None:
            return Value(None, "unknown", reason=f"variable {name!r} is not declared")
        assert isinstance(decl.item, BlockNode)
        default = decl.item.attr("default")
        if default is None:
            how = "the module call" if self.inputs is not None else "--var or a .tfvars file"
            return Value(None, "unknown", reason=f"variable {name!r} has no default and is not set ({how})")
        v = self._base.eval(default.expr, decl.at)
        if v.known:
            v.kind = "resolved"
            v.origin_note = f"default of variable {name!r}"
        return v

    # -- provider region -----------------------------------------------------------------------------
    def _provider_region(self, alias: str | None) -> Value:
        for pi in self.providers:
            assert isinstance(pi.item, BlockNode)
            a = pi.item.attr("alias")
            this_alias = self._base.eval(a.expr, pi.at).value if a is not None else None
            if this_alias != alias:
                continue
            r = pi.item.attr("region")
            if r is not None:
                v = self._base.eval(r.expr, pi.at)
                if v.known and isinstance(v.value, str):
                    v.origin_note = "aws provider region"
                    return v
        return Value(self.settings.default_region, "resolved", origin_note="default region")

    def _provider_tags(self) -> dict[str, Any]:
        for pi in self.providers:
            assert isinstance(pi.item, BlockNode)
            for b in pi.item.blocks:
                if b.type == "default_tags":
                    tags = b.attr("tags")
                    if tags is not None:
                        v = self._base.eval(tags.expr, pi.at)
                        if isinstance(v.value, dict):
                            return v.value
        return {}

    # -- evaluation ----------------------------------------------------------------------------------
    def _all_blocks(self) -> Iterator[ParsedItem]:
        for f in self.files:
            for pi in f.items:
                if isinstance(pi.item, BlockNode) and pi.item.type != "variable":
                    yield pi

    def evaluate(self) -> ModuleResult:
        check_deadline()  # the language server's time budget: once per module instance
        try:
            return self._evaluate()
        finally:
            self.release()

    def release(self) -> None:
        """Forget the scope's resolvers: they are bound methods of this evaluator, a reference cycle
        that would otherwise keep the module's files alive until a full garbage collection."""
        self._base.scope.roots = {}

    def _evaluate(self) -> ModuleResult:
        referrers: dict[str, list[str]] = {}
        for pi in self._all_blocks():
            assert isinstance(pi.item, BlockNode)
            if pi.item.type == "resource" and len(pi.item.labels) >= 2:
                me = f"{pi.item.labels[0]}.{pi.item.labels[1]}"
            else:
                me = ".".join((pi.item.type, *pi.item.labels))
            for target in resource_targets(pi.item, self.settings.memory):
                if target != me:
                    referrers.setdefault(target, []).append(me)
                    self._targets.setdefault(me, []).append(target)
        provider_tags = self.inherited_tags if self.inherited_tags is not None else self._provider_tags()
        self.inherited_tags = provider_tags
        declared = self.declared_sensitive()
        self.result.sensitive_variables |= declared
        for name in declared:
            value = self.variable(name)
            if value.known:
                self.result.sensitive_values.update(string_leaves(value.value))
        self._report_limits()
        reuse = self.reuse
        if reuse is not None:
            token = self._context_token()
            previous = reuse.entries if _same_token(token, reuse.token) else {}
            for pi in self.resources:
                self._expand_or_reuse(pi, referrers, provider_tags, previous)
            reuse.token, reuse.entries = token, self._reused  # only what this run used stays alive
        else:
            for pi in self.resources:
                self._expand_resource(pi, referrers, provider_tags)
        for pi in self.modules:
            self._call_module(pi)
        link_launch_templates(self.result.resources)
        self._report_limits()
        return self.result

    def _report_limits(self) -> None:
        """Limits the expressions evaluated so far crossed (`hcl_eval.Budget`), as errors at their places."""
        problems = self.tree.budget.problems
        for span, message, incomplete in problems:
            error = ParseError(
                span.path if span is not None else self.dir, message, span, incomplete=incomplete
            )
            if error not in self.result.errors:
                self.result.errors.append(error)
        problems.clear()

    def _error(self, at: Locator, node: Attribute | BlockNode, message: str, incomplete: bool) -> None:
        """An error at an attribute's value, or at a block's first line."""
        if isinstance(node, Attribute):
            span = at.span(node.expr.pos)
        else:
            line, column, _, _, start, _ = node.pos
            span = at.span((line, column, line, column, start, start))
        self.result.errors.append(ParseError(span.path, message, span, incomplete=incomplete))

    def _context_token(self) -> tuple[Any, ...]:
        """Everything besides its own block that a root module resource's evaluation can see."""
        s = self.settings
        values = (
            s.default_region,
            tuple(sorted(s.cli_vars.items())),
            tuple(s.var_files),
            s.workspace,
            os.getcwd(),
            self.dir,
            self.root_dir,
            self.prefix,
            tuple(self.variables),
            tuple(self.local_exprs),
        )
        objects: list[Any] = list(self.variables.values())
        for attr, at in self.local_exprs.values():
            objects += (attr, at)
        objects += self.providers
        objects += self.settings.inputs.values()
        for tf in self.tfvars:
            objects += tf.items
        return (values, tuple(objects))

    def _expand_or_reuse(
        self,
        pi: ParsedItem,
        referrers: dict[str, list[str]],
        tags: dict[str, Any],
        previous: dict[tuple[int, str], _Reused],
    ) -> None:
        block = pi.item
        assert isinstance(block, BlockNode)
        if block.labels[0] in ("aws_autoscaling_group", "aws_ecs_service") or (
            block.labels[0] in LAUNCHERS and any(b.type == "launch_template" for b in block.blocks)
        ):  # changed in place by `link_launch_templates`: evaluated again
            self._expand_resource(pi, referrers, tags)
            return
        me = f"{block.labels[0]}.{block.labels[1]}"
        extra = (tuple(referrers.get(me, ())), tuple(self._targets.get(me, ())))
        key = (id(block), pi.at.path)
        found = previous.get(key)
        seen = self._dependencies(block)
        if (
            found is not None
            and found.item.item is block
            and found.extra == extra
            and _same_items(found.seen, seen)
        ):
            if found.item is pi:  # the same text at the same place
                self.result.resources.extend(found.resources)
                self.result.notes.extend(found.notes)
                self.result.errors.extend(found.errors)
                self.tree.instances += len(found.resources)
                self._reused[key] = found
                return
            if not found.notes and not found.errors:  # they name lines: such a moved block is evaluated again
                old, new = found.item.at.chunk, pi.at.chunk
                move = Relocation(
                    pi.at.path, old.start, old.end, old.line, old.column, new.start, new.line, new.column
                )
                moved = [move.resource(r) for r in found.resources]
                self.result.resources.extend(moved)
                for was, now in zip(found.resources, moved, strict=True):
                    self.result.relocated[id(now)] = (was, move)
                self.tree.instances += len(moved)
                self._reused[key] = _Reused(pi, extra, moved, [], seen=seen)
                return
        r = self.result
        n_res, n_notes, n_errors = len(r.resources), len(r.notes), len(r.errors)
        self._expand_resource(pi, referrers, tags)
        self._reused[key] = _Reused(
            pi, extra, r.resources[n_res:], r.notes[n_notes:], r.errors[n_errors:], seen=seen
        )

    def _dependencies(self, block: BlockNode) -> tuple[ParsedItem, ...] | None:
        """The resource and data blocks a block reads through references, directly or through them
        (at most `MAX_DEPENDENCIES`, else None): bounded work per block, whatever the module's size."""
        out: dict[int, ParsedItem] = {}
        stack = [block]
        visited: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in visited:
                continue
            visited.add(id(node))
            _, resources, data, modules = _targets(node, self.settings.memory)
            if modules:
                return None  # a called module's files may change: evaluated again on every edit
            names = [tuple(t.split(".", 1)) for t in resources]
            names += [tuple(t.rsplit(".", 1)) for t in data]
            for kind_name in names:
                pi = self._declared.get((kind_name[0], kind_name[-1]))
                if pi is None or id(pi) in out:
                    continue
                out[id(pi)] = pi
                if len(out) > MAX_DEPENDENCIES:
                    return None
                assert isinstance(pi.item, BlockNode)
                stack.append(pi.item)
        return tuple(out.values())

    def _instances(self, block: BlockNode, at: Locator) -> tuple[list[tuple[str, dict[str, Any]]], bool]:
        """(address suffix, extra scope roots) for each instance that count / for_each creates, and
        whether the count is unknown (then one instance stands for "at least one": Terraform creates
        none when it is zero, but what one would cost and what is wrong with it is still shown).

        A count Terraform refuses (not a whole number, negative) is an error at its expression, and
        so are more instances than `MAX_INSTANCES` (or than the root's `MAX_ROOT_INSTANCES` left):
        then the block makes no instance at all, never a capped number of them.
        """
        count_attr = block.attr("count")
        each_attr = block.attr("for_each")
        if count_attr is not None:
            v = self._base.eval(count_attr.expr, at)
            if not v.known:
                self.result.notes.append(
                    f"{_where(at, count_attr)}: count is unknown ({v.reason}); counted once"
                )
                return ([("", {})] if self._counted(block, at, 1) else []), True
            n = _whole_count(v.value)
            if isinstance(n, str):
                self._error(at, count_attr, f"invalid count: {n}; the block is not expanded", False)
                return [], False
            if n > MAX_INSTANCES:
                self._error(at, count_attr, _too_many("count", n), True)
                return [], False
            if not self._counted(block, at, n, count_attr):
                return [], False
            return [(f"[{i}]", {"count": _const_root({"index": i})}) for i in range(n)], False
        if each_attr is not None:
            v = self._base.eval(each_attr.expr, at)
            if not v.known:
                self.result.notes.append(
                    f"{_where(at, each_attr)}: for_each is unknown ({v.reason}); counted once"
                )
                return ([("", {})] if self._counted(block, at, 1) else []), True
            collection = v.value
            if not isinstance(collection, (dict, list, tuple)):
                self.result.notes.append(
                    f"{_where(at, each_attr)}: for_each is not a map or set; counted once"
                )
                return ([("", {})] if self._counted(block, at, 1) else []), True
            if len(collection) > MAX_INSTANCES:
                self._error(at, each_attr, _too_many("for_each", len(collection)), True)
                return [], False
            items: list[tuple[str, Any]]
            if isinstance(collection, dict):
                # each.value keeps what is unknown in a partly known map unknown (elements)
                known = v.elements if isinstance(v.elements, dict) else {}
                items = [(str(k), known.get(str(k), val)) for k, val in collection.items()]
            elif any(isinstance(x, (list, dict)) for x in collection):
                message = "invalid for_each: a set's elements must be strings; the block is not expanded"
                self._error(at, each_attr, message, False)
                return [], False
            else:
                items = [(_key_str(x), x) for x in collection]
            if not self._counted(block, at, len(items), each_attr):
                return [], False
            return [(f'["{k}"]', {"each": _const_root({"key": k, "value": val})}) for k, val in items], False
        return ([("", {})] if self._counted(block, at, 1) else []), False

    def _counted(self, block: BlockNode, at: Locator, n: int, attr: Attribute | None = None) -> bool:
        """Whether n more instances fit in the root's `MAX_ROOT_INSTANCES` (then counted), else an error."""
        tree = self.tree
        if tree.instances + n > MAX_ROOT_INSTANCES:
            message = (
                f"more than {MAX_ROOT_INSTANCES:,} resource and module instances in this root module "
                f"(Advisor's limit); this block ({n:,} instances) is not expanded"
            )
            self._error(at, attr or block, message, True)
            return False
        tree.instances += n
        return True

    def _expand_resource(self, pi: ParsedItem, referrers: dict[str, list[str]], tags: dict[str, Any]) -> None:
        block = pi.item
        assert isinstance(block, BlockNode)
        rtype, name = block.labels[0], block.labels[1]
        region = self.region
        provider = block.attr("provider")
        if provider is not None and isinstance(provider.expr, Ref) and len(provider.expr.parts) == 2:
            region = self._provider_region(str(provider.expr.parts[1]))
        instances, count_unknown = self._instances(block, pi.at)
        for suffix, roots in instances:
            check_deadline()
            evaluator = Evaluator(self._scope(roots)) if roots else self._base
            body = self._build_block(block, pi.at, evaluator)
            if rtype in IMAGE_ATTRIBUTES:
                self._image_platform(block, body)
            self.result.resources.append(
                Resource(
                    type=rtype,
                    address=f"{self.prefix}{rtype}.{name}{suffix}",
                    body=body,
                    path=pi.at.path,
                    module_path=self.prefix.rstrip("."),
                    region=str(region.value),
                    region_note=region.origin_note,
                    provider_tags=dict(tags),
                    root=self.root_dir,
                    count_unknown=self.count_unknown or count_unknown,
                    references=sorted(set(self._targets.get(f"{rtype}.{name}", []))),
                    referenced_by=sorted(set(referrers.get(f"{rtype}.{name}", []))),
                )
            )
        self._report_limits()

    def _image_platform(self, node: BlockNode, body: Block) -> None:
        """The operating system of the AMI an instance or launch template names through an `aws_ami`
        or `aws_ssm_parameter` data source of this module, directly or through locals
        (`advisor.iac.platform`)."""
        name = IMAGE_ATTRIBUTES[node.labels[0]]
        attr = node.attr(name)
        if attr is None:
            return
        refs = list(iter_refs(attr.expr))
        followed: set[str] = set()
        for ref in refs:  # grows with the references of the locals it names (each followed once)
            parts = ref.parts
            local = self.local_exprs.get(str(parts[1])) if len(parts) >= 2 and parts[0] == "local" else None
            if local is not None and str(parts[1]) not in followed and len(followed) < 16:
                followed.add(str(parts[1]))
                refs.extend(iter_refs(local[0].expr))
                continue
            if len(parts) < 3 or parts[0] != "data" or parts[1] not in ("aws_ami", "aws_ssm_parameter"):
                continue
            pi = self._declared.get((f"data.{parts[1]}", str(parts[2])))
            if pi is None or not isinstance(pi.item, BlockNode):
                continue
            source = self._build_block(pi.item, pi.at, self._base)
            if parts[1] == "aws_ami":
                clues, owners = ami_data_clues(source)
            else:
                param = source.attributes.get("name")
                clues = [("SSM parameter", param.value)] if param and isinstance(param.value, str) else []
                owners = []
            found = platform_from_clues(clues, owners)
            if found is not None:
                mark_platform(body, found[0], f"{found[1]} (data.{parts[1]}.{parts[2]})", body.get(name))
                return

    def _build_block(self, node: BlockNode, at: Locator, ev: Evaluator) -> Block:
        block = Block(
            type=node.type, span=at.span(node.pos), labels=list(node.labels), body_indent=node.body_indent
        )
        for a in node.attributes:
            if a.name in RESOURCE_META_ARGUMENTS:
                continue
            block.attributes[a.name] = ev.eval(a.expr, at)
            block.attribute_spans[a.name] = at.span(a.pos)
        for child in node.blocks:
            if child.type == "dynamic" and child.labels:
                block.blocks.extend(self._expand_dynamic(child, at, ev))
            elif child.type != "lifecycle":
                block.blocks.append(self._build_block(child, at, ev))
        return block

    def _expand_dynamic(self, node: BlockNode, at: Locator, ev: Evaluator) -> list[Block]:
        label = node.labels[0]
        content = next((b for b in node.blocks if b.type == "content"), None)
        each = node.attr("for_each")
        if content is None or each is None:
            return []
        iterator = label
        it_attr = node.attr("iterator")
        if it_attr is not None and isinstance(it_attr.expr, Ref):
            iterator = str(it_attr.expr.parts[0])
        coll = ev.eval(each.expr, at)
        if not coll.known:
            return []
        if isinstance(coll.value, (list, dict)) and len(coll.value) > MAX_INSTANCES:
            self._error(at, each, _too_many("dynamic block for_each", len(coll.value)), True)
            return []
        pairs: list[tuple[Any, Any]] = (
            list(coll.value.items()) if isinstance(coll.value, dict) else list(enumerate(coll.value or []))
        )
        elements, given = coll.elements, coll.value
        if isinstance(elements, dict) and isinstance(given, dict) and elements.keys() == given.keys():
            pairs = list(elements.items())  # each value keeps where it is written, for fixes
        elif isinstance(elements, list) and isinstance(given, list) and len(elements) == len(given):
            pairs = list(enumerate(elements))
        if self.tree.instances + len(pairs) > MAX_ROOT_INSTANCES:
            message = (
                f"more than {MAX_ROOT_INSTANCES:,} instances in this root module; dynamic block not expanded"
            )
            self._error(at, each, message, True)
            return []
        self.tree.instances += len(pairs)
        out: list[Block] = []
        for k, v in pairs:
            check_deadline()
            roots = dict(ev.scope.roots)
            roots[iterator] = _const_root({"key": k, "value": v})
            inner = Evaluator(Scope(roots, budget=ev.scope.budget))
            b = self._build_block(content, at, inner)
            b.type = label
            out.append(b)
        return out

    # -- module calls --------------------------------------------------------------------------------
    def _call_module(self, pi: ParsedItem) -> None:
        block = pi.item
        assert isinstance(block, BlockNode)
        name = block.labels[0]
        src_attr = block.attr("source")
        source = self._base.eval(src_attr.expr, pi.at).value if src_attr is not None else None
        if not isinstance(source, str):
            self.result.notes.append(f"module.{name}: source is not a literal string; skipped")
            return
        child_dir = self._module_dir(name, source)
        if child_dir is None and _is_local(source):
            self.result.notes.append(f"module.{name}: local source {source!r} is not a folder; skipped")
            return
        if child_dir is None:
            self.result.notes.append(
                f"module.{name}: remote source {source!r} not found in .terraform/modules; skipped"
            )
            assert src_attr is not None
            where = pi.at.span(src_attr.expr.pos)
            if where not in self.result.remote_modules:
                self.result.remote_modules.append(where)
            self.result.unanalysed_calls.append(self._call_arguments(pi, name))
            return
        real = os.path.realpath(child_dir)
        cycle = [address for address, directory in self.calls if directory == real]
        if cycle:
            path = " → ".join([*(address for address, _ in self.calls), f"{self.prefix}module.{name}"])
            message = (
                f"module cycle: module.{name} calls {source!r}, the module of {cycle[0]}, which is already "
                f"being evaluated ({path}); a module cannot call itself, directly or through other "
                "modules. The call is not expanded"
            )
            self._error(pi.at, block, message, True)
            return
        if self.depth >= MAX_MODULE_DEPTH:
            message = (
                f"module calls nested deeper than {MAX_MODULE_DEPTH} levels (Advisor's limit); "
                f"module.{name} is not expanded"
            )
            self._error(pi.at, block, message, True)
            return
        files = load_module_files(child_dir, self.read, parser=self.settings.memory.parser)
        if not files:
            self.result.notes.append(f"module.{name}: no Terraform files in {child_dir}; skipped")
            return
        instances, count_unknown = self._instances(block, pi.at)
        for suffix, roots in instances:
            ev = Evaluator(self._scope(roots)) if roots else self._base
            arguments = [a for a in block.attributes if a.name not in MODULE_META_ARGUMENTS]
            inputs = {a.name: ev.eval(a.expr, pi.at) for a in arguments}
            child = ModuleEvaluator(
                child_dir,
                files,
                self.settings,
                self.read,
                address_prefix=f"{self.prefix}module.{name}{suffix}.",
                inputs=inputs,
                region=self.region,
                provider_tags=self.inherited_tags,
                depth=self.depth + 1,
                root_dir=self.root_dir,
                tree=self.tree,
                calls=self.calls,
                count_unknown=self.count_unknown or count_unknown,
            )
            sub = child.evaluate()
            self.result.resources.extend(sub.resources)
            self.result.notes.extend(sub.notes)
            self.result.sensitive_variables |= sub.sensitive_variables
            self.result.sensitive_values |= sub.sensitive_values
            self.result.unanalysed_calls.extend(sub.unanalysed_calls)
            for where in sub.remote_modules:
                if where not in self.result.remote_modules:
                    self.result.remote_modules.append(where)
            for e in sub.errors:
                if e not in self.result.errors:
                    self.result.errors.append(e)
            for f in sub.files:
                if f not in self.result.files:
                    self.result.files.append(f)
        self._report_limits()

    def _call_arguments(self, pi: ParsedItem, name: str) -> Resource:
        """A module call that is not followed, as a resource of type "module" holding its arguments
        (evaluated here, with their origins, so a fix edits the literal), for the rules."""
        block = pi.item
        assert isinstance(block, BlockNode)
        counted = block.attr("count") is not None or block.attr("for_each") is not None
        region = self.region.value if self.region.known and isinstance(self.region.value, str) else ""
        body = self._build_block(block, pi.at, self._base)
        for arg, value in body.attributes.items():
            body.blocks.extend(_value_blocks(arg, value, body.span))
        return Resource(
            type="module",
            address=f"{self.prefix}module.{name}",
            body=body,
            path=pi.at.path,
            module_path=self.prefix.rstrip("."),
            region=region or self.settings.default_region,
            root=self.root_dir,
            count_unknown=self.count_unknown or counted,
        )

    def _module_dir(self, name: str, source: str) -> str | None:
        if _is_local(source):
            path = os.path.normpath(os.path.join(self.dir, source))
            return path if os.path.isdir(path) else None
        manifest = os.path.join(self.root_dir, ".terraform", "modules", "modules.json")
        text = self.read(manifest)
        if not text:
            return None
        try:
            entries = json.loads(text).get("Modules", [])
        except (ValueError, AttributeError):
            return None
        key_parts = [p.split("[")[0] for p in self.prefix.split(".") if p and p != "module"]
        key = ".".join([*key_parts, name])
        for e in entries:
            if isinstance(e, dict) and e.get("Key") == key and isinstance(e.get("Dir"), str):
                path = os.path.normpath(os.path.join(self.root_dir, e["Dir"]))
                return path if os.path.isdir(path) else None
        return None


def _value_blocks(name: str, value: Value, near: Span, depth: int = 0) -> list[Block]:
    """An argument's object value as nested blocks named by their keys (a list of objects: one block
    each), so rule targets reach the values inside what a module call passes (`node_groups.one.
    instance_types`); each attribute keeps its value's origin for fixes. Bounded by the value's depth."""
    elements = value.elements
    if depth > 16 or not value.known or elements is None:
        return []
    if isinstance(elements, list):
        return [b for el in elements for b in _value_blocks(name, el, near, depth + 1)]
    span = value.span or near
    block = Block(type=name, span=span)
    for key, el in elements.items():
        block.attributes[key] = el
        if el.span is not None:
            block.attribute_spans[key] = el.span
        block.blocks.extend(_value_blocks(key, el, span, depth + 1))
    return [block]


def _pick_instance(
    kind: str,
    name: str,
    block: BlockNode,
    instances: dict[Any, dict[str, Any]] | None,
    after: tuple[Any, ...],
) -> tuple[Any, dict[str, Any], tuple[Any, ...]] | Value:
    """The instance a reference to another block names: (its key, its scope roots, the rest of the
    reference), the block itself when it is not counted, or why the instance cannot be known."""
    if instances is not None:
        key = after[0] if block.attr("for_each") is not None else _count_key(after[0])
        if key not in instances:
            return Value(None, "unknown", reason=f"{kind}.{name} has no instance {_key_str(after[0])!r}")
        return key, instances[key], after[1:]
    if block.attr("count") is not None or block.attr("for_each") is not None:
        return Value(None, "unknown", reason=f"the instances of {kind}.{name} are unknown")
    return None, {}, after


class _CallArguments(Mapping[str, Value]):
    """A module call's arguments, each evaluated when the called module first reads it. Outputs are
    read from module to module (`vpc_id = module.vpc.vpc_id`), and Terraform orders them by what each
    output needs, not module by module: evaluating every argument up front would make two calls that
    read each other's outputs a cycle when they are not one. An argument that does need itself is
    unknown."""

    def __init__(self, block: BlockNode, at: Locator, evaluator: Evaluator) -> None:
        self._attrs = {a.name: a for a in block.attributes if a.name not in MODULE_META_ARGUMENTS}
        self._at = at
        self._evaluator = evaluator
        self._values: dict[str, Value] = {}
        self._busy: set[str] = set()

    def __getitem__(self, name: str) -> Value:
        found = self._values.get(name)
        if found is not None:
            return found
        attr = self._attrs[name]  # KeyError: not an argument of the call
        if name in self._busy:
            return Value(None, "unknown", reason=f"the argument {name} of the module call refers to itself")
        self._busy.add(name)
        try:
            value = self._evaluator.eval(attr.expr, self._at)
        finally:
            self._busy.discard(name)
        self._values[name] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._attrs)

    def __len__(self) -> int:
        return len(self._attrs)


def _is_local(source: str) -> bool:
    """A module source that is a path (Terraform's rule: it starts with `./` or `../`)."""
    return source.startswith(("./", "../")) or source in (".", "..")


def _where(at: Locator, attr: Attribute) -> str:
    span = at.span(attr.pos)
    return f"{span.path}:{span.line + 1}"


def _const_root(values: dict[str, Any]) -> Callable[[tuple[Any, ...], Ref, Locator], Value]:
    def resolve(rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        if not rest or str(rest[0]) not in values:
            return Value(None, "unknown", reason=f"{ref.dotted()} is not known")
        value = values[str(rest[0])]
        return _traverse(value if isinstance(value, Value) else Value(value, "resolved"), rest[1:])

    return resolve


def _not_nullable(decl: ParsedItem | None) -> bool:
    """Whether a variable is declared `nullable = false` (written as the literal)."""
    if decl is None or not isinstance(decl.item, BlockNode):
        return False
    flag = decl.item.attr("nullable")
    return flag is not None and isinstance(flag.expr, Lit) and flag.expr.value is False


def _count_key(key: Any) -> Any:
    """An index into a counted block's instances (`x[0]`, `x["0"]`) as the instance key."""
    try:
        return int(key) if not isinstance(key, bool) else key
    except (TypeError, ValueError):
        return key


def _each_items(each: Value) -> list[tuple[str, Any]] | None:
    """(key, value) of each instance a for_each value makes, or None when Terraform would refuse it.
    A map's values are its elements, so what is unknown in a partly known map stays unknown."""
    collection = each.value
    if isinstance(collection, dict):
        known = each.elements if isinstance(each.elements, dict) else {}
        return [(str(k), known.get(str(k), val)) for k, val in collection.items()]
    if isinstance(collection, (list, tuple)) and not any(isinstance(x, (list, dict)) for x in collection):
        return [(_key_str(x), x) for x in collection]
    return None


def _traverse(value: Value, rest: tuple[Any, ...]) -> Value:
    from advisor.iac.hcl_eval import _index

    for key in rest:
        value = _index(value, key)
        if not value.known:
            break
    return value


def _whole_count(value: Any) -> int | str:
    """A count value as Terraform takes it (a whole number, zero or more), or what is wrong with it."""
    if isinstance(value, bool) or value is None:
        return f"{_key_str(value) if value is not None else 'null'} is not a number"
    try:
        number = float(value) if isinstance(value, str) else value  # "3" converts, as in Terraform
    except ValueError:
        return f"{value[:40]!r} is not a number"
    if not isinstance(number, (int, float)):
        return "a list or map is not a number"
    if isinstance(number, float) and not number.is_integer():
        return f"{number} is not a whole number"
    if number < 0:
        return f"{int(number)} is negative; count must be zero or more"
    return int(number)


def _too_many(what: str, n: int) -> str:
    return (
        f"{what} makes {n:,} instances, more than Advisor's limit of {MAX_INSTANCES:,} per block; "
        "the block is not expanded and the total leaves it out"
    )


def _key_str(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    return str(x)


def with_optional_attributes(value: Value, type_expr: Expr | None, at: Locator, depth: int = 0) -> Value:
    """`value` converted to a variable's declared type as far as its shape goes: an object type's
    `optional(...)` attributes the value leaves out are there, null or their stated default (as
    Terraform does before a module reads them), in nested objects and in lists, sets and maps of
    objects. Everything else is the value as given; the given value is never changed in place."""
    if depth > 32 or type_expr is None or not value.known or not isinstance(type_expr, Call):
        return value
    name, args = type_expr.name, type_expr.args
    if name in ("list", "set", "map") and len(args) == 1 and isinstance(value.elements, (list, dict)):
        out = Value(value.value, value.kind, span=value.span, origin=value.origin)
        out.origin_note = value.origin_note
        if isinstance(value.elements, dict):
            given_items = value.elements.items()
            by_key = {k: with_optional_attributes(v, args[0], at, depth + 1) for k, v in given_items}
            if all(by_key[k] is v for k, v in value.elements.items()):
                return value
            out.elements, out.value = by_key, {k: v.value for k, v in by_key.items()}
        else:
            in_order = [with_optional_attributes(v, args[0], at, depth + 1) for v in value.elements]
            if all(a is b for a, b in zip(in_order, value.elements, strict=True)):
                return value
            out.elements, out.value = in_order, [v.value for v in in_order]
        return out
    if name != "object" or len(args) != 1 or not isinstance(args[0], ObjectExpr):
        return value
    if not isinstance(value.value, dict):
        return value
    given = value.elements if isinstance(value.elements, dict) else {}
    elements: dict[str, Value] = {}
    mapping: dict[str, Any] = dict(value.value)
    changed = False
    for key_expr, attr_type in args[0].items:
        key = key_expr if isinstance(key_expr, str) else _ref_name(key_expr)
        if key is None:
            continue
        inner = attr_type
        default: Value | None = None
        if isinstance(attr_type, Call) and attr_type.name == "optional" and attr_type.args:
            inner = attr_type.args[0]
            if len(attr_type.args) > 1 and isinstance(attr_type.args[1], Lit | TupleExpr | ObjectExpr):
                default = Evaluator(Scope({})).eval(attr_type.args[1], at)
            elif len(attr_type.args) == 1:
                default = Value(None, "resolved")
        if key in mapping:
            element = given.get(key) or Value(mapping[key], "resolved")
            typed = with_optional_attributes(element, inner, at, depth + 1)
            if typed is not element:
                elements[key], mapping[key], changed = typed, typed.value, True
        elif default is not None and (mapping.get(key) is None):
            filled = with_optional_attributes(default, inner, at, depth + 1) if default.known else default
            elements[key], mapping[key], changed = filled, filled.value, True
    if not changed:
        return value
    out = Value(mapping, value.kind, span=value.span, origin=value.origin, origin_note=value.origin_note)
    out.elements = {**given, **elements}
    return out


def _ref_name(expr: Expr) -> str | None:
    """An object type's attribute name written as a bare word (`size = optional(number)`)."""
    if isinstance(expr, Ref) and len(expr.parts) == 1 and isinstance(expr.parts[0], str):
        return expr.parts[0]
    return None


def _type_name(expr: Expr) -> str:
    if isinstance(expr, Ref):
        return str(expr.parts[0])
    if isinstance(expr, Call):
        return expr.name
    return ""


def _coerce(raw: str, var_type: str) -> Any:
    """A `--var` string as the variable's declared type."""
    if var_type == "number":
        try:
            f = float(raw)
            return int(f) if f.is_integer() else f
        except ValueError:
            return raw
    if var_type == "bool":
        return raw.lower() == "true"
    if var_type in ("list", "set", "map", "object", "tuple"):
        parsed = parse_hcl("<--var>", f"v = {raw}\n")
        if parsed.items and isinstance(parsed.items[0].item, Attribute):
            v = Evaluator(Scope({})).eval(parsed.items[0].item.expr, parsed.items[0].at)
            if v.known:
                return v.value
    return raw


def load_module_files(
    directory: str, read: Reader, unsaved: Iterable[str] = (), parser: HclParser | None = None
) -> list[HclFile]:
    """Parse every `.tf` / `.tf.json` file of a directory (not recursive), in name order.

    `unsaved` names editor buffers whose files may not exist on disk yet.
    """
    try:
        on_disk = os.listdir(directory)
    except OSError:
        on_disk = []
    names = sorted(set(on_disk) | _names_in(directory, unsaved))
    files: list[HclFile] = []
    for name in names:
        if not is_terraform_file(name):
            continue
        path = os.path.join(directory, name)
        text = read(path)
        if text is None:
            continue
        files.append(parse_file(path, text, parser))
    return files


def _names_in(directory: str, paths: Iterable[str]) -> set[str]:
    base = os.path.normpath(directory)
    return {os.path.basename(p) for p in paths if os.path.dirname(os.path.normpath(p)) == base}


def load_tfvars(
    directory: str,
    read: Reader,
    extra: list[str],
    unsaved: Iterable[str] = (),
    parser: HclParser | None = None,
) -> list[HclFile]:
    """terraform.tfvars(.json), then *.auto.tfvars in name order, then --var-file files (later wins)."""
    try:
        on_disk = os.listdir(directory)
    except OSError:
        on_disk = []
    names = sorted(set(on_disk) | _names_in(directory, unsaved))
    ordered: list[str] = [n for n in ("terraform.tfvars.json", "terraform.tfvars") if n in names]
    ordered += [n for n in names if n.endswith((".auto.tfvars", ".auto.tfvars.json"))]
    paths = [os.path.join(directory, n) for n in ordered] + list(extra)
    out: list[HclFile] = []
    for p in paths:
        text = read(p)
        if text is not None:
            out.append(parse_file(p, text, parser))
    return out


def evaluate_root(
    directory: str,
    settings: Settings,
    read: Reader = read_disk,
    unsaved: Iterable[str] = (),
    reuse: ResourceReuse | None = None,
) -> ModuleResult:
    """Evaluate a root module directory with its tfvars and the CLI's variables (and unsaved buffers).

    `reuse` carries resources from the previous run of this module (the language server's edits)."""
    parser = settings.memory.parser
    files = load_module_files(directory, read, unsaved, parser)
    tfvars = load_tfvars(directory, read, settings.var_files, unsaved, parser)
    ev = ModuleEvaluator(directory, files, settings, read, tfvars=tfvars, reuse=reuse)
    result = ev.evaluate()
    for tf in tfvars:
        result.errors.extend(tf.errors)
        result.files.append(tf.path)
    return result
