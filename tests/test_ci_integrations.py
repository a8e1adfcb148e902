"""The CI integrations shipped in the repository: GitHub Action, pre-commit hooks, GitLab CI snippet.

Everything here runs offline: schemas are the ones check-jsonschema vendors, the action's and the GitLab
jobs' shell scripts run on scratch repositories with a stand-in `gh`, and pre-commit runs the hook that
uses the installed `advisor` (the `language: python` hook needs the package index for its first install;
see docs/ci.md). HTTP(S) proxies pointing at a closed port make any network use fail loudly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import REPO
from test_diff import GIT_ENV, NAT_TF, VOLUME, Repo

ACTION = REPO / "action.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
GITLAB = REPO / "ci" / "gitlab-ci.yml"
BIN = str(Path(sys.executable).parent)  # python and the advisor script of the environment under test
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}

GP2 = """resource "aws_ebs_volume" "logs" {
  availability_zone = "us-east-1a"
  type              = "gp2"
  size              = 100
}
"""

# The fields GitLab reads from a Code Quality report (its documented minimal format).
CODE_QUALITY_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def env(**extra: str) -> dict[str, str]:
    out = {**os.environ, **GIT_ENV, **OFFLINE}
    out["PATH"] = BIN + os.pathsep + out.get("PATH", "")
    out.update(extra)
    return out


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        env=env(),
        timeout=120,
    )


# -- GitHub Action ----------------------------------------------------------------------------------------
def load_action() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return doc


def test_action_yml_is_valid_against_the_vendored_schema(tmp_path: Path):
    r = check_jsonschema("vendor.github-actions", ACTION)
    assert r.returncode == 0, r.stdout + r.stderr
    broken = load_action()
    del broken["runs"]["steps"][1]["shell"]  # a composite step without `shell` is not allowed
    (tmp_path / "action.yml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    r = check_jsonschema("vendor.github-actions", tmp_path / "action.yml")
    assert r.returncode == 1 and "Schema validation errors" in r.stdout


def test_action_inputs_steps_and_no_expressions_in_scripts():
    action = load_action()
    assert {"paths", "base-ref", "fail-on", "python-version", "comment", "github-token", "config"} <= set(
        action["inputs"]
    )
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert "actions/setup-python" in uses and "github/codeql-action/upload-sarif" in uses
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "advisor.sarif"
    scripts = "\n".join(s.get("run", "") for s in steps)
    assert "advisor lint" in scripts and "--format sarif --output advisor.sarif" in scripts
    assert "advisor diff --base" in scripts and "--format markdown" in scripts
    assert "GITHUB_STEP_SUMMARY" in scripts and "gh pr comment" in scripts
    # inputs reach the scripts through env:, never pasted into the shell text (no injection)
    assert "${{" not in scripts


def _expand(value: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    """The two kinds of expressions the action's env: blocks use: inputs.X and steps.ID.outputs.Y."""

    def one(m: re.Match[str]) -> str:
        expr = m.group(1).strip()
        if expr.startswith("inputs."):
            return inputs[expr.removeprefix("inputs.")]
        step, _, name = expr.removeprefix("steps.").partition(".outputs.")
        return outputs.get(step, {}).get(name, "")

    return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))


def run_action(
    workdir: Path, given: dict[str, str], extra_env: dict[str, str]
) -> tuple[dict[str, int], dict[str, dict[str, str]]]:
    """Run the action's shell steps after the install step, as the runner would, with outputs passed on."""
    action = load_action()
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()} | given
    outputs: dict[str, dict[str, str]] = {}
    codes: dict[str, int] = {}
    for step in action["runs"]["steps"]:
        if "run" not in step or step["name"] == "Install Advisor":
            continue
        out_file = workdir.parent / f"output-{step.get('id', 'x')}"
        out_file.write_text("", encoding="utf-8")
        step_env = {k: _expand(v, inputs, outputs) for k, v in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "-c", step["run"]],
            cwd=workdir,
            env=env(**extra_env, **step_env, GITHUB_OUTPUT=str(out_file)),
            capture_output=True,
            text=True,
            timeout=300,
        )
        codes[step["name"]] = done.returncode
        lines = out_file.read_text(encoding="utf-8").splitlines()
        outputs[step.get("id", "")] = dict(line.split("=", 1) for line in lines if "=" in line)
    return codes, outputs


def fake_gh(folder: Path) -> Path:
    """A `gh` that logs its arguments and answers the comment lookup with $FAKE_GH_EXISTING."""
    folder.mkdir()
    log = folder / "calls.log"
    script = folder / "gh"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'case "$*" in *--paginate*) [ -n "$FAKE_GH_EXISTING" ] && echo "$FAKE_GH_EXISTING";; esac\n'
        "exit 0\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


def test_action_scripts_on_a_pull_request(tmp_path: Path):
    repo = Repo(tmp_path / "work")
    repo.write("main.tf", VOLUME.replace('"io1"', '"gp3"'))
    base = repo.commit("base")
    repo.git("update-ref", "refs/remotes/origin/main", base)  # what actions/checkout + fetch leave
    repo.write("main.tf", VOLUME.replace('"io1"', '"gp3"') + "\n" + NAT_TF + "\n" + GP2)
    log = fake_gh(tmp_path / "gh")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    summary = tmp_path / "summary.md"
    runner = {
        "PATH": f"{log.parent}{os.pathsep}{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_BASE_REF": "main",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/infra",
        "GITHUB_STEP_SUMMARY": str(summary),
        "FAKE_GH_EXISTING": "",
    }
    given = {"comment": "true", "github-token": "t0ken"}
    codes, outputs = run_action(repo.path, given, runner)

    assert outputs["lint"] == {"exit-code": "1"}  # the gp2 volume is a warning, fail-on is warning
    sarif = json.loads((repo.path / "advisor.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["ebs-gp2-to-gp3"]
    assert outputs["diff"] == {"exit-code": "0"}
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("<!-- advisor-diff -->") and "+$42.85" in text  # NAT 32.85 + gp2 10.00
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[0].startswith("api repos/octo/infra/issues/7/comments --paginate")
    assert calls[1] == "pr comment 7 --repo octo/infra --body-file advisor-diff.md"
    assert codes["Verdict"] == 1

    # the next push: the comment is found by its marker and edited; a clean lint passes the verdict
    log.unlink()
    runner["FAKE_GH_EXISTING"] = "42"
    codes, outputs = run_action(repo.path, given | {"fail-on": "never"}, runner)
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[1] == "api --method PATCH repos/octo/infra/issues/comments/42 -F body=@advisor-diff.md"
    assert outputs["lint"] == {"exit-code": "0"} and codes["Verdict"] == 0


# -- pre-commit -----------------------------------------------------------------------------------------------
def load_hooks() -> dict[str, dict[str, Any]]:
    return {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}


def test_hooks_manifest_is_valid_and_matches_iac_files():
    r = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(HOOKS)],
        capture_output=True,
        text=True,
        env=env(),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    hooks = load_hooks()
    assert set(hooks) == {"advisor-lint", "advisor-lint-system"}
    assert hooks["advisor-lint"]["language"] == "python"
    assert hooks["advisor-lint-system"]["language"] == "system"
    for hook in hooks.values():
        assert hook["entry"] == "advisor lint" and hook["pass_filenames"] is True
        files = re.compile(hook["files"])
        for name in (
            "main.tf",
            "envs/prod.tfvars",
            "x.tf.json",
            "stack.yaml",
            "stack.yml",
            "t.json",
            "a.template",
        ):
            assert files.search(name), name
        for name in ("main.py", "README.md", "main.tf.bak", "Makefile"):
            assert not files.search(name), name


def test_system_hook_runs_under_pre_commit_offline(tmp_path: Path):
    hooks = Repo(tmp_path / "hooks")  # a hook repository holding this project's manifest
    shutil.copy(HOOKS, hooks.path / ".pre-commit-hooks.yaml")
    hooks.commit("hooks")
    project = Repo(tmp_path / "project")
    project.write("main.tf", VOLUME)
    project.git("add", "-A")
    home = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pre_commit",
                "try-repo",
                str(hooks.path),
                "advisor-lint-system",
                "--files",
                "main.tf",
            ],
            cwd=project.path,
            capture_output=True,
            text=True,
            env=env(**home),
            timeout=300,
        )

    r = try_repo()
    assert r.returncode == 1, r.stdout + r.stderr
    assert "warning[ebs-io1-to-gp3]" in r.stdout and "Failed" in r.stdout
    project.write("main.tf", VOLUME.replace('"io1"', '"gp3"'))
    project.git("add", "-A")
    r = try_repo()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Passed" in r.stdout


@pytest.mark.skipif(
    os.environ.get("ADVISOR_TEST_NETWORK") != "1",
    reason="the language: python hook installs Advisor's dependencies from the package index",
)
def test_python_hook_installs_and_runs(tmp_path: Path):  # pragma: no cover - needs the network
    project = Repo(tmp_path / "project")
    project.write("main.tf", VOLUME)
    project.git("add", "-A")
    r = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "advisor-lint", "--files", "main.tf"],
        cwd=project.path,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "home")},
        timeout=1800,
    )
    assert r.returncode == 1 and "ebs-io1-to-gp3" in r.stdout, r.stdout + r.stderr


# -- GitLab CI and Code Quality -------------------------------------------------------------------------------
def load_gitlab() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    return doc


def run_job(job: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """A job's `script:` as the runner runs it: one shell, stopping at the first failing command."""
    doc = load_gitlab()
    variables = {k: str(v) for k, v in doc.get("variables", {}).items()}
    variables |= {k: str(v) for k, v in doc[job].get("variables", {}).items()}
    script = "set -eo pipefail\n" + "\n".join(doc[job]["script"])
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env(**variables, **extra),
        timeout=300,
    )


def test_gitlab_snippet_is_valid_and_its_jobs_work(tmp_path: Path):
    r = check_jsonschema("vendor.gitlab-ci", GITLAB)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = load_gitlab()
    assert doc["advisor-lint"]["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"

    repo = Repo(tmp_path / "mr")
    repo.write("main.tf", VOLUME)
    base = repo.commit("base")
    repo.write("main.tf", VOLUME + "\n" + GP2)

    r = run_job("advisor-lint", repo.path)
    assert r.returncode == 1, r.stdout + r.stderr  # lint's verdict, after the report was written
    issues = json.loads((repo.path / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    jsonschema.validate(issues, CODE_QUALITY_SCHEMA)
    assert {
        (i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]["begin"])
        for i in issues
    } == {
        ("ebs-io1-to-gp3", "major", "main.tf", 3),
        ("ebs-gp2-to-gp3", "major", "main.tf", 10),
    }

    r = run_job("advisor-diff", repo.path, CI_MERGE_REQUEST_DIFF_BASE_SHA=base)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "+$10.00" in r.stdout and "ebs-gp2-to-gp3" in r.stdout
    repo.write(".advisor.toml", "[budget]\nmonthly_increase = 5\n")
    r = run_job("advisor-diff", repo.path, CI_MERGE_REQUEST_DIFF_BASE_SHA=base)
    assert r.returncode == 1 and "Budget exceeded" in (repo.path / "advisor-diff.md").read_text(
        encoding="utf-8"
    )


def test_code_quality_fingerprints_survive_moves_and_severities_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from advisor.cli import main as advisor
    from advisor.report.codequality import convert
    from advisor.report.codequality import main as codequality

    (tmp_path / "main.tf").write_text(VOLUME, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        advisor(["lint", "--format", "json", "--output", "a.json"])
        (tmp_path / "main.tf").write_text("# moved down\n\n" + VOLUME, encoding="utf-8")
        advisor(["lint", "--format", "json", "--output", "b.json"])
        assert codequality(["a.json", "--output", "a.cq.json"]) == 0
        (tmp_path / "not-lint.json").write_text('{"resources": []}', encoding="utf-8")
        assert codequality(["not-lint.json"]) == 2
    finally:
        os.chdir(cwd)
    a = json.loads((tmp_path / "a.cq.json").read_text(encoding="utf-8"))
    b = convert(json.loads((tmp_path / "b.json").read_text(encoding="utf-8")))
    assert [i["location"]["lines"]["begin"] for i in a] == [3] and [
        i["location"]["lines"]["begin"] for i in b
    ] == [5]
    assert a[0]["fingerprint"] == b[0]["fingerprint"]
    assert "not the JSON of `advisor lint --format json`" in capsys.readouterr().err

    report = {
        "version": 1,
        "findings": [
            {
                "rule": r,
                "severity": s,
                "message": "m",
                "path": "x.tf",
                "line": 1,
                "resource": "a.b",
                "attribute": attr,
            }
            for r, s, attr in [
                ("r1", "error", "x"),
                ("r2", "warning", "x"),
                ("r3", "info", "x"),
                ("r4", "hint", "x"),
                ("r4", "hint", "x"),
            ]
        ],
        "errors": [{"path": "bad.tf", "line": None, "message": "cannot read"}],
    }
    issues = convert(report)
    jsonschema.validate(issues, CODE_QUALITY_SCHEMA)
    assert [i["severity"] for i in issues] == ["critical", "major", "minor", "info", "info", "blocker"]
    assert len({i["fingerprint"] for i in issues}) == len(issues)  # repeated keys still get their own
