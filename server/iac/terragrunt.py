"""The Terragrunt front-end: a folder with `terragrunt.hcl` is a root whose `inputs` feed the module it runs.

Terragrunt runs Terraform on the module named by `terraform { source = ... }` (or on the folder itself
when there is no source) with the `inputs` map as the module's variables. So does this front-end: it
reads `terragrunt.hcl` with the project's HCL parser and evaluator, follows `include` blocks (and
`read_terragrunt_config`), merges their `inputs`, `terraform` and `dependency` blocks as Terragrunt
does (`merge_strategy` shallow, deep or no_merge), and hands the module to the Terraform front-end with
the inputs as its variables. Every input keeps the literal it comes from, so a fix edits the entry in
`terragrunt.hcl`.

What only the deployment knows stays unknown: `get_env("X")` without a default (the user's environment
is not the deployment's), a dependency's outputs without `mock_outputs`, and every function that asks
AWS or runs a command (never run). A `dependency` block's mock outputs stand in for its outputs, but a
fix never edits them: the real value comes from the other root.

Bounds: includes and `read_terragrunt_config` nest at most `MAX_INCLUDE_DEPTH` deep, a root reads at
most `MAX_CONFIGS` configuration files, and a file that includes itself (directly or not) is an error
at the include, never a loop.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from advisor.iac.files import TERRAGRUNT_FILE, is_terraform_file
from advisor.iac.frontend import ModuleResult, Reader, Settings
from advisor.iac.hcl_ast import Attribute, BlockNode, Call, Opaque, Ref
from advisor.iac.hcl_eval import Budget, Evaluator, Scope, _to_str
from advisor.iac.hcl_parse import HclFile, HclParser, Locator, parse_hcl
from advisor.iac.terraform import evaluate_root, read_disk
from advisor.model import ParseError, Span, Value

MAX_INCLUDE_DEPTH = 10  # include / read_terragrunt_config levels (Terragrunt itself allows one include level)
MAX_CONFIGS = 64  # configuration files one root may read through includes and read_terragrunt_config
MAX_PARENT_FOLDERS = 64  # folders find_in_parent_folders walks up
CACHE_DIR = ".terragrunt-cache"


def is_root(directory: str, unsaved: Iterable[str] = ()) -> bool:
    """Whether a folder is a Terragrunt root: it holds `terragrunt.hcl` (on disk or in an editor buffer)."""
    path = os.path.normpath(os.path.join(directory, TERRAGRUNT_FILE))
    return os.path.isfile(path) or path in {os.path.normpath(p) for p in unsaved}


def _strip(value: Value, note: str) -> Value:
    """A value that must not be edited by a fix (a dependency's mock output): no origin, a note."""
    if not value.known:
        return Value(None, "unknown", span=value.span, reason=value.reason)
    return Value(value.value, "resolved", span=value.span, origin_note=note)


def _entries(value: Value) -> dict[str, Value]:
    """The entries of a map value, each with its own origin when the map was written out."""
    if not isinstance(value.value, dict):
        return {}
    elements = value.elements if isinstance(value.elements, dict) else {}
    return {
        str(k): elements.get(str(k)) or Value(v, "resolved", origin_note=value.origin_note)
        for k, v in value.value.items()
    }


def _map_value(entries: dict[str, Value]) -> Value:
    out = Value({k: v.value for k, v in entries.items()}, "resolved")
    out.elements = dict(entries)
    return out


def _deep_merge(base: Value, over: Value) -> Value:
    """Terragrunt's deep merge: maps merged key by key, lists concatenated, anything else `over` wins."""
    if isinstance(base.value, dict) and isinstance(over.value, dict):
        merged = _entries(base)
        for k, v in _entries(over).items():
            merged[k] = _deep_merge(merged[k], v) if k in merged else v
        return _map_value(merged)
    if isinstance(base.value, list) and isinstance(over.value, list):
        out = Value([*base.value, *over.value], "resolved")
        if isinstance(base.elements, list) and isinstance(over.elements, list):
            out.elements = [*base.elements, *over.elements]
        return out
    return over


def _merge_function(call: Call, at: Locator, ev: Evaluator) -> Value:
    """`merge()` that keeps each entry's origin (the built-in one returns a plain map), so an input
    set through `merge(local.common, {...})` is still a fix target."""
    merged: dict[str, Value] = {}
    for arg in call.args:
        v = ev.eval(arg, at)
        if not v.known:
            return Value(None, "unknown", reason=v.reason)
        if v.value is None:
            continue
        if not isinstance(v.value, dict):
            return Value(None, "unknown", reason="merge() takes maps")
        merged.update(_entries(v))
    return _map_value(merged)


@dataclass(slots=True)
class _Run:
    """What evaluating one Terragrunt root shares: its folder, the reader, limits and what went wrong."""

    root_dir: str  # the root's folder, as the engine names it
    read: Reader
    parser: HclParser | None = None  # the session's (`FrontendMemory.parser`), when there is one
    budget: Budget = field(default_factory=Budget)
    errors: list[ParseError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    configs: list[_Config] = field(default_factory=list)

    def error(self, at: Locator, node: Attribute | BlockNode | Call, message: str, incomplete: bool) -> None:
        expr_pos = node.expr.pos if isinstance(node, Attribute) else node.pos
        span = at.span(expr_pos)
        error = ParseError(span.path, message, span, incomplete=incomplete)
        if error not in self.errors:
            self.errors.append(error)

    def local_path(self, path: str) -> str:
        """A path as the engine names files: relative to the working folder when the root's is."""
        path = os.path.normpath(path)
        if os.path.isabs(path) and not os.path.isabs(self.root_dir):
            return os.path.relpath(path)
        return path


class _Config:
    """One configuration file read for a root: the root's `terragrunt.hcl`, or a file it includes or reads.

    `included_by`: the configuration that includes this one (None for the root's own file and for
    files read with `read_terragrunt_config`). `chain`: the real paths that led here, this one last.
    """

    def __init__(self, run: _Run, hcl: HclFile, chain: tuple[str, ...], included: bool) -> None:
        self.run = run
        self.path = hcl.path
        self.text = hcl.text
        self.dir = os.path.dirname(hcl.path) or "."
        self.chain = chain
        self.included = included
        self.locals: dict[str, tuple[Attribute, Locator]] = {}
        self.local_values: dict[str, Value] = {}
        self.busy: set[str] = set()
        self.includes: list[tuple[str, _Config, str, bool]] = []  # (label, config, merge strategy, exposed)
        self.include_blocks: list[tuple[BlockNode, Locator]] = []
        self.dependency_blocks: list[tuple[BlockNode, Locator]] = []
        self.terraform_blocks: list[tuple[BlockNode, Locator]] = []
        self.generate_blocks: list[tuple[BlockNode, Locator]] = []
        self.inputs_attr: tuple[Attribute, Locator] | None = None
        self._dependencies: dict[str, Value] | None = None
        for pi in hcl.items:
            item = pi.item
            if isinstance(item, Attribute):
                if item.name == "inputs":
                    self.inputs_attr = (item, pi.at)
                continue
            if item.type == "locals":
                for a in item.attributes:
                    self.locals[a.name] = (a, pi.at)
            elif item.type == "include":
                self.include_blocks.append((item, pi.at))
            elif item.type == "dependency" and item.labels:
                self.dependency_blocks.append((item, pi.at))
            elif item.type == "terraform":
                self.terraform_blocks.append((item, pi.at))
            elif item.type == "generate":
                self.generate_blocks.append((item, pi.at))
        functions: dict[str, Callable[[Call, Locator, Evaluator], Value]] = {
            "find_in_parent_folders": self._find_in_parent_folders,
            "get_env": self._get_env,
            "get_terragrunt_dir": self._terragrunt_dir,
            "get_original_terragrunt_dir": self._terragrunt_dir,
            "get_parent_terragrunt_dir": self._parent_dir,
            "path_relative_to_include": self._relative_to_include,
            "path_relative_from_include": self._relative_from_include,
            "read_terragrunt_config": self._read_config,
            "merge": _merge_function,
            "basename": _path_function(os.path.basename),
            "dirname": _path_function(os.path.dirname),
        }
        roots = {"local": self._local, "dependency": self._dependency, "include": self._include}
        self.ev = Evaluator(Scope(roots, budget=run.budget, functions=functions))

    def release(self) -> None:
        """Forget the scope's resolvers, bound methods of this object (a reference cycle otherwise)."""
        self.ev.scope.roots = {}
        self.ev.scope.functions = None

    # -- references ---------------------------------------------------------------------------------
    def _local(self, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        if not rest:
            return Value(None, "unknown", reason="`local` needs a name")
        return _traverse(self.local_value(str(rest[0])), rest[1:])

    def local_value(self, name: str) -> Value:
        if name not in self.local_values:
            entry = self.locals.get(name)
            if entry is None:
                return Value(None, "unknown", reason=f"local.{name} is not defined in {self.path}")
            if name in self.busy:
                return Value(None, "unknown", reason=f"local.{name} refers to itself")
            self.busy.add(name)
            try:
                self.local_values[name] = self.ev.eval(entry[0].expr, entry[1])
            finally:
                self.busy.discard(name)
        return self.local_values[name]

    def dependencies(self) -> dict[str, Value]:
        """`dependency` blocks by name, this file's over those of the files it includes (merged)."""
        if self._dependencies is None:
            self._dependencies = {}
            merged: dict[str, Value] = {}
            for _, parent, strategy, _ in self.includes:
                if strategy != "no_merge":
                    merged.update(parent.dependencies())
            for block, at in self.dependency_blocks:
                merged[block.labels[0]] = self._dependency_value(block, at)
            self._dependencies = merged
        return self._dependencies

    def _dependency_value(self, block: BlockNode, at: Locator) -> Value:
        name = block.labels[0]
        mock = block.attr("mock_outputs")
        if mock is None:
            where = block.attr("config_path")
            target = self.ev.eval(where.expr, at).value if where is not None else None
            what = f" ({target})" if isinstance(target, str) else ""
            reason = (
                f"dependency.{name}'s outputs are known only once its root{what} is applied (no mock_outputs)"
            )
            outputs = Value(None, "unknown", reason=reason)
        else:
            value = self.ev.eval(mock.expr, at)
            outputs = _strip(value, f"mock_outputs of dependency {name!r}")
            if value.known and isinstance(value.value, dict):
                outputs.elements = {
                    k: _strip(v, f"mock_outputs of dependency {name!r}") for k, v in _entries(value).items()
                }
        out = Value({"outputs": outputs.value}, "resolved")
        out.elements = {"outputs": outputs}
        return out

    def _dependency(self, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        if not rest:
            return Value(None, "unknown", reason="`dependency` needs a name")
        found = self.dependencies().get(str(rest[0]))
        if found is None and self.included and self.run.configs:
            found = self.run.configs[0].dependencies().get(str(rest[0]))  # declared in the including root
        if found is None:
            return Value(None, "unknown", reason=f"dependency {str(rest[0])!r} is not declared")
        value = _traverse(found, rest[1:])
        if not value.known and not value.reason:
            value.reason = f"{ref.dotted()} is not in the dependency's mock_outputs"
        return value

    def _include(self, rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        exposed = {label: cfg for label, cfg, _, _ in self.includes}
        if "" in exposed:  # an unlabelled include: `include.locals.x`
            return _traverse(exposed[""].exposed(), rest)
        if not rest or str(rest[0]) not in exposed:
            return Value(None, "unknown", reason=f"{ref.dotted()} is not an include of {self.path}")
        return _traverse(exposed[str(rest[0])].exposed(), rest[1:])

    def exposed(self) -> Value:
        """What `include.<label>` and `read_terragrunt_config()` give: locals, inputs, dependencies."""
        parts = {
            "locals": _map_value({name: self.local_value(name) for name in self.locals}),
            "inputs": _map_value(self.inputs()),
            "dependency": _map_value(self.dependencies()),
        }
        source = self.source()
        if source is not None:
            parts["terraform"] = _map_value({"source": source})
        return _map_value(parts)

    # -- functions ----------------------------------------------------------------------------------
    def _args(self, call: Call, at: Locator, ev: Evaluator) -> list[Value] | Value:
        values = [ev.eval(a, at) for a in call.args]
        for v in values:
            if not v.known:
                return Value(None, "unknown", reason=v.reason)
        return values

    def _find_in_parent_folders(self, call: Call, at: Locator, ev: Evaluator) -> Value:
        args = self._args(call, at, ev)
        if isinstance(args, Value):
            return args
        name = _to_str(args[0].value) if args else TERRAGRUNT_FILE
        start = os.path.abspath(self.run.root_dir)
        folder = os.path.dirname(start)
        for _ in range(MAX_PARENT_FOLDERS):
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return Value(candidate, "resolved")
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        if len(args) > 1:
            return args[1]
        # said where the value is used (an include reports its path as unknown, with this reason)
        return Value(None, "unknown", reason=f"find_in_parent_folders(): no {name} above {self.run.root_dir}")

    def _get_env(self, call: Call, at: Locator, ev: Evaluator) -> Value:
        if not call.args:
            return Value(None, "unknown", reason="get_env() needs a name")
        name = ev.eval(call.args[0], at)
        if len(call.args) > 1:
            default = ev.eval(call.args[1], at)
            if default.known:
                default = dataclasses.replace(default, origin_note=f"default of get_env({_shown(name)})")
            return default
        return Value(
            None,
            "unknown",
            reason=f"get_env({_shown(name)}) reads the deployment's environment, which is not known here",
        )

    def _terragrunt_dir(self, call: Call, at: Locator, ev: Evaluator) -> Value:
        return Value(os.path.abspath(self.run.root_dir), "resolved")

    def _include_dir(self, call: Call, at: Locator, ev: Evaluator) -> str | None:
        """The folder of the included configuration a path function speaks of (by label, if given)."""
        if self.included:
            return os.path.abspath(self.dir)
        label = ""
        if call.args:
            v = ev.eval(call.args[0], at)
            label = _to_str(v.value) if v.known else ""
        for name, cfg, _, _ in self.includes:
            if not label or name == label:
                return os.path.abspath(cfg.dir)
        return None

    def _parent_dir(self, call: Call, at: Locator, ev: Evaluator) -> Value:
        found = self._include_dir(call, at, ev)
        return Value(found or os.path.abspath(self.run.root_dir), "resolved")

    def _relative_to_include(self, call: Call, at: Locator, ev: Evaluator) -> Value:
        found = self._include_dir(call, at, ev)
        if found is None:
            return Value(".", "resolved")
        return Value(
            os.path.relpath(os.path.abspath(self.run.root_dir), found).replace(os.sep, "/"), "resolved"
        )

    def _relative_from_include(self, call: Call, at: Locator, ev: Evaluator) -> Value:
        found = self._include_dir(call, at, ev)
        if found is None:
            return Value(".", "resolved")
        return Value(
            os.path.relpath(found, os.path.abspath(self.run.root_dir)).replace(os.sep, "/"), "resolved"
        )

    def _read_config(self, call: Call, at: Locator, ev: Evaluator) -> Value:
        args = self._args(call, at, ev)
        if isinstance(args, Value):
            return args
        if not args or not isinstance(args[0].value, str):
            return Value(None, "unknown", reason="read_terragrunt_config() needs a path")
        path = os.path.join(self.run.root_dir, args[0].value)
        if not os.path.isfile(path) and len(args) > 1:
            return args[1]
        cfg = _load(self.run, path, self.chain, at, call, included=False)
        if cfg is None:
            return Value(
                None, "unknown", reason=f"read_terragrunt_config(): {args[0].value} could not be read"
            )
        return cfg.exposed()

    # -- what the root uses -------------------------------------------------------------------------
    def resolve_includes(self) -> None:
        """Read the files this one includes (recursively, bounded; a cycle is an error at its include)."""
        for block, at in self.include_blocks:
            path_attr = block.attr("path")
            if path_attr is None:
                self.run.error(at, block, "include block without `path`; ignored", False)
                continue
            path = self.ev.eval(path_attr.expr, at)
            if not path.known or not isinstance(path.value, str):
                message = f"the included path is not known ({path.reason or 'not a string'}); include ignored"
                self.run.error(at, path_attr, message, True)
                continue
            strategy = "shallow"
            merge = block.attr("merge_strategy")
            if merge is not None:
                chosen = self.ev.eval(merge.expr, at).value
                if chosen not in ("shallow", "deep", "no_merge"):
                    message = f"merge_strategy {chosen!r} is not shallow, deep or no_merge; shallow is used"
                    self.run.error(at, merge, message, False)
                else:
                    strategy = str(chosen)
            expose = block.attr("expose")
            exposed = expose is not None and self.ev.eval(expose.expr, at).value is True
            full = os.path.join(self.dir, path.value)
            cfg = _load(self.run, full, self.chain, at, path_attr, included=True)
            if cfg is not None:
                cfg.resolve_includes()
                self.includes.append((block.labels[0] if block.labels else "", cfg, strategy, exposed))

    def inputs(self) -> dict[str, Value]:
        """The merged `inputs`: those of the files it includes (by their merge strategy), then its own."""
        merged: dict[str, Value] = {}
        for _, parent, strategy, _ in self.includes:
            if strategy == "no_merge":
                continue
            for k, v in parent.inputs().items():
                merged[k] = _deep_merge(merged[k], v) if strategy == "deep" and k in merged else v
        strategies = {s for _, _, s, _ in self.includes}
        if self.inputs_attr is not None:
            attr, at = self.inputs_attr
            value = self.ev.eval(attr.expr, at)
            if not value.known:
                message = f"inputs are not known ({value.reason}); the module's variables are unset"
                self.run.error(at, attr, message, False)
            elif not isinstance(value.value, dict):
                self.run.error(at, attr, "inputs must be a map; ignored", False)
            else:
                for k, v in _entries(value).items():
                    deep = "deep" in strategies and k in merged
                    merged[k] = _deep_merge(merged[k], v) if deep else v
        return merged

    def source(self) -> Value | None:
        """`terraform { source = ... }`: this file's, else that of a file it includes."""
        for block, at in self.terraform_blocks:
            attr = block.attr("source")
            if attr is not None:
                return self.ev.eval(attr.expr, at)
        for _, parent, strategy, _ in self.includes:
            if strategy != "no_merge":
                found = parent.source()
                if found is not None:
                    return found
        return None

    def _contents(self, attr: Attribute, at: Locator) -> Value:
        """A `generate` block's contents: usually a heredoc with `${...}` in it, which the parsers keep
        unevaluated (`Opaque`); each simple interpolation is evaluated here, in this file's scope."""
        if not (isinstance(attr.expr, Opaque) and attr.expr.kind == "heredoc template"):
            return self.ev.eval(attr.expr, at)
        span = at.span(attr.expr.pos)
        raw = self.text[span.start : span.end]
        body = raw[raw.find("\n") + 1 : raw.rstrip().rfind("\n") + 1]
        failed: list[str] = []

        def value_of(match: re.Match[str]) -> str:
            parsed = parse_hcl(f"{self.path} (generate)", f"v = {match.group(1)}\n")
            item = parsed.items[0].item if parsed.items else None
            got = self.ev.eval(item.expr, parsed.items[0].at) if isinstance(item, Attribute) else None
            if got is None or not got.known or isinstance(got.value, (list, dict)):
                failed.append(match.group(1))
                return ""
            return _to_str(got.value)

        text = _INTERPOLATION.sub(value_of, body)
        if failed:
            return Value(None, "unknown", reason=f"${{{failed[0]}}} is not known")
        return Value(text, "resolved")

    def region(self) -> str | None:
        """The region of an `aws` provider a `generate` block writes (the module then has no provider of
        its own), from this file or the files it includes."""
        for block, at in self.generate_blocks:
            contents = block.attr("contents")
            if contents is None:
                continue
            text = self._contents(contents, at)
            if not isinstance(text.value, str) or "provider" not in text.value:
                continue
            generated = parse_hcl(f"{self.path} (generate {' '.join(block.labels)})", text.value)
            for pi in generated.items:
                item = pi.item
                if isinstance(item, BlockNode) and item.type == "provider" and item.labels[:1] == ("aws",):
                    if item.attr("alias") is not None:
                        continue
                    region = item.attr("region")
                    if region is not None:
                        got = Evaluator(Scope({}, budget=self.run.budget)).eval(region.expr, pi.at)
                        if isinstance(got.value, str):
                            return got.value
        for _, parent, strategy, _ in self.includes:
            if strategy != "no_merge":
                found = parent.region()
                if found is not None:
                    return found
        return None


_INTERPOLATION = re.compile(r"\$\{([^{}]{1,200})\}")


def _shown(name: Value) -> str:
    return f'"{name.value}"' if isinstance(name.value, str) else "…"


def _path_function(fn: Callable[[str], str]) -> Callable[[Call, Locator, Evaluator], Value]:
    def call(expr: Call, at: Locator, ev: Evaluator) -> Value:
        args = [ev.eval(a, at) for a in expr.args]
        if len(args) != 1 or not args[0].known or not isinstance(args[0].value, str):
            return Value(None, "unknown", reason=f"{expr.name}() takes one known string")
        return Value(fn(args[0].value), "resolved")

    return call


def _traverse(value: Value, rest: Iterable[Any]) -> Value:
    from advisor.iac.hcl_eval import _index

    for key in rest:
        value = _index(value, key)
        if not value.known:
            break
    return value


def _load(
    run: _Run, path: str, chain: tuple[str, ...], at: Locator, node: Attribute | Call, *, included: bool
) -> _Config | None:
    """A configuration file read for `run`, or None (an error at `node`, where the file is named)."""
    local = run.local_path(path)
    real = os.path.realpath(local)
    if real in chain:
        shown = " → ".join(run.local_path(p) for p in (*chain, real))
        run.error(at, node, f"include cycle: {shown}; a configuration cannot include itself", True)
        return None
    if len(chain) > MAX_INCLUDE_DEPTH:
        message = (
            f"includes nested deeper than {MAX_INCLUDE_DEPTH} levels (Advisor's limit); {local} is not read"
        )
        run.error(at, node, message, True)
        return None
    if len(run.configs) >= MAX_CONFIGS:
        message = f"more than {MAX_CONFIGS} Terragrunt configuration files for one root (Advisor's limit)"
        run.error(at, node, message, True)
        return None
    if not os.path.isfile(local):
        run.error(at, node, f"{local}: no such file", False)
        return None
    text = run.read(local)
    if text is None:
        run.error(at, node, f"{local} could not be read", True)
        return None
    hcl = parse_hcl(local, text, run.parser)
    run.errors.extend(e for e in hcl.errors if e not in run.errors)
    if local not in run.files:
        run.files.append(local)
    cfg = _Config(run, hcl, (*chain, real), included)
    run.configs.append(cfg)
    return cfg


def _split_source(source: str) -> tuple[str, str]:
    """A Terragrunt source as (where the files come from, the module's folder within them): the `//`
    that is not part of `scheme://` separates them; a `?ref=` query belongs to the first part."""
    scheme = source.find("://")
    start = scheme + 3 if scheme >= 0 else 0
    cut = source.find("//", start)
    if cut < 0:
        base, sub = source, ""
    else:
        base, sub = source[:cut], source[cut + 2 :]
    if "?" in sub:
        sub, query = sub.split("?", 1)
        base += "?" + query
    return base, sub.strip("/")


def _is_local(source: str) -> bool:
    return source.startswith(("./", "../", "/")) or source in (".", "..") or source.startswith("file://")


def _cached_module(root_dir: str, sub: str) -> str | None:
    """The module a remote source was downloaded to by `terragrunt init`: `.terragrunt-cache/<hash>/<hash>/
    <subfolder>` with Terraform files (the newest when several versions are there)."""
    cache = os.path.join(root_dir, CACHE_DIR)
    found: list[tuple[float, str]] = []
    try:
        firsts = sorted(os.listdir(cache))
    except OSError:
        return None
    for first in firsts[:MAX_CONFIGS]:
        try:
            seconds = sorted(os.listdir(os.path.join(cache, first)))
        except OSError:
            continue
        for second in seconds[:MAX_CONFIGS]:
            folder = os.path.normpath(os.path.join(cache, first, second, sub))
            try:
                if any(is_terraform_file(n) for n in os.listdir(folder)):
                    found.append((os.stat(folder).st_mtime, folder))
            except OSError:
                continue
    if not found:
        return None
    return max(found)[1]


@dataclass(slots=True)
class _Configured:
    """A root's configuration read: the module it runs, with what, and what was said on the way."""

    run: _Run
    result: ModuleResult
    module_dir: str | None = None
    inputs: dict[str, Value] = field(default_factory=dict)
    region: str | None = None


def _configure(directory: str, read: Reader, parser: HclParser | None = None) -> _Configured:
    """Read a root's `terragrunt.hcl` and what it includes: the module folder, its inputs, the region."""
    done = _Configured(_Run(directory, read, parser), ModuleResult())
    run = done.run
    root_file = os.path.join(directory, TERRAGRUNT_FILE)
    text = read(root_file)
    if text is None:
        run.errors.append(ParseError(root_file, f"{root_file} could not be read", incomplete=True))
        return done
    hcl = parse_hcl(root_file, text, run.parser)
    run.errors.extend(hcl.errors)
    run.files.append(root_file)
    root = _Config(run, hcl, (os.path.realpath(root_file),), included=False)
    run.configs.append(root)
    try:
        root.resolve_includes()
        source = root.source()
        done.inputs = {
            k: dataclasses.replace(v, origin_note=v.origin_note or f"inputs of {_where(v, root_file)}")
            for k, v in root.inputs().items()
        }
        done.region = root.region()
        done.module_dir = _module_dir(run, directory, source, done.result)
    finally:
        for cfg in run.configs:
            cfg.release()
        run.configs = []
    return done


def runs_module(
    directory: str, module: str, read: Reader = read_disk, parser: HclParser | None = None
) -> bool:
    """Whether the Terragrunt root in `directory` runs the module in the folder `module`."""
    found = _configure(directory, read, parser).module_dir
    return found is not None and os.path.realpath(found) == os.path.realpath(module)


def evaluate_terragrunt(
    directory: str, settings: Settings, read: Reader = read_disk, unsaved: Iterable[str] = ()
) -> ModuleResult:
    """Evaluate the Terragrunt root in `directory`: its configuration, then the module it calls with the
    merged `inputs` as variables. Resources carry the root (`Resource.root`) they were evaluated for."""
    done = _configure(directory, read, settings.memory.parser)
    run, result = done.run, done.result
    if done.module_dir is not None:
        tf_settings = dataclasses.replace(
            settings, inputs=done.inputs, default_region=done.region or settings.default_region
        )
        module = evaluate_root(done.module_dir, tf_settings, read, unsaved)
        for r in module.resources:
            r.root = directory
        result.resources = module.resources
        result.errors.extend(module.errors)
        result.notes.extend(module.notes)
        result.files.extend(module.files)
        result.sensitive_variables = module.sensitive_variables
        result.sensitive_values = module.sensitive_values
        result.unanalysed_calls = module.unanalysed_calls
        result.remote_modules.extend(module.remote_modules)
    result.files = [*run.files, *(f for f in result.files if f not in run.files)]
    root_file = os.path.join(directory, TERRAGRUNT_FILE)
    for span, message, incomplete in run.budget.problems:
        run.errors.append(ParseError(span.path if span else root_file, message, span, incomplete=incomplete))
    result.errors = [*run.errors, *result.errors]
    result.notes = [*run.notes, *result.notes]
    return result


def _where(value: Value, fallback: str) -> str:
    span: Span | None = value.origin or value.span
    return span.path if span is not None else fallback


def _module_dir(run: _Run, directory: str, source: Value | None, result: ModuleResult) -> str | None:
    """The folder of the module the root runs: its `terraform.source` (local, or remote from
    `.terragrunt-cache`), else the root's own folder when it holds Terraform files; None otherwise."""
    if source is None:
        try:
            own = any(is_terraform_file(n) for n in os.listdir(directory))
        except OSError:
            own = False
        return directory if own else None  # a parent configuration only: nothing to run
    if not source.known or not isinstance(source.value, str):
        where = source.span or Span(os.path.join(directory, TERRAGRUNT_FILE), 0, 0, 0, 0)
        message = (
            f"terraform.source is not known ({source.reason or 'not a string'}); the module is not analysed"
        )
        run.errors.append(ParseError(where.path, message, where, incomplete=True))
        return None
    base, sub = _split_source(source.value)
    if _is_local(base) and "?" not in base:
        base = base.removeprefix("file://")
        folder = run.local_path(os.path.join(directory, base, sub))
        if not os.path.isdir(folder):
            where = source.span or Span(os.path.join(directory, TERRAGRUNT_FILE), 0, 0, 0, 0)
            message = (
                f"terraform.source {source.value!r}: {folder} is not a folder; the module is not analysed"
            )
            run.errors.append(ParseError(where.path, message, where, incomplete=True))
            return None
        return folder
    cached = _cached_module(directory, sub)
    if cached is not None:
        return cached
    run.notes.append(f"{directory}: terraform.source {source.value!r} is not in {CACHE_DIR}; not analysed")
    if source.span is not None:
        result.remote_modules.append(source.span)
    return None
