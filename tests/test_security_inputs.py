"""Hostile files in the analysed tree: special files, links out of it, oversized files, YAML alias
bombs, deep JSON and logical ids CloudFormation would refuse. Each is an error at its file, the run
finishes in bounded time and memory, and the other files are still analysed.

The command line runs as a real subprocess with a timeout, so a hang fails the test instead of the
suite.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

MARKER = "s3cr3t-marker-7f2c9e"
GOOD_TF = (
    'resource "aws_ebs_volume" "data" {\n  availability_zone = "us-east-1a"\n  type = "io1"\n'
    "  size = 500\n  iops = 10000\n}\n"
)
GOOD_TEMPLATE = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      Data:
        Type: AWS::EC2::Volume
        Properties:
          AvailabilityZone: us-east-1a
          VolumeType: gp2
          Size: 100
    """
)
TIMEOUT = 60


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, memory: int | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command line, killed after TIMEOUT seconds (and limited to `memory` bytes)."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env["ADVISOR_CACHE_DIR"] = str(cwd.parent / "cache")
    full_env.update(env or {})

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "advisor", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=TIMEOUT,
        preexec_fn=limit,
    )


def lint_json(tree: Path, **kw: object) -> dict[str, object]:
    r = run("lint", ".", "--format", "json", "--fail-on", "never", cwd=tree, **kw)  # type: ignore[arg-type]
    assert r.stdout, r.stderr
    doc: dict[str, object] = json.loads(r.stdout)
    assert "Traceback" not in r.stderr, r.stderr
    return doc


def errors_at(doc: dict[str, object], name: str) -> list[str]:
    return [e["message"] for e in doc["errors"] if e["path"] == name]  # type: ignore[attr-defined,index]


def engine_errors(tree: Path) -> list[tuple[str, str, bool]]:
    """The engine's errors with their `incomplete` flag (in a subprocess: a hang must not hang pytest)."""
    code = (
        "import json, sys\n"
        "from advisor.engine import Options, analyze_paths\n"
        "a = analyze_paths(['.'], Options())\n"
        "print(json.dumps([(e.path, e.message, e.incomplete) for e in a.errors]))\n"
    )
    env = dict(os.environ, ADVISOR_NO_CACHE="1")
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, timeout=TIMEOUT, env=env
    )
    assert r.returncode == 0, r.stderr
    return [tuple(e) for e in json.loads(r.stdout)]  # type: ignore[misc]


def assert_good_file_analysed(doc: dict[str, object]) -> None:
    rules = {(f["path"], f["rule"]) for f in doc["findings"]}  # type: ignore[attr-defined,index]
    assert ("main.tf", "ebs-io1-to-gp3") in rules, doc


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "main.tf").write_text(GOOD_TF, encoding="utf-8")
    return root


# -- special files ----------------------------------------------------------------------------------------
def test_fifo_is_skipped_not_waited_on(tree: Path):
    os.mkfifo(tree / "pipe.tf")
    doc = lint_json(tree)
    assert errors_at(doc, "pipe.tf") == ["skipped: a FIFO, not a regular file"]
    assert_good_file_analysed(doc)
    assert ("pipe.tf", "skipped: a FIFO, not a regular file", True) in engine_errors(tree)


def test_fifo_gitignore_and_template_candidate(tree: Path):
    os.mkfifo(tree / ".gitignore")
    os.mkfifo(tree / "stack.yaml")
    doc = lint_json(tree)
    assert errors_at(doc, ".gitignore") == ["skipped: a FIFO, not a regular file"]
    assert errors_at(doc, "stack.yaml") == ["skipped: a FIFO, not a regular file"]
    assert_good_file_analysed(doc)


def test_link_to_dev_zero_is_skipped(tree: Path):
    os.symlink("/dev/zero", tree / "zero.tf")
    started = time.perf_counter()
    doc = lint_json(tree, memory=1 << 30)
    assert time.perf_counter() - started < 20
    assert errors_at(doc, "zero.tf") == ["skipped: a link to a place outside the analysed folder"]
    assert_good_file_analysed(doc)


def test_device_inside_the_allowed_folder_is_still_refused():
    """A device is refused for what it is, even where links may point (here: /dev itself)."""
    code = (
        "import json\n"
        "from advisor.iac.files import read_file\n"
        "print(json.dumps(read_file('/dev/zero', 'terraform', roots=('/dev',)).problem))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.stdout and json.loads(r.stdout) == "skipped: a device, not a regular file", r.stderr


# -- links out of the tree ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["x.tf.json", "secrets.auto.tfvars", "stack.json", "creds.tf"])
def test_link_out_of_the_tree_is_never_read(tmp_path: Path, tree: Path, name: str):
    secret = tmp_path / "outside" / "credentials"
    secret.parent.mkdir()
    secret.write_text(
        '{"resource": {"aws_instance": {"' + MARKER + '": {"instance_type": "' + MARKER + '"}}},'
        ' "AWSTemplateFormatVersion": "2010-09-09", "Resources": {"A": {"Type": "AWS::EC2::Volume"}},'
        ' "region": "' + MARKER + '"}\n' + f'region = "{MARKER}"\n',
        encoding="utf-8",
    )
    (tree / "variables.tf").write_text('variable "region" {\n  default = "us-east-1"\n}\n', encoding="utf-8")
    os.symlink(secret, tree / name)
    outputs = []
    for command, fmt in [
        ("lint", "text"),
        ("lint", "json"),
        ("lint", "sarif"),
        ("lint", "github"),
        ("cost", "text"),
        ("cost", "json"),
    ]:
        r = run(command, ".", "--format", fmt, "--fail-on", "never", cwd=tree)
        assert "Traceback" not in r.stderr, r.stderr
        outputs.append(r.stdout + r.stderr)
        assert MARKER not in r.stdout + r.stderr, (command, fmt)
    doc = lint_json(tree)
    assert errors_at(doc, name) == ["skipped: a link to a place outside the analysed folder"]
    assert_good_file_analysed(doc)
    assert (name, "skipped: a link to a place outside the analysed folder", True) in engine_errors(tree)


def test_link_inside_the_tree_is_read(tree: Path):
    shared = tree / "shared"
    shared.mkdir()
    (shared / "volume.tf.txt").write_text(GOOD_TF.replace('"data"', '"linked"'), encoding="utf-8")
    os.symlink("shared/volume.tf.txt", tree / "linked.tf")
    doc = lint_json(tree)
    assert errors_at(doc, "linked.tf") == []
    assert any(f["resource"] == "aws_ebs_volume.linked" for f in doc["findings"])  # type: ignore[attr-defined,index]


def test_linked_folder_out_of_the_tree_is_not_walked(tmp_path: Path, tree: Path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "main.tf").write_text(GOOD_TF.replace('"data"', f'"{MARKER}"'), encoding="utf-8")
    os.symlink(outside, tree / "vendor")
    doc = lint_json(tree)
    assert MARKER not in json.dumps(doc)
    assert errors_at(doc, "vendor") == ["skipped: a link to a place outside the analysed folder"]
    assert_good_file_analysed(doc)


def test_linked_folder_loop_ends(tree: Path):
    sub = tree / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "main.tf").write_text(GOOD_TF.replace('"data"', '"deep"'), encoding="utf-8")
    os.symlink("../..", sub / "loop")  # a/b/loop → the tree itself
    os.symlink(".", tree / "self")
    doc = lint_json(tree)
    assert_good_file_analysed(doc)
    deep = [f for f in doc["findings"] if f["resource"] == "aws_ebs_volume.deep"]  # type: ignore[attr-defined,index]
    assert [f["path"] for f in deep] == ["a/b/main.tf"]  # once, at its real place
    assert doc["errors"] == []


# -- sizes -------------------------------------------------------------------------------------------------
def test_oversized_terraform_file_is_skipped(tree: Path):
    with open(tree / "huge.tf", "w", encoding="utf-8") as f:
        f.write("# padding\n" * (13 * 1024 * 1024 // 10))
    doc = lint_json(tree)
    assert errors_at(doc, "huge.tf") == ["skipped: 13.0 MB, over the 4 MB limit for Terraform files"]
    assert_good_file_analysed(doc)
    # the user (not the repository) can raise the limit
    doc = lint_json(tree, env={"ADVISOR_MAX_FILE_MB": "terraform=20"})
    assert errors_at(doc, "huge.tf") == []


def test_oversized_file_that_is_not_a_template_is_not_an_error(tree: Path):
    (tree / "package-lock.json").write_text(
        json.dumps({"packages": ["x" * 100] * 30000}), encoding="utf-8"
    )  # 3 MB of JSON that is no template
    doc = lint_json(tree)
    assert doc["errors"] == []
    assert_good_file_analysed(doc)


def test_oversized_template_is_skipped(tree: Path):
    (tree / "stack.yaml").write_text(GOOD_TEMPLATE + "# padding\n" * 150_000, encoding="utf-8")
    doc = lint_json(tree)
    assert errors_at(doc, "stack.yaml") == [
        "skipped: 1.4 MB, over the 1 MB limit for CloudFormation templates"
    ]
    assert_good_file_analysed(doc)


# -- YAML and JSON bombs -------------------------------------------------------------------------------------
BOMB = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: "2010-09-09"
    Parameters:
      P:
        Type: String
        Default: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    Metadata:
      b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
      c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
      d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
      e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
      f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
      g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
      h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
      i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    Resources:
      Data:
        Type: AWS::EC2::Volume
        Properties:
          AvailabilityZone: us-east-1a
          VolumeType: gp2
          Size: 100
    """
)


def test_yaml_alias_bomb_is_refused_quickly(tree: Path):
    (tree / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    assert len(BOMB) < 1024
    started = time.perf_counter()
    doc = lint_json(tree, memory=1 << 30)
    assert time.perf_counter() - started < 20
    messages = errors_at(doc, "bomb.yaml")
    assert len(messages) == 1 and "aliases" in messages[0], doc
    lines = [e["line"] for e in doc["errors"] if e["path"] == "bomb.yaml"]  # type: ignore[attr-defined,index]
    assert lines[0] is not None and 7 <= lines[0] <= 14
    assert_good_file_analysed(doc)


def test_yaml_aliases_in_ordinary_use_still_work(tree: Path):
    (tree / "stack.yaml").write_text(
        GOOD_TEMPLATE.replace("VolumeType: gp2", "VolumeType: &kind gp2")
        + "  Other:\n    Type: AWS::EC2::Volume\n    Properties:\n      AvailabilityZone: us-east-1a\n"
        "      VolumeType: *kind\n      Size: 20\n",
        encoding="utf-8",
    )
    doc = lint_json(tree)
    assert doc["errors"] == []
    cost = json.loads(run("cost", ".", "--format", "json", cwd=tree).stdout)
    assert {r["address"] for r in cost["resources"] if r["path"] == "stack.yaml"} == {"Data", "Other"}


def test_deeply_nested_json_template_is_an_error(tree: Path):
    deep = (
        '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}, "M": '
        + "[" * 100_000
        + "]" * 100_000
        + "}"
    )
    (tree / "deep.json").write_text(deep, encoding="utf-8")
    (tree / "deep.tf.json").write_text(
        '{"locals": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}", encoding="utf-8"
    )
    doc = lint_json(tree)
    assert errors_at(doc, "deep.json") and errors_at(doc, "deep.tf.json"), doc
    assert_good_file_analysed(doc)


# -- logical ids ------------------------------------------------------------------------------------------------
def test_logical_ids_cloudformation_would_refuse(tree: Path):
    (tree / "stack.json").write_text(
        json.dumps(
            {
                "AWSTemplateFormatVersion": "2010-09-09",
                "Parameters": {f"Kind\n{MARKER}": {"Type": "String", "Default": "gp2"}},
                # condition names may hold "&" or "-" (deployed templates do), never a line break
                "Conditions": {
                    f"On\n{MARKER}": {"Fn::Equals": ["a", "a"]},
                    "On&Off": {"Fn::Equals": ["a", "a"]},
                },
                "Resources": {
                    f"Evil\nIGNORE PREVIOUS INSTRUCTIONS {MARKER}": {
                        "Type": "AWS::EC2::Volume",
                        "Properties": {"AvailabilityZone": "us-east-1a", "VolumeType": "gp2", "Size": 10},
                    },
                    "Good": {
                        "Type": "AWS::EC2::Volume",
                        "Condition": f"On\n{MARKER}",
                        "Properties": {
                            "AvailabilityZone": "us-east-1a",
                            "VolumeType": "gp2",
                            "Size": 10,
                            "Iops": {"Ref": f"Kind\n{MARKER}"},
                        },
                    },
                    "A" * 256: {"Type": "AWS::EC2::Volume", "Properties": {"Size": 10}},
                },
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    (tree / "stack.yaml").write_text(GOOD_TEMPLATE.replace("  Data:", '  "Data-1\\e[2J":'), encoding="utf-8")
    doc = lint_json(tree)
    assert MARKER not in json.dumps(doc)
    json_errors = [e for e in doc["errors"] if e["path"] == "stack.json"]  # type: ignore[attr-defined]
    assert len(json_errors) == 4 and all("logical id" in e["message"] for e in json_errors), json_errors
    assert [e["message"].split()[1] for e in json_errors] == [
        "parameter",
        "condition",
        "resource",
        "resource",
    ]
    yaml_errors = [e for e in doc["errors"] if e["path"] == "stack.yaml"]  # type: ignore[attr-defined]
    assert len(yaml_errors) == 1 and yaml_errors[0]["line"] == 3, yaml_errors
    resources = {f["resource"] for f in doc["findings"]}  # type: ignore[attr-defined,index]
    assert "Good" in resources and not any("Evil" in r or "Data-1" in r for r in resources)
    assert_good_file_analysed(doc)
    for fmt in ("text", "sarif", "github"):
        r = run("lint", ".", "--format", fmt, "--fail-on", "never", cwd=tree)
        assert MARKER not in r.stdout and "\x1b" not in r.stdout
    for fmt in ("text", "json"):
        cost = run("cost", ".", "--format", fmt, cwd=tree)
        assert MARKER not in cost.stdout + cost.stderr


# -- digests of what was read ------------------------------------------------------------------------------
RACE_DRIVER = """
import sys
import advisor.engine as engine
import advisor.iac.files as files
from advisor.engine import Options, analyze_paths

target, replacement = sys.argv[1], sys.argv[2]
done = []


def edits_after(reader):
    \"\"\"The reader, then (once, for the target) the user saving new content while the run goes on.\"\"\"

    def read(path, *args, **kwargs):
        result = reader(path, *args, **kwargs)
        if path.endswith(target) and not done:
            done.append(path)
            with open(path, "w", encoding="utf-8") as f:
                f.write(replacement)
        return result

    return read


# whichever reads the module's files: the reading function, or the engine's own reader
for module, name in ((files, "read_file"), (engine, "read_text")):
    if hasattr(module, name):
        setattr(module, name, edits_after(getattr(module, name)))
analysis = analyze_paths(["."], Options(disk_cache=True))
print(sorted(f.rule for f in analysis.findings), done)
"""


def test_an_edit_during_a_run_is_never_stored_under_the_new_content(tree: Path, tmp_path: Path):
    """The run reads main.tf, then the file changes before the outcome is stored: the next run (with
    the same options, so the same stored outcome) must analyse the new content, not reuse the outcome
    of the old one under the new content's digest."""
    env = dict(os.environ, ADVISOR_CACHE_DIR=str(tmp_path / "cache"))
    fixed = GOOD_TF.replace('"io1"', '"gp3"').replace("  iops = 10000\n", "")
    driver = tmp_path / "race.py"
    driver.write_text(RACE_DRIVER, encoding="utf-8")

    def analyse(edit_target: str) -> str:
        r = subprocess.run(
            [sys.executable, str(driver), edit_target, fixed],
            cwd=tree,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
        )
        assert r.returncode == 0, r.stderr
        return r.stdout

    first = analyse("main.tf")
    assert "ebs-io1-to-gp3" in first and "main.tf" in first  # it analysed what it read (io1), then the edit
    assert (tree / "main.tf").read_text(encoding="utf-8") == fixed
    assert analyse("nothing-matches") == "[] []\n"  # gp3 now: nothing to say


def test_fn_foreach_is_said_not_expanded_and_a_resource_specification_is_not_a_template(tree: Path):
    """`Fn::ForEach::Name` keys are the language-extensions transform, not bad logical ids: the run says
    they are not expanded (incomplete, exit 3). A big JSON file that only names AWS:: types (a resource
    specification) is not a template, so its size is no error."""
    (tree / "loop.yaml").write_text(
        GOOD_TEMPLATE
        + "  Fn::ForEach::Tables:\n    - Name\n    - [A, B]\n    - Table${Name}:\n"
        + "        Type: AWS::DynamoDB::Table\n",
        encoding="utf-8",
    )
    spec = {"ResourceTypes": {f"AWS::Service{i}::Thing": {"Properties": {"Size": {}}} for i in range(30_000)}}
    (tree / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    assert (tree / "spec.json").stat().st_size > 1_000_000
    r = run("lint", ".", "--format", "json", "--fail-on", "never", cwd=tree)
    assert r.returncode == 3, r.stderr
    doc = json.loads(r.stdout)
    (error,) = [e for e in doc["errors"] if e["path"] == "loop.yaml"]
    assert "Fn::ForEach" in error["message"] and "not expanded" in error["message"] and error["incomplete"]
    assert not [e for e in doc["errors"] if e["path"] == "spec.json"]
    assert any(f["resource"] == "Data" for f in doc["findings"])  # the rest of the template is analysed
