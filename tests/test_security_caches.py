"""Nothing Advisor loads from disk can run code: caches are in a private folder, entries authenticated.

Each test does what another local user (or anyone who can write a file the user's Advisor reads)
would do: plant a pickle that runs code when it is loaded where Advisor would load it, then run the
real command line and check that the planted code never ran and the answer is still right.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import stat
import sys
from pathlib import Path

import pytest
from conftest import run_cli

VOLUME = 'resource "aws_ebs_volume" "v" {\n  type = "gp2"\n  size = 10\n}\n'
# `{in = 1}` is a construct the fast parser declines: the chunk goes to lark, which loads its tables
NEEDS_LARK = "locals {\n  x = {in = 1}\n}\n"

root_only = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to give files to another user"
)


class _Planted:
    """A pickle that, when loaded, creates `marker` (as `os.system("touch …")` would, without a shell)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.marker, "w"))


def planted(marker: Path) -> bytes:
    return pickle.dumps(_Planted(marker), protocol=2)


def cache_warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if "cache" in line]


def rules(out: str) -> list[str]:
    return [f["rule"] for f in json.loads(out)["findings"]]


def entries(cache: Path) -> list[Path]:
    """The stored entries under a cache folder (parses, outcomes, reports), not the key."""
    return [p for p in cache.rglob("*") if p.is_file() and p.parent.parent.name.startswith("parse-")]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "main.tf").write_text(VOLUME)
    return proj


def lint(proj: Path, cache: Path, **extra: str) -> tuple[list[str], str, int]:
    r = run_cli("lint", str(proj), "--format", "json", env={"ADVISOR_CACHE_DIR": str(cache), **extra})
    return rules(r.stdout), r.stderr, r.returncode


# -- planted entries in the cache folder -----------------------------------------------------------


def test_planted_entries_in_the_private_folder_are_never_loaded(tmp_path: Path, project: Path) -> None:
    """Every stored entry replaced by a code-running pickle (a wrong MAC): each is a miss."""
    cache, marker = tmp_path / "cache", tmp_path / "pwned-entry"
    assert lint(project, cache)[0] == ["ebs-gp2-to-gp3"]
    stored = entries(cache)
    assert stored  # the module outcome and the report
    for p in stored:
        p.write_bytes(planted(marker))
    found, err, code = lint(project, cache)
    assert not marker.exists()
    assert (found, code) == (["ebs-gp2-to-gp3"], 1) and "Traceback" not in err
    # the same again, with the parses stored too (a changed module stores its files' parses)
    (project / "main.tf").write_text(VOLUME + "\n")
    lint(project, cache)
    for p in entries(cache):
        p.write_bytes(planted(marker))
    assert lint(project, cache)[0] == ["ebs-gp2-to-gp3"] and not marker.exists()


def test_a_tampered_entry_is_a_miss(tmp_path: Path, project: Path) -> None:
    """One byte changed in a stored report (the rule id it prints) is not shown: the entry is a miss."""
    cache = tmp_path / "cache"
    first = run_cli("lint", str(project), "--format", "json", env={"ADVISOR_CACHE_DIR": str(cache)})
    flipped = 0
    for p in entries(cache):
        data = p.read_bytes()
        at = data.find(b"ebs-gp2-to-gp3")
        if at >= 0:
            p.write_bytes(data[: at + 13] + b"4" + data[at + 14 :])
            flipped += 1
    assert flipped
    again = run_cli("lint", str(project), "--format", "json", env={"ADVISOR_CACHE_DIR": str(cache)})
    assert again.stdout == first.stdout and again.returncode == first.returncode == 1


def test_tampered_and_foreign_entries_are_misses_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from advisor import store as disk_store

    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ADVISOR_NO_CACHE", raising=False)
    disk_store.reset()
    try:
        disk = disk_store.DiskStore()
        name = disk_store.key("test", "tampered")
        disk.store(name, {"text": "hello world"})
        assert disk.load(name) == {"text": "hello world"}
        (path,) = [p for p in (tmp_path / "cache").rglob(name)]
        good = path.read_bytes()
        at = good.find(b"hello")
        for i in (0, 31, at, len(good) - 1):  # in the MAC, in the text, in the pickle's end
            path.write_bytes(good[:i] + bytes([good[i] ^ 1]) + good[i + 1 :])
            assert disk.load(name) is None, i
        path.write_bytes(good[:10])  # cut short
        assert disk.load(name) is None
        # a valid entry under another name is not that name's entry either
        other = disk_store.key("test", "other")
        (path.parent.parent / other[:2]).mkdir(exist_ok=True)
        (path.parent.parent / other[:2] / other).write_bytes(good)
        assert disk.load(other) is None
    finally:
        disk_store.reset()


# -- a cache folder someone else controls ----------------------------------------------------------


def _give_away(folder: Path, uid: int) -> None:
    for p in [folder, *folder.rglob("*")]:
        os.chown(p, uid, uid, follow_symlinks=False)


@root_only
def test_a_cache_folder_of_another_user_is_refused(tmp_path: Path, project: Path) -> None:
    cache, marker = tmp_path / "cache", tmp_path / "pwned-foreign"
    lint(project, cache)
    for p in entries(cache):
        p.write_bytes(planted(marker))
    _give_away(cache, 65534)
    found, err, code = lint(project, cache)
    assert not marker.exists()
    assert (found, code) == (["ebs-gp2-to-gp3"], 1)
    (warning,) = cache_warnings(err)
    assert "another user" in warning and str(cache) in warning, err
    assert "Traceback" not in err
    # nothing was written into it either
    assert all(p.stat().st_uid == 65534 for p in cache.rglob("*"))


def test_a_cache_folder_writable_by_others_is_refused(tmp_path: Path, project: Path) -> None:
    cache, marker = tmp_path / "cache", tmp_path / "pwned-open"
    lint(project, cache)
    for p in entries(cache):
        p.write_bytes(planted(marker))
    os.chmod(cache, 0o777)
    found, err, code = lint(project, cache)
    assert not marker.exists()
    assert (found, code) == (["ebs-gp2-to-gp3"], 1)
    (warning,) = cache_warnings(err)
    assert "written by other users" in warning and str(cache) in warning, err


def test_a_cache_folder_that_is_a_link_is_refused(tmp_path: Path, project: Path) -> None:
    elsewhere, marker = tmp_path / "elsewhere", tmp_path / "pwned-link"
    lint(project, elsewhere)
    for p in entries(elsewhere):
        p.write_bytes(planted(marker))
    (tmp_path / "cache").symlink_to(elsewhere)
    found, err, _ = lint(project, tmp_path / "cache")
    assert found == ["ebs-gp2-to-gp3"] and not marker.exists()
    (warning,) = cache_warnings(err)
    assert "link" in warning, err


# -- the key ---------------------------------------------------------------------------------------


def test_the_key_is_private_and_made_once(tmp_path: Path) -> None:
    from advisor.paths import private_folder, secret_key

    os.environ["ADVISOR_CACHE_DIR"] = str(tmp_path / "cache")
    try:
        folder = private_folder()
        key = secret_key(folder)
        assert len(key) == 32 and secret_key(folder) == key
        (path,) = [p for p in folder.iterdir() if p.is_file()]
        info = path.lstat()
        assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == os.getuid()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        del os.environ["ADVISOR_CACHE_DIR"]


@pytest.mark.parametrize("how", ["readable", "writable", "foreign", "link", "short"])
def test_a_key_file_with_wrong_mode_or_owner_is_refused(tmp_path: Path, project: Path, how: str) -> None:
    """A key others could read or write (or a link to one) would let them forge entries: refused."""
    from advisor.paths import UnsafeFolder, private_folder, secret_key

    if how == "foreign" and os.getuid() != 0:
        pytest.skip("needs root to give the key to another user")
    cache = tmp_path / "cache"
    lint(project, cache)
    os.environ["ADVISOR_CACHE_DIR"] = str(cache)
    try:
        folder = private_folder()
        (path,) = [p for p in folder.iterdir() if p.is_file()]
        known = b"k" * 32  # a key the attacker knows
        if how == "link":
            path.unlink()
            (tmp_path / "their.key").write_bytes(known)
            path.symlink_to(tmp_path / "their.key")
        else:
            path.write_bytes(known[:5] if how == "short" else known)
            mode = {"readable": 0o644, "writable": 0o606}.get(how, 0o600)
            os.chmod(path, mode)
            if how == "foreign":
                os.chown(path, 65534, 65534)
        with pytest.raises(UnsafeFolder):
            secret_key(folder)
    finally:
        del os.environ["ADVISOR_CACHE_DIR"]
    # entries sealed with the known key: an attacker's forgeries, never loaded
    marker = tmp_path / "pwned-key"
    for p in entries(cache):
        body = planted(marker)
        mac = hashlib.blake2b(p.name.encode() + b"\0" + body, key=known, digest_size=32).digest()
        p.write_bytes(mac + body)
    found, err, code = lint(project, cache)
    assert (found, code) == (["ebs-gp2-to-gp3"], 1) and not marker.exists()
    (warning,) = cache_warnings(err)
    assert "key" in warning, err


# -- lark's parser tables --------------------------------------------------------------------------


def _lark_temp_name(tmp: Path) -> tuple[Path, str]:
    """Where lark 1.x with `cache=True` reads its tables: a name anyone can work out, in the temp folder."""
    import getpass
    from importlib import resources

    import lark
    from advisor.iac.hcl_lark import _GRAMMAR_FIXES

    grammar = resources.files("hcl2").joinpath("hcl2.lark").read_text(encoding="utf-8")
    for old, new in _GRAMMAR_FIXES:
        grammar = grammar.replace(old, new)
    options = "cacheTrue" + "parserlalr" + "propagate_positionsTrue"
    digest = hashlib.sha256(
        (grammar + options + lark.__version__ + str(sys.version_info[:2])).encode()
    ).hexdigest()
    name = f".lark_cache_{getpass.getuser()}_{digest}_{sys.version_info[0]}_{sys.version_info[1]}.tmp"
    return tmp / name, digest


def test_lark_tables_planted_in_the_temp_folder_are_never_loaded(tmp_path: Path, project: Path) -> None:
    (project / "locals.tf").write_text(NEEDS_LARK)
    shared_tmp = tmp_path / "tmp"  # stands for /tmp (every user can write there)
    shared_tmp.mkdir()
    os.chmod(shared_tmp, 0o1777)
    marker = tmp_path / "pwned-lark"
    planted_tables, digest = _lark_temp_name(shared_tmp)
    planted_tables.write_bytes(digest.encode() + b"\n" + planted(marker))
    cache = tmp_path / "cache"
    r = run_cli(
        "lint",
        str(project),
        "--format",
        "json",
        env={"ADVISOR_CACHE_DIR": str(cache), "TMPDIR": str(shared_tmp)},
    )
    assert not marker.exists()
    assert (rules(r.stdout), r.returncode) == (["ebs-gp2-to-gp3"], 1) and "Traceback" not in r.stderr
    assert json.loads(r.stdout)["summary"]["parse_errors"] == 0
    assert any(p.is_file() for p in (cache / "lark").rglob("*"))  # lark was needed, and its tables kept here


def test_lark_tables_in_the_private_folder_are_authenticated(tmp_path: Path, project: Path) -> None:
    """The tables are stored sealed in the private folder; replaced by a code-running pickle, rebuilt."""
    (project / "locals.tf").write_text(NEEDS_LARK)
    cache = tmp_path / "cache"
    assert lint(project, cache)[0] == ["ebs-gp2-to-gp3"]
    tables = [p for p in cache.rglob("*") if p.is_file() and "lark" in str(p.relative_to(cache))]
    assert tables
    marker = tmp_path / "pwned-tables"
    for p in tables:
        data = p.read_bytes()
        # lark's own format (a hash line, then pickles) and a raw pickle: neither is loaded
        p.write_bytes(data[:32] + planted(marker))
    env = {"ADVISOR_NO_CACHE": "1"}  # no stored outcome: the file is parsed, lark is needed
    found, err, code = lint(project, cache, **env)
    assert (found, code) == (["ebs-gp2-to-gp3"], 1) and not marker.exists()
    assert "Traceback" not in err


def test_the_parse_cache_folder_carries_a_new_format(tmp_path: Path, project: Path) -> None:
    """Entries written before they were authenticated (format 2) are never read."""
    cache = tmp_path / "cache"
    lint(project, cache)
    folders = {p.name for p in cache.iterdir() if p.is_dir()}
    assert any(n.startswith("parse-") for n in folders)
    assert not any(n.endswith("-f2") or n.endswith("-f1") for n in folders)


# -- the refreshed price copy ------------------------------------------------------------------------


def _planted_prices(path: Path) -> None:
    """A valid price file in the cache folder, with a price the shipped snapshot does not have."""
    import shutil
    import sqlite3

    from advisor.pricing import snapshot_db
    from advisor.pricing.catalog import shipped_db_path

    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shipped_db_path(), path)
    conn = sqlite3.connect(path)
    row = snapshot_db.PriceRow("ec2.m5.large", "us-east-1", 9.99, "hour", "planted", "2026-09-01")
    snapshot_db.write_prices(conn, [row])
    conn.commit()
    conn.close()


def _status(env: dict[str, str]) -> str:
    r = run_cli("pricing", "status", env={"ADVISOR_PRICING_DB": "", **env})
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("how", ["open", "foreign", "open-file"])
def test_a_refreshed_price_copy_in_an_unsafe_place_is_ignored(tmp_path: Path, how: str) -> None:
    if how == "foreign" and os.getuid() != 0:
        pytest.skip("needs root to give the folder to another user")
    folder = tmp_path / "xdg" / "advisor"
    _planted_prices(folder / "pricing.sqlite")
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert _status(env).startswith("Prices: refreshed")  # this user's own copy is used
    if how == "open":
        os.chmod(folder, 0o777)
    elif how == "open-file":
        os.chmod(folder / "pricing.sqlite", 0o666)
    else:
        _give_away(folder, 65534)
    out = _status(env)
    assert out.startswith("Prices: snapshot") and "Ignored: refreshed copy ignored" in out, out


def test_the_refreshed_price_copy_follows_the_cache_folder(tmp_path: Path) -> None:
    """`ADVISOR_CACHE_DIR` (the user's own choice) decides where the refreshed copy is, checked the same way."""
    _planted_prices(tmp_path / "mine" / "pricing.sqlite")
    env = {"ADVISOR_CACHE_DIR": str(tmp_path / "mine"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert _status(env).startswith("Prices: refreshed")
    os.chmod(tmp_path / "mine", 0o777)
    assert _status(env).startswith("Prices: snapshot")


def test_a_refresh_into_an_unsafe_cache_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh reads the copy it replaces as its base: in a folder others can write, it does neither."""
    from advisor.pricing import refresh
    from advisor.pricing.catalog import Catalog

    folder = tmp_path / "xdg" / "advisor"
    _planted_prices(folder / "pricing.sqlite")
    os.chmod(folder, 0o777)
    before = (folder / "pricing.sqlite").read_bytes()
    monkeypatch.delenv("ADVISOR_PRICING_DB", raising=False)
    monkeypatch.delenv("ADVISOR_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    out = io.StringIO()
    try:
        code = refresh.run_refresh(["us-east-1"], ["ec2"], client=object(), stream=out)
    finally:
        Catalog.reset_default()
    assert code == 2 and "written by other users" in out.getvalue(), out.getvalue()
    assert (folder / "pricing.sqlite").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["pricing.sqlite"]
