"""The `Session`: everything Advisor remembers from one analysis to the next, in one object.

The command line makes one per run, the language server one per server; it travels in
`Options.session` to every layer that remembers something, and each layer is handed only its part
(the front-ends a `FrontendMemory`, the rules their price memos). Nothing is remembered in a module
global: two sessions never see each other's entries, and `clear()` forgets everything.

What is remembered, and how much (entries; the limits keep a long editing session's memory flat):

- `chunks`: the HCL text of a top-level block → its syntax tree or error (an edit re-parses only the
  block it touched);
- `files`: a path → its previous parse (the next text is rescanned only around the change);
- `targets`: a parsed block → the resources and data sources it reads (not walked again);
- `estimates`: (type, region, usage, priced attributes) → the estimate (not priced again);
- `comparisons`: (resource, change) → the two monthly figures a rule compares;
- `reuse`: (module folder, template) → its last resources and findings (the editor's incremental runs);
- `terragrunt_roots`: the analysed folders → the Terragrunt roots under them (one walk serves every
  module of an editor run);
- `module_calls`: the analysed folders → the local module calls of the Terraform files under them
  (which folder calls which), for the same purpose.

Functions of the program's own tables (the CloudFormation mapping, instance facts) are memoised where
they are defined: they do not depend on what is analysed. A session is per process: pickled (to a
worker process) it arrives empty, and the jobs a worker receives together share it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor.cache import BoundedCache

if TYPE_CHECKING:
    from advisor.iac.frontend import FrontendMemory
    from advisor.store import DiskStore

CHUNKS_LIMIT = 20_000
FILES_LIMIT = 256
TARGETS_LIMIT = 50_000
ESTIMATES_LIMIT = 50_000
COMPARISONS_LIMIT = 50_000
REUSE_LIMIT = 64
TERRAGRUNT_WALKS_LIMIT = 16


class Session:
    """What one run (command line) or one server (editor) remembers; see the module's table."""

    def __init__(self) -> None:
        self.chunks: BoundedCache[str, Any] = BoundedCache("chunks", CHUNKS_LIMIT)
        self.files: BoundedCache[str, Any] = BoundedCache("files", FILES_LIMIT)
        # looked up hundreds of times per keystroke, their entries alike in worth: the oldest goes first
        self.targets: BoundedCache[int, Any] = BoundedCache("block references", TARGETS_LIMIT, recency=False)
        self.estimates: BoundedCache[tuple[Any, ...], Any] = BoundedCache(
            "estimates", ESTIMATES_LIMIT, recency=False
        )
        self.comparisons: BoundedCache[tuple[Any, ...], Any] = BoundedCache(
            "comparisons", COMPARISONS_LIMIT, recency=False
        )
        self.reuse: BoundedCache[tuple[str, str | None], Any] = BoundedCache("reuse", REUSE_LIMIT)
        self.terragrunt_roots: BoundedCache[tuple[str, ...], tuple[float, list[str]]] = BoundedCache(
            "terragrunt roots", TERRAGRUNT_WALKS_LIMIT
        )
        # (when walked, folder → the folders it calls, file → (mtime, size, the folders it calls))
        self.module_calls: BoundedCache[tuple[str, ...], Any] = BoundedCache(
            "module calls", TERRAGRUNT_WALKS_LIMIT
        )
        self._disk: DiskStore | None = None

    def __reduce__(self) -> tuple[type[Session], tuple[()]]:
        return (Session, ())  # entries stay in the process that made them

    def caches(self) -> list[BoundedCache[Any, Any]]:
        return [
            self.chunks,
            self.files,
            self.targets,
            self.estimates,
            self.comparisons,
            self.reuse,
            self.terragrunt_roots,
            self.module_calls,
        ]

    def clear(self) -> None:
        """Forget everything remembered (the disk store stays: its entries are checked when read)."""
        for cache in self.caches():
            cache.clear()

    def disk_store(self) -> DiskStore:
        """The disk store of stored results, opened once per session."""
        if self._disk is None:
            from advisor.store import DiskStore

            self._disk = DiskStore()
        return self._disk

    def frontend_memory(self, disk: DiskStore | None = None, store_parses: bool = False) -> FrontendMemory:
        """What the front-ends may remember for one job: this session's parser caches and block
        references; with `disk`, whole files' parses by content (`store_parses`: written there too)."""
        from advisor.iac.frontend import FrontendMemory
        from advisor.iac.hcl_parse import HclParser

        return FrontendMemory(HclParser(self.chunks, self.files, disk, store_parses), self.targets)
