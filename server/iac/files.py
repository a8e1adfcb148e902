"""Which files are which, by name (Terraform, variable definitions, possible CloudFormation templates),
and the one way every file of an analysed tree is read from disk (`read_file`).

A leaf module, so that finding, sorting and reading files imports nothing of the parsers.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass


def is_terraform_file(path: str) -> bool:
    return path.endswith((".tf", ".tf.json"))


def is_tfvars_file(path: str) -> bool:
    return path.endswith((".tfvars", ".tfvars.json"))


TERRAGRUNT_FILE = "terragrunt.hcl"  # a folder holding it is a Terragrunt root


def is_terragrunt_file(path: str) -> bool:
    return os.path.basename(path) == TERRAGRUNT_FILE


def is_template_candidate(name: str) -> bool:
    """A file that may be a CloudFormation template (its content decides)."""
    return name.endswith((".yaml", ".yml", ".template", ".json")) and not name.endswith(
        (".tf.json", ".tfvars.json")
    )


# -- reading files from disk ------------------------------------------------------------------------------
# Every file Advisor reads from an analysed tree goes through `read_file`: regular files only, up to a
# size cap per kind, and never through a link that leads out of the analysed folders. Each refusal is
# a sentence that the caller reports as an error at the file.

MB = 1024 * 1024
# The caps, per kind of file, and why:
LIMITS: dict[str, int] = {
    # hand-written .tf files are rarely over 100 KB; generated .tf.json can be a few MB. 4 MB of HCL
    # is about 100,000 lines, seconds of parsing: enough for anything real, bounded for anything else.
    "terraform": 4 * MB,
    "tfvars": 4 * MB,
    # CloudFormation itself refuses template bodies over 1 MB (the S3 limit; 51,200 bytes inline):
    # a larger file cannot be deployed, so it is not worth parsing.
    "template": 1 * MB,
    "parameters": 1 * MB,
    # `.terraform/modules/modules.json`: one line per module call.
    "manifest": 4 * MB,
    # a plan or state export (`terraform show -json`) repeats every resource with its values.
    "plan": 64 * MB,
    ".gitignore": 1 * MB,
}
KIND_NAMES = {
    "terraform": "Terraform files",
    "tfvars": "variable files",
    "template": "CloudFormation templates",
    "parameters": "parameters files",
    "manifest": "module manifests",
    "plan": "plan files",
    ".gitignore": ".gitignore files",
}
LIMITS_ENV = "ADVISOR_MAX_FILE_MB"  # the user's override: "8" (every kind) or "terraform=8,plan=256"
OUTSIDE = "skipped: a link to a place outside the analysed folder"
HEAD_BYTES = 64 * 1024  # what an oversized file shows of itself (is it a template at all?)


def kind_of(path: str) -> str:
    """The kind whose size cap applies to a file, by its name."""
    name = os.path.basename(path)
    if is_terraform_file(name) or name.endswith(".hcl"):  # Terragrunt's files are HCL written by hand too
        return "terraform"
    if is_tfvars_file(name):
        return "tfvars"
    if name == ".gitignore":
        return ".gitignore"
    if name == "modules.json":
        return "manifest"
    return "template"


def limits() -> dict[str, int]:
    """The caps in force: `LIMITS`, changed by `ADVISOR_MAX_FILE_MB` (the user's environment only; a
    repository cannot raise them). A value that is not understood is ignored."""
    raw = os.environ.get(LIMITS_ENV, "").strip()
    if not raw:
        return LIMITS
    out = dict(LIMITS)
    for part in raw.split(","):
        kind, sep, value = part.strip().rpartition("=")
        try:
            size = int(float(value) * MB)
        except ValueError:
            continue
        if size <= 0:
            continue
        if not sep:
            out = dict.fromkeys(out, size)
        elif kind.strip() in out:
            out[kind.strip()] = size
    return out


@dataclass(slots=True, frozen=True)
class FileRead:
    """What reading one file gave: its bytes, or why not (`problem`, a sentence for the user).

    `missing`: the file does not exist (callers decide whether that matters). `target`: where a link
    led (set for every link, allowed or not). `head`: the first bytes of a file skipped for its size.
    """

    data: bytes | None
    problem: str | None = None
    missing: bool = False
    target: str | None = None
    head: bytes = b""


def real_roots(roots: Iterable[str]) -> tuple[str, ...]:
    """The analysed folders with links resolved, as `read_file` compares them."""
    return tuple(os.path.realpath(r) for r in roots)


def inside(real: str, roots: tuple[str, ...]) -> bool:
    """Whether a resolved path is one of the resolved `roots` or below one."""
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


_O_PATH = getattr(os, "O_PATH", 0)  # Linux: a handle on a file that does not open it (nor its driver)
_FD_LINKS = "/proc/self/fd/"
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def read_file(path: str, kind: str | None = None, roots: tuple[str, ...] | None = None) -> FileRead:
    """The bytes of a regular file, within the size cap of its kind, never through a link out of `roots`.

    `roots` are resolved folders (see `real_roots`); None allows links anywhere (a file the user named).
    On Linux the file is first held by an `O_PATH` handle, which opens nothing: where it really is
    (`/proc/self/fd`) and what it is (`fstat`) are checked on that handle, and only a regular file in
    its place is then opened, through the same handle, so nothing can be swapped in between and no
    device is ever opened. Elsewhere the path is resolved first and opened non-blocking, so a FIFO
    never blocks, and checked with `fstat`. Never raises for a bad file.
    """
    absolute = os.path.abspath(path)
    cap = limits()[kind or kind_of(path)]
    what = KIND_NAMES.get(kind or kind_of(path), "files")
    if not _handles():
        return _read_resolved(absolute, cap, what, roots)
    try:
        handle = os.open(absolute, _O_PATH | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            return FileRead(None, f"cannot read file: {exc.strerror or exc}")
        return _read_resolved(absolute, cap, what, roots)  # missing, or a link to nothing: say which
    try:
        real = os.readlink(f"{_FD_LINKS}{handle}")
        target = real if real != absolute else None
        if target is not None and roots is not None and not inside(real, roots):
            return FileRead(None, OUTSIDE, target=target)
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            return FileRead(None, _not_regular_mode(mode), target=target)
        try:
            fd = os.open(f"{_FD_LINKS}{handle}", _READ_FLAGS)
        except OSError as exc:
            return FileRead(None, f"cannot read file: {exc.strerror or exc}", target=target)
    except OSError as exc:
        return FileRead(None, f"cannot read file: {exc.strerror or exc}")
    finally:
        os.close(handle)
    return _read_open(fd, cap, what, target)


@functools.lru_cache(maxsize=1)
def _handles() -> bool:
    """Whether `O_PATH` handles and `/proc/self/fd` are there to use (Linux)."""
    return bool(_O_PATH) and os.path.isdir(_FD_LINKS)


def resolve(path: str) -> str:
    """Where a path really is (links resolved), as `read_file` sees it; cheaper than `realpath`."""
    if _handles():
        try:
            handle = os.open(path, _O_PATH | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return os.path.realpath(path)
        try:
            return os.readlink(f"{_FD_LINKS}{handle}")
        except OSError:
            return os.path.realpath(path)
        finally:
            os.close(handle)
    return os.path.realpath(path)


def _read_resolved(absolute: str, cap: int, what: str, roots: tuple[str, ...] | None) -> FileRead:
    """`read_file` without `O_PATH`: the path resolved first, then opened without following links."""
    real = os.path.realpath(absolute)
    target = real if real != absolute else None
    if target is not None and roots is not None and not inside(real, roots):
        return FileRead(None, OUTSIDE, target=target)
    try:
        fd = os.open(real, _READ_FLAGS | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return FileRead(None, "cannot read file: No such file or directory", missing=True, target=target)
        if exc.errno == errno.ENXIO:  # a socket
            return FileRead(None, _not_regular(real), target=target)
        return FileRead(None, f"cannot read file: {exc.strerror or exc}", target=target)
    return _read_open(fd, cap, what, target)


def _read_open(fd: int, cap: int, what: str, target: str | None) -> FileRead:
    """Read an open file (closing it): a regular file of at most `cap` bytes."""
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return FileRead(None, _not_regular_mode(st.st_mode), target=target)
        if st.st_size > cap:
            return FileRead(
                None, _too_big(st.st_size, cap, what), target=target, head=os.read(fd, HEAD_BYTES)
            )
        chunks: list[bytes] = []
        total = 0
        while True:  # up to the cap: the file may grow while it is read
            chunk = os.read(fd, min(cap + 1 - total, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:
                head = b"".join(chunks)[:HEAD_BYTES]
                return FileRead(None, _too_big(total, cap, what), target=target, head=head)
        return FileRead(b"".join(chunks), target=target)
    except OSError as exc:
        return FileRead(None, f"cannot read file: {exc.strerror or exc}", target=target)
    finally:
        os.close(fd)


def _too_big(size: int, cap: int, what: str) -> str:
    return f"skipped: {size / MB:.1f} MB, over the {cap / MB:g} MB limit for {what}"


def _not_regular(path: str) -> str:
    try:
        return _not_regular_mode(os.stat(path).st_mode)
    except OSError:
        return "skipped: not a regular file"


def _not_regular_mode(mode: int) -> str:
    what = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a folder"
        if stat.S_ISDIR(mode)
        else "a special file"
    )
    return f"skipped: {what}, not a regular file"
