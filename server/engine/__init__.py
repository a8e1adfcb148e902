"""One engine for the command line and the language server: files in, priced resources and findings out.

parse → model → price → rules → findings, per root module or template; many modules in a process
pool. Nothing here knows about LSP or output formats. The package's modules, from the inside out:

- `session.py`: the `Session`, everything remembered between analyses (see its table);
- `records.py`: `Options`, `ModuleJob`, and the one outcome record `Analysis`;
- `discovery.py`: the files under the paths given, and the root modules among them;
- `pipeline.py`: one module through the pipeline, as a plain function;
- `stored.py`: outcomes and whole reports kept in the disk store, and when they are still valid;
- `module.py`: one module, from the disk store or the pipeline, with the editor's reuse state;
- `parallel.py`: many modules in worker processes;
- `merging.py`: a tree's analysis from its modules' outcomes;
- `tree.py`: a whole tree, from discovery to the merged analysis.
"""

from __future__ import annotations

from advisor.engine.discovery import SKIP_DIRS, Found, analysed_roots, discover, module_roots, read_text
from advisor.engine.module import analyze_buffer, analyze_module, forget_reuse
from advisor.engine.parallel import ISSUES_URL
from advisor.engine.pipeline import price_resources
from advisor.engine.records import (
    REMOTE_MODULE,
    REMOTE_TERRAGRUNT,
    TEMPLATE_TYPES,
    Analysis,
    ModuleJob,
    Options,
    remote_module_note,
    remote_modules_notice,
)
from advisor.engine.session import Session
from advisor.engine.stored import (
    StoredReport,
    inputs_unchanged,
    report_key,
    store_report,
    stored_report,
    tree_signature,
)
from advisor.engine.tree import analyze_paths

__all__ = [
    "ISSUES_URL",
    "REMOTE_MODULE",
    "REMOTE_TERRAGRUNT",
    "SKIP_DIRS",
    "TEMPLATE_TYPES",
    "Analysis",
    "Found",
    "ModuleJob",
    "Options",
    "Session",
    "StoredReport",
    "analysed_roots",
    "analyze_buffer",
    "analyze_module",
    "analyze_paths",
    "discover",
    "forget_reuse",
    "inputs_unchanged",
    "module_roots",
    "price_resources",
    "read_text",
    "remote_module_note",
    "remote_modules_notice",
    "report_key",
    "store_report",
    "stored_report",
    "tree_signature",
]
