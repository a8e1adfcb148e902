"""Finding what to analyse: the IaC files under the paths given (honouring `.gitignore`), read as
every analysed file is (`iac.files.read_file`), and the root modules among them."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable

from advisor.deadline import check_deadline
from advisor.iac import files as iac_files
from advisor.iac.files import is_template_candidate, is_terraform_file, is_terragrunt_file, is_tfvars_file
from advisor.model import ParseError

SKIP_DIRS = {".terraform", ".git", ".hg", ".svn", "node_modules", "__pycache__", ".terragrunt-cache"}


# -- discovering files ---------------------------------------------------------------------------------
class _GitIgnore:
    """The subset of .gitignore that matters for finding IaC files: globs, `dir/`, anchors, negation."""

    def __init__(self) -> None:
        self.rules: list[tuple[str, str, bool, bool]] = []  # (base dir, pattern, negate, dir_only)

    def add_file(self, directory: str, roots: tuple[str, ...]) -> ParseError | None:
        """Read the folder's .gitignore; what made it unreadable, if it exists and could not be read."""
        path = os.path.join(directory, ".gitignore")
        got = iac_files.read_file(path, ".gitignore", roots)
        if got.data is None:
            return None if got.missing else ParseError(path, got.problem or "", incomplete=True)
        for raw in got.data.decode("utf-8", errors="replace").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            line = line.lstrip("!")
            dir_only = line.endswith("/")
            self.rules.append(
                (
                    directory,
                    line.strip("/") if "/" in line.rstrip("/") else line.rstrip("/"),
                    negate,
                    dir_only,
                )
            )
        return None

    def ignored(self, path: str, is_dir: bool) -> bool:
        result = False
        for base, pattern, negate, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if not path.startswith(base.rstrip(os.sep) + os.sep):
                continue
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            if "/" in pattern:
                hit = fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(
                    rel, pattern.replace("**/", "")
                )
            else:
                hit = fnmatch.fnmatchcase(os.path.basename(path), pattern)
            if hit:
                result = not negate
        return result


Found = tuple[list[str], list[ParseError]]  # what `discover` returns: the files, and what could not be read


def analysed_roots(paths: Iterable[str]) -> tuple[str, ...]:
    """The folders an analysis of `paths` is confined to: each folder given, and the folder of each file."""
    return tuple(p if os.path.isdir(p) else os.path.dirname(p) or "." for p in paths)


def discover(paths: Iterable[str]) -> Found:
    """IaC files under the given files and folders: skips .terraform/, .git/ and what .gitignore lists.

    Linked folders are walked when they lead to a place inside the folders given (each real folder
    once, so a loop of links ends); a link out of them is reported, not followed.
    """
    paths = list(paths)
    roots = iac_files.real_roots(analysed_roots(paths))
    found: list[str] = []
    errors: list[ParseError] = []
    for p in paths:
        if os.path.isfile(p):
            found.append(os.path.normpath(p))
            continue
        if not os.path.isdir(p):
            errors.append(ParseError(p, "no such file or folder"))
            continue
        ignore = _GitIgnore()
        seen: set[tuple[int, int]] = set()
        for root, dirs, files in os.walk(p, followlinks=True):
            check_deadline()  # a workspace scan the user cancelled stops walking
            try:
                st = os.stat(root)
            except OSError:
                dirs[:] = []
                continue
            if (st.st_dev, st.st_ino) in seen:  # reached again through a link: walked already
                dirs[:] = []
                continue
            seen.add((st.st_dev, st.st_ino))
            problem = ignore.add_file(root, roots)
            if problem is not None:
                errors.append(problem)
            kept = []
            for d in sorted(dirs):
                full = os.path.join(root, d)
                if d in SKIP_DIRS or ignore.ignored(full, True):
                    continue
                if os.path.islink(full) and not iac_files.inside(os.path.realpath(full), roots):
                    errors.append(ParseError(os.path.normpath(full), iac_files.OUTSIDE, incomplete=True))
                    continue
                kept.append(d)
            dirs[:] = kept
            for name in sorted(files):
                full = os.path.join(root, name)
                wanted = is_terraform_file(name) or is_tfvars_file(name) or is_template_candidate(name)
                if (wanted or is_terragrunt_file(name)) and not ignore.ignored(full, False):
                    found.append(os.path.normpath(full))
    return sorted(dict.fromkeys(found)), errors


# -- reading files safely -------------------------------------------------------------------------------
def read_text(path: str, roots: Iterable[str] | None = None) -> tuple[str | None, str | None]:
    """(text, None) or (None, reason) — never raises for a bad file.

    Through `iac_files.read_file`: regular files within the size cap of their kind, and no link out of
    `roots` (by default the file's own folder).
    """
    confined = iac_files.real_roots([os.path.dirname(path) or "."] if roots is None else roots)
    got = iac_files.read_file(path, roots=confined)
    if got.data is None:
        return None, got.problem
    return decode(got.data)


def decode(data: bytes) -> tuple[str | None, str | None]:
    """The text of a file's bytes, or why it is not text."""
    if b"\0" in data[:8192]:
        return None, "binary file; skipped"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, f"invalid UTF-8 at byte {exc.start} (line {line})"
    return text, None


# -- many modules ----------------------------------------------------------------------------------------
def module_roots(files: list[str]) -> list[str]:
    """Directories holding Terraform files or `terragrunt.hcl`: each is evaluated as a root module (a
    Terragrunt root runs the module its `terraform.source` names)."""
    return sorted({os.path.dirname(f) or "." for f in files if is_terraform_file(f) or is_terragrunt_file(f)})
