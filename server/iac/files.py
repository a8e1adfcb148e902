"""Which files are which, by name (Terraform, variable definitions, possible CloudFormation templates),
and the one way every file of an analysed tree is read from disk (`read_file`).

A leaf module, so that finding, sorting and reading files imports nothing of the parsers.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass


def is_terraform_file(path: str) -> bool:
    return path.endswith((".tf", ".tf.json"))


def is_tfvars_file(path: str) -> bool:
    return path.endswith((".tfvars", ".tfvars.json"))


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
    if is_terraform_file(name):
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


def read_file(path: str, kind: str | None = None, roots: tuple[str, ...] | None = None) -> FileRead:
    """The bytes of a regular file, within the size cap of its kind, never through a link out of `roots`.

    `roots` are resolved folders (see `real_roots`); None allows links anywhere (a file the user named).
    The file is opened non-blocking and checked with `fstat` on the open descriptor, so a FIFO never
    blocks and what is checked is what is read. Never raises for a bad file.
    """
    absolute = os.path.abspath(path)
    real = os.path.realpath(absolute)
    target = real if real != absolute else None
    if target is not None and roots is not None and not inside(real, roots):
        return FileRead(None, OUTSIDE, target=target)
    cap = limits()[kind or kind_of(path)]
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return FileRead(None, "cannot read file: No such file or directory", missing=True, target=target)
        if exc.errno == errno.ENXIO:  # a socket (or a FIFO no one writes to, on some systems)
            return FileRead(None, _not_regular(real), target=target)
        return FileRead(None, f"cannot read file: {exc.strerror or exc}", target=target)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return FileRead(None, _not_regular_mode(st.st_mode), target=target)
        if st.st_size > cap:
            return FileRead(
                None,
                _too_big(st.st_size, cap, kind or kind_of(path)),
                target=target,
                head=os.read(fd, HEAD_BYTES),
            )
        chunks: list[bytes] = []
        total = 0
        while True:  # up to the cap: the file may grow while it is read
            chunk = os.read(fd, min(cap + 1 - total, 1 << 20) or 1)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:
                return FileRead(
                    None,
                    _too_big(total, cap, kind or kind_of(path)),
                    target=target,
                    head=b"".join(chunks)[:HEAD_BYTES],
                )
        return FileRead(b"".join(chunks), target=target)
    except OSError as exc:
        return FileRead(None, f"cannot read file: {exc.strerror or exc}", target=target)
    finally:
        os.close(fd)


def _too_big(size: int, cap: int, kind: str) -> str:
    return f"skipped: {size / MB:.1f} MB, over the {cap / MB:g} MB limit for {KIND_NAMES.get(kind, kind)}"


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
