"""CI never passes on an incomplete analysis, and nothing from a repository reaches a terminal raw.

Everything here runs the real command line as a subprocess. An internal error is made the way a defect
would make one: `python -c` replaces one engine function with one that raises for some modules, then
runs `advisor.cli.main`, so the rest of the command runs as installed.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

HERE = Path(__file__).resolve().parent

# an OSC 52 clipboard write, a colour change, a right-to-left override ("Trojan Source") and the
# one-byte C1 form of a control sequence
EVIL = "\x1b]52;c;ZXZpbA==\x07\x1b[31m\u202e\x9b2J"
RAW = ("\x1b", "\x07", "\u202e", "\x9b")

VOLUME = """resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  type              = "io1"
  size              = 500
  iops              = 10000
}
"""

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Advisor Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "Advisor Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

# Replaces the pipeline's `price_resources` with one that raises for the modules argv[1] names: "path:TEXT"
# (a resource path contains TEXT) or "base" (the base revision of `advisor diff`, analysed in its
# temporary copy), then runs the command line with the remaining arguments.
CRASHING = """
import os, sys
import advisor.engine.pipeline as pipeline

real = pipeline.price_resources
mode = sys.argv[1]

def price_resources(resources, config, estimates):
    for r in resources:
        if "advisor-diff-" in os.getcwd() if mode == "base" else mode[5:] in r.path:
            raise RuntimeError("no estimator registered for " + r.address)
    return real(resources, config, estimates)

pipeline.price_resources = price_resources
from advisor.cli import main
sys.exit(main(sys.argv[2:]))
"""


def env_for(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A run with its own cache folder (the disk cache stays on, as users have it)."""
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env.pop("ADVISOR_NO_CACHE", None)
    env.pop("ADVISOR_DEBUG", None)
    env["ADVISOR_CACHE_DIR"] = str(tmp_path / "cache")
    env.update(GIT_ENV)
    env.update(extra or {})
    return env


def run(
    tmp_path: Path, *args: str, cwd: Path, crash: str | None = None, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`advisor ARGS`, or with `crash` the same command with a defect in the engine (see CRASHING)."""
    prefix = ["-m", "advisor"] if crash is None else ["-c", CRASHING, crash]
    return subprocess.run(
        [sys.executable, *prefix, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env_for(tmp_path, extra),
        timeout=120,
    )


def two_modules(tmp_path: Path) -> Path:
    """`good/` with an io1 volume (one warning) and `crashy/` with another."""
    root = tmp_path / "work"
    for name in ("good", "crashy"):
        (root / name).mkdir(parents=True)
        (root / name / "main.tf").write_text(VOLUME, encoding="utf-8")
    return root


# -- exit code 3 ----------------------------------------------------------------------------------------
def test_an_internal_error_exits_3_even_with_fail_on_never(tmp_path: Path):
    root = two_modules(tmp_path)
    for fail_on in ("warning", "never"):
        r = run(tmp_path, "lint", ".", "--fail-on", fail_on, cwd=root, crash="path:crashy")
        assert r.returncode == 3, r.stdout + r.stderr
        assert "good/main.tf:3:" in r.stdout  # the other module is still analysed and reported
        assert "crashy" in r.stdout and "internal error" in r.stdout
        assert "github.com/advisor-iac/advisor/issues" in r.stdout  # says how to report it
        assert "Traceback" not in r.stdout + r.stderr
        assert "analysis incomplete" in r.stderr
    r = run(tmp_path, "cost", ".", cwd=root, crash="path:crashy")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "internal error" in r.stdout


def test_the_traceback_of_an_internal_error_is_shown_on_request(tmp_path: Path):
    root = two_modules(tmp_path)
    r = run(tmp_path, "lint", ".", cwd=root, crash="path:crashy", extra={"ADVISOR_DEBUG": "1"})
    assert r.returncode == 3
    assert "Traceback" in r.stderr and "no estimator registered" in r.stderr


def test_json_marks_the_analysis_and_each_error_incomplete(tmp_path: Path):
    root = two_modules(tmp_path)
    r = run(tmp_path, "lint", ".", "--format", "json", cwd=root, crash="path:crashy")
    assert r.returncode == 3
    doc = json.loads(r.stdout)
    assert doc["summary"]["incomplete"] is True
    [error] = doc["errors"]
    assert error["path"] == "crashy" and error["incomplete"] is True
    assert "internal error" in error["message"]
    r = run(tmp_path, "lint", ".", "--format", "json", cwd=root)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["summary"]["incomplete"] is False and doc["errors"] == []
    r = run(tmp_path, "cost", ".", "--format", "json", cwd=root, crash="path:crashy")
    assert r.returncode == 3
    doc = json.loads(r.stdout)
    assert doc["incomplete"] is True and doc["errors"][0]["incomplete"] is True


def test_sarif_says_the_execution_did_not_succeed(tmp_path: Path):
    schema = json.loads((HERE / "sarif_subset_schema.json").read_text())
    root = two_modules(tmp_path)
    r = run(tmp_path, "lint", ".", "--format", "sarif", "--fail-on", "never", cwd=root, crash="path:crashy")
    assert r.returncode == 3
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, schema)
    [invocation] = doc["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "internal error" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "crashy"
    r = run(tmp_path, "lint", ".", "--format", "sarif", cwd=root)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, schema)
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_a_stored_report_never_keeps_an_internal_error(tmp_path: Path):
    root = two_modules(tmp_path)
    first = run(tmp_path, "lint", ".", cwd=root, crash="path:crashy")
    assert first.returncode == 3
    # the same unchanged tree, the defect gone: the module is analysed now, not the stored report
    second = run(tmp_path, "lint", ".", cwd=root)
    assert second.returncode == 1, second.stdout
    assert "internal error" not in second.stdout and "crashy/main.tf:3:" in second.stdout


def test_deeply_nested_template_expressions_never_pass(tmp_path: Path):
    """Deep nesting is never a clean run, whether a limit or a defect stops it."""
    depth = 500
    value = '"' + '${"' * depth + "x" + '"}' * depth + '"'
    root = tmp_path / "deep"
    root.mkdir()
    (root / "main.tf").write_text(
        f'resource "aws_instance" "a" {{\n  ami = "ami-1"\n  instance_type = "t3.micro"\n'
        f"  tags = {{ Name = {value} }}\n}}\n",
        encoding="utf-8",
    )
    r = run(tmp_path, "lint", ".", "--fail-on", "never", cwd=root)
    assert r.returncode == 3, r.stdout  # an internal error, or a limit that leaves the block unanalysed
    assert "main.tf" in r.stdout or "internal error" in r.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_skipped_and_exits_3(tmp_path: Path):
    root = tmp_path / "pipe"
    root.mkdir()
    (root / "main.tf").write_text(VOLUME, encoding="utf-8")
    os.mkfifo(root / "extra.tf")
    for _ in range(2):  # the second run may be served from the stored report: the same exit code
        r = run(tmp_path, "lint", ".", "--fail-on", "never", cwd=root)
        assert r.returncode == 3, r.stdout + r.stderr
        assert "extra.tf" in r.stdout


@pytest.mark.parametrize(
    "content", [b'resource "aws_instance" "a" {\n  ami = "\xff\xfe"\n}\n', b"\x00\x01binary\x00"]
)
def test_a_file_that_cannot_be_read_as_text_exits_3(tmp_path: Path, content: bytes):
    root = tmp_path / "unread"
    root.mkdir()
    (root / "main.tf").write_text(VOLUME, encoding="utf-8")
    (root / "other.tf").write_bytes(content)
    r = run(tmp_path, "lint", ".", "--fail-on", "never", cwd=root)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "other.tf" in r.stdout
    r = run(tmp_path, "cost", ".", cwd=root)
    assert r.returncode == 3, r.stdout + r.stderr


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path):
    r = run(tmp_path, "lint", "no-such-folder", cwd=tmp_path)
    assert r.returncode == 2 and "no-such-folder" in r.stderr
    r = run(tmp_path, "cost", "no-such-folder", cwd=tmp_path)
    assert r.returncode == 2


def test_a_budget_on_an_incomplete_analysis_does_not_pass(tmp_path: Path):
    root = two_modules(tmp_path)
    (root / ".advisor.toml").write_text("[budget]\nmonthly_total = 1_000_000\n", encoding="utf-8")
    r = run(tmp_path, "lint", ".", "--fail-on", "never", cwd=root, crash="path:crashy")
    assert r.returncode == 3
    assert "budget" in r.stderr and "incomplete" in r.stderr


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> None:
        subprocess.run(
            ["git", *args], cwd=self.path, env={**os.environ, **GIT_ENV}, check=True, capture_output=True
        )

    def commit(self) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "change")


def test_diff_exits_3_when_either_side_is_incomplete(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    (repo.path / "crashy").mkdir()
    (repo.path / "crashy" / "main.tf").write_text(VOLUME, encoding="utf-8")
    (repo.path / ".advisor.toml").write_text("[budget]\nmonthly_increase = 1_000_000\n", encoding="utf-8")
    repo.commit()
    (repo.path / "crashy" / "more.tf").write_text(VOLUME.replace('"data"', '"more"'), encoding="utf-8")
    ok = run(tmp_path, "diff", "--base", "main", cwd=repo.path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for side in ("path:crashy", "base"):
        r = run(tmp_path, "diff", "--base", "main", "--format", "markdown", cwd=repo.path, crash=side)
        assert r.returncode == 3, side + r.stdout + r.stderr
        assert "internal error" in r.stdout
        assert "within every configured limit" not in r.stdout
        assert "incomplete" in r.stderr
        r = run(tmp_path, "diff", "--base", "main", "--format", "json", cwd=repo.path, crash=side)
        assert r.returncode == 3
        doc = json.loads(r.stdout)
        assert doc["summary"]["incomplete"] is True and doc["budget"]["ok"] is False


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_the_action_fails_on_an_incomplete_analysis_even_with_fail_on_never(tmp_path: Path):
    from test_ci_integrations import run_action

    repo = Repo(tmp_path / "work")
    (repo.path / "main.tf").write_text(VOLUME, encoding="utf-8")
    repo.commit()
    os.mkfifo(repo.path / "extra.tf")  # a file that is skipped, not read: the analysis is incomplete
    codes, outputs = run_action(repo.path, {"fail-on": "never"}, {"ADVISOR_CACHE_DIR": str(tmp_path / "c")})
    assert outputs["lint"] == {"exit-code": "3"}
    sarif = json.loads((repo.path / "advisor.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert codes["Verdict"] == 1
    action = (HERE.parent / "action.yml").read_text(encoding="utf-8")
    assert "3 analysis incomplete" in action


# -- escaping ---------------------------------------------------------------------------------------------
def assert_no_raw(text: str, where: str) -> None:
    for ch in RAW:
        assert ch not in text, f"raw {ch!r} in {where}: {text!r}"


def hcl(text: str) -> str:
    """`text` as the inside of an HCL string, control characters written as `\\uXXXX` escapes."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def volumes(*keys: str) -> str:
    """io1 volumes, one for each of `keys` (their addresses are `aws_ebs_volume.data["KEY"]`)."""
    listed = ", ".join(f'"{hcl(k)}"' for k in keys)
    return VOLUME.replace('"data" {\n', f'"data" {{\n  for_each = toset([{listed}])\n').replace(
        "}\n", f'  tags = {{ Name = "{hcl(EVIL)}", Key = each.key }}\n}}\n'
    )


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A module whose file names, addresses, labels, values and tags carry terminal escape sequences."""
    root = tmp_path / "hostile"
    root.mkdir()
    (root / f"vol{EVIL}.tf").write_text(volumes(f"k{EVIL}", "plain"), encoding="utf-8")
    (root / "vars.tf").write_text(
        'variable "kind" {\n  default = "gp2"\n}\n'
        'resource "aws_ebs_volume" "from_var" {\n  availability_zone = "us-east-1a"\n'
        "  type = var.kind\n  size = 500\n  iops = 10000\n}\n"
        f'resource "aws_instance" "web" {{\n  ami = "ami-1"\n  instance_type = "m5.large{hcl(EVIL)}"\n}}\n',
        encoding="utf-8",
    )
    (root / f"x{EVIL}.auto.tfvars").write_text('kind = "io1"\n', encoding="utf-8")  # quoted in a message
    (root / "labels.tf").write_text(f'resource "aws_s3_bucket" "b{EVIL}" {{\n}}\n', encoding="utf-8")
    return root


def test_lint_and_cost_outputs_carry_no_raw_control_characters(tmp_path: Path, hostile: Path):
    for args in (
        ["lint", "."],
        ["lint", ".", "--format", "github"],
        ["lint", ".", "--format", "json"],
        ["lint", ".", "--format", "sarif"],
        ["cost", "."],
        ["cost", ".", "--format", "json"],
    ):
        r = run(tmp_path, *args, cwd=hostile)
        assert r.returncode == 1 or args[0] == "cost", r.stdout + r.stderr
        assert_no_raw(r.stdout + r.stderr, " ".join(args))
        if "json" in args or "sarif" in args:
            assert any(EVIL in text for text in strings(json.loads(r.stdout)))  # escaped, not changed
        else:
            assert "\\x1b]52;c;ZXZpbA==\\x07" in r.stdout and "\\u202e" in r.stdout  # visibly escaped
    github = run(tmp_path, "lint", ".", "--format", "github", cwd=hostile).stdout
    for line in github.splitlines():
        props = line.split("::")[1]
        assert props.count(",") == 5 and "," not in props.split("file=")[1].split(",line=")[0]


def test_errors_quoting_repository_text_are_escaped(tmp_path: Path, hostile: Path):
    (hostile / f"broken{EVIL}.tf").write_bytes(b'resource "aws_instance" "x" {\n  ami = "\xff"\n}\n')
    for args in (["lint", "."], ["lint", ".", "--format", "github"], ["cost", "."]):
        r = run(tmp_path, *args, cwd=hostile, crash="path:vol")  # the message names the resource
        shown = " ".join(r.stdout.split())  # text output wraps long messages onto indented lines
        assert "internal error" in shown and "no estimator registered" in shown
        assert_no_raw(r.stdout + r.stderr, " ".join(args))
    r = run(tmp_path, "lint", ".", "--var-file", f"none{EVIL}.tfvars", cwd=hostile)
    assert r.returncode == 2 and "none" in r.stderr
    assert_no_raw(r.stderr, "usage error")


def test_config_warnings_and_explain_lines_are_escaped(tmp_path: Path, hostile: Path):
    (hostile / f"cfg{EVIL}.toml").write_text("[explain]\nenabled = true\n", encoding="utf-8")
    r = run(tmp_path, "lint", ".", "--config", f"cfg{EVIL}.toml", cwd=hostile)
    assert "[explain] ignored" in r.stderr, r.stderr  # the warning names the project's config file
    assert_no_raw(r.stderr, "config warning")
    with socket.socket() as probe:  # a loopback port with nothing listening: every request fails
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    user = tmp_path / "xdg" / "advisor" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text(
        f'[explain]\nenabled = true\nbase_url = "http://127.0.0.1:{port}/v1"\nmodel = "m"\n'
        f"timeout_seconds = 2\ncache_dir = {json.dumps(str(tmp_path / 'answers'))}\n",
        encoding="utf-8",
    )
    xdg = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "OPENAI_BASE_URL": "", "OPENAI_API_KEY": "x"}
    for line in ("4", "1"):  # the finding's heading (no answer), then no finding at that line
        r = run(tmp_path, "explain", f"vol{EVIL}.tf:{line}", cwd=hostile, extra=xdg)
        assert r.returncode == 2, r.stdout + r.stderr
        assert "vol\\x1b]52" in r.stdout + r.stderr, r.stdout + r.stderr
        assert_no_raw(r.stdout + r.stderr, f"explain at line {line}")


def test_budget_messages_are_escaped(tmp_path: Path):
    root = tmp_path / "budget"
    (root / f"env{EVIL}").mkdir(parents=True)
    (root / f"env{EVIL}" / "main.tf").write_text(VOLUME, encoding="utf-8")
    scope = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in f"env{EVIL}")
    (root / f"budget{EVIL}.toml").write_text(
        f'[budget]\nmonthly_total = 1\n[[budget.paths]]\npath = "{scope}"\nmonthly_total = 2\n',
        encoding="utf-8",
    )
    r = run(tmp_path, "lint", ".", "--config", f"budget{EVIL}.toml", cwd=root)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.count("budget exceeded") == 2, r.stderr
    assert_no_raw(r.stdout + r.stderr, "budget")


def test_diff_text_and_markdown_carry_no_raw_control_characters(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    (repo.path / "main.tf").write_text(VOLUME.replace("io1", "gp2"), encoding="utf-8")
    repo.commit()
    (repo.path / f"new{EVIL}.tf").write_text(volumes("k|<b>`x", f"k{EVIL}"), encoding="utf-8")
    for fmt in ("text", "markdown", "json"):
        r = run(tmp_path, "diff", "--base", "main", "--format", fmt, "--fail-on", "warning", cwd=repo.path)
        assert r.returncode == 1, r.stdout + r.stderr
        assert_no_raw(r.stdout + r.stderr, fmt)
    markdown = run(tmp_path, "diff", "--base", "main", "--format", "markdown", cwd=repo.path).stdout
    assert "<b>" not in re.sub(r"`[^`\n]*`", "", markdown)  # only inside code spans, as text
    rows = [line for line in markdown.splitlines() if line.startswith("| added")]
    assert rows and all(row.replace("\\|", "").count("|") == 6 for row in rows), rows


def test_json_escapes_bidi_and_c1_controls_yet_parses_to_the_same_text(tmp_path: Path, hostile: Path):
    r = run(tmp_path, "lint", ".", "--format", "json", cwd=hostile)
    assert "\\u202e" in r.stdout and "\\u009b" in r.stdout
    paths = {f["path"] for f in json.loads(r.stdout)["findings"]}
    assert f"vol{EVIL}.tf" in paths


def strings(doc: Any) -> list[str]:
    """Every string in a parsed JSON document."""
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, dict):
        return [s for k, v in doc.items() for s in [k, *strings(v)]]
    if isinstance(doc, list):
        return [s for v in doc for s in strings(v)]
    return []
