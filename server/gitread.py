"""Reading a repository's files straight from git objects, for `advisor diff` and `advisor history`.

Nothing here checks anything out: trees are listed with `git ls-tree` and blobs read with one
`git cat-file --batch`, so the working tree, the index and HEAD are never touched, and no filter,
textconv or hook of the repository runs. The repository is untrusted input: every git command runs
with the repository's program-running settings turned off (`SAFE_CONFIG`), and a path from a tree is
written only when each of its parts is a plain name, through folders that are real folders inside the
destination (a link left by an earlier commit is replaced, never followed).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field

# Settings that could make a read-only git command run a program or read a work tree's state.
SAFE_CONFIG = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.untrackedCache=false",
    "-c",
    "log.showSignature=false",
)
SYMLINK = "120000"


class GitError(Exception):
    """A git command failed: not a repository, an unknown revision, git missing."""


def git(args: list[str], cwd: str, stdin: bytes | None = None) -> bytes:
    """The output of `git ARGS` run in `cwd` with `SAFE_CONFIG` and no terminal prompt."""
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_NO_REPLACE_OBJECTS"] = "1"  # objects are what they say they are
    env["GIT_NO_LAZY_FETCH"] = "1"  # a partial clone's missing blob is missing, not fetched from a remote
    try:
        done = subprocess.run(
            ["git", *SAFE_CONFIG, *args], cwd=cwd, input=stdin, capture_output=True, env=env, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed ({done.returncode})")
    return done.stdout


# (mode, object id) of one file of a tree
Entry = tuple[str, str]


def list_tree(root: str, commit: str, wanted: Callable[[str], bool]) -> dict[str, Entry]:
    """The blobs of `commit` whose repository path `wanted` accepts, by path ('/'-separated)."""
    listing = git(["ls-tree", "-r", "-z", "--full-tree", commit], root)
    entries: dict[str, Entry] = {}
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, oid = meta.decode("ascii", "replace").split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind == "blob" and wanted(path):
            entries[path] = (mode, oid)
    return entries


def read_blobs(root: str, oids: Iterable[str]) -> dict[str, bytes | None]:
    """The contents of the blobs, by object id; None for one this clone does not have."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    batch = git(["cat-file", "--batch"], root, stdin="".join(f"{oid}\n" for oid in wanted).encode())
    out: dict[str, bytes | None] = {}
    pos = 0
    for oid in wanted:
        header_end = batch.index(b"\n", pos)
        header = batch[pos:header_end].split()
        if len(header) != 3:  # "<oid> missing": not in this (partial) clone
            out[oid] = None
            pos = header_end + 1
            continue
        size = int(header[2])
        out[oid] = batch[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return out


def iac_path(path: str, scopes: list[str]) -> bool:
    """Whether an analysis of `scopes` (repository folders, "" for all) may read the file at `path`:
    Terraform and Terragrunt files anywhere (module sources may live outside the scopes), configuration,
    and any other IaC file (CloudFormation templates, parameter files) inside a scope."""
    from advisor.iac.files import is_terraform_file, is_tfvars_file

    name = path.rsplit("/", 1)[-1]
    if is_terraform_file(name) or is_tfvars_file(name) or name in (".gitignore", ".advisor.toml"):
        return True
    if name.endswith(".hcl"):  # terragrunt.hcl and the files it includes
        return True
    if not name.endswith((".yaml", ".yml", ".json", ".template")):
        return False
    return any(s in ("", ".") or path == s or path.startswith(s + "/") for s in scopes)


def plain_parts(path: str) -> list[str] | None:
    """The parts of a repository path, or None when one could lead elsewhere ('', '.', '..', '.git',
    a NUL or a separator of this system)."""
    parts = path.split("/")
    for part in parts:
        if part in ("", ".", "..") or part.lower() == ".git" or "\0" in part or os.sep in part:
            return None
        if os.altsep and os.altsep in part:
            return None
    return parts


def _real_folder(dest: str, parts: list[str]) -> str:
    """`dest/parts...` as real folders: a link or file in the way (left by an earlier commit) is removed."""
    folder = dest
    for part in parts:
        folder = os.path.join(folder, part)
        try:
            st = os.lstat(folder)
        except FileNotFoundError:
            os.mkdir(folder, 0o700)
            continue
        import stat

        if not stat.S_ISDIR(st.st_mode):  # a link or a file where the new tree has a folder
            os.unlink(folder)
            os.mkdir(folder, 0o700)
    return folder


def write_entry(dest: str, path: str, mode: str, data: bytes) -> None:
    """Write one blob at `dest/path` (a link for mode 120000, as a checkout makes it), confined to `dest`.

    Raises ValueError for a path that is not a plain relative path, OSError when it cannot be written.
    """
    parts = plain_parts(path)
    if parts is None:
        raise ValueError(f"unsafe path in the tree: {path!r}")
    folder = _real_folder(dest, parts[:-1])
    target = os.path.join(folder, parts[-1])
    with suppress(FileNotFoundError):
        if not os.path.isdir(target) or os.path.islink(target):
            os.unlink(target)  # never write through what an earlier commit left there
        else:
            import shutil

            shutil.rmtree(target)
    if mode == SYMLINK:  # the blob is the link's destination; reading through it is the engine's call
        os.symlink(data.decode("utf-8", "surrogateescape"), target)
        return
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def remove_entry(dest: str, path: str) -> None:
    """Remove `dest/path` if it is there (a file or a link; never followed), and folders left empty."""
    parts = plain_parts(path)
    if parts is None:
        return
    folder = dest
    for part in parts[:-1]:
        folder = os.path.join(folder, part)
        if os.path.islink(folder) or not os.path.isdir(folder):
            return  # not written by us as a folder: nothing of ours is below it
    with suppress(FileNotFoundError, IsADirectoryError, PermissionError):
        os.unlink(os.path.join(folder, parts[-1]))
    while folder != dest:
        try:
            os.rmdir(folder)
        except OSError:
            break
        folder = os.path.dirname(folder)


@dataclass(slots=True)
class TreeCopy:
    """A folder that holds one commit's wanted files at a time: moving it to another commit writes only
    the blobs that differ and removes the files that are gone, so file digests (and the engine's stored
    outcomes of unchanged modules) stay valid from one commit to the next."""

    root: str  # the repository's work tree
    dest: str  # where the files are written
    wanted: Callable[[str], bool]
    entries: dict[str, Entry] = field(default_factory=dict)
    # the paths the last move added or removed (the folder listings that changed)
    added_or_gone: set[str] = field(default_factory=set)

    def move_to(self, commit: str) -> tuple[set[str], list[tuple[str, str]]]:
        """Make the copy `commit`'s; (the paths that changed, [(path, why)] of files left out)."""
        new = list_tree(self.root, commit, self.wanted)
        changed = {p for p, e in new.items() if self.entries.get(p) != e}
        gone = set(self.entries) - set(new)
        self.added_or_gone = gone | (set(new) - set(self.entries))
        for path in sorted(gone, reverse=True):
            remove_entry(self.dest, path)
        blobs = read_blobs(self.root, (new[p][1] for p in changed))
        problems: list[tuple[str, str]] = []
        for path in sorted(changed):
            mode, oid = new[path]
            data = blobs.get(oid)
            if data is None:
                problems.append((path, f"blob {oid[:12]} is not in this clone (a partial clone: fetch it)"))
                remove_entry(self.dest, path)
                del new[path]
                self.added_or_gone.add(path)
                continue
            try:
                write_entry(self.dest, path, mode, data)
            except (ValueError, OSError) as exc:
                problems.append((path, f"not copied from git: {exc}"))
                del new[path]
                self.added_or_gone.add(path)
        self.entries = new
        return changed | gone, problems
