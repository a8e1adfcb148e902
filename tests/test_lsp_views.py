"""What the editor shows beside the diagnostics, end to end over stdio: code lens refreshes when a
result changes, a lens on every module call, hovers that agree with the diagnostics of a launch
template, CloudFormation recognised by content, and the workspace scan's totals equal `advisor cost`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lsp_fixtures.harness import IO1, Editor, capabilities, editor, raw_request
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio

MODULE = (
    'variable "size" {\n  default = 100\n}\n\n'
    'resource "aws_ebs_volume" "data" {\n  availability_zone = "us-east-1a"\n  type = "gp2"\n'
    "  size = var.size\n}\n\n"
    'resource "aws_instance" "node" {\n  ami           = "ami-1"\n  instance_type = "m5.large"\n}\n'
)
ROOT = (
    'module "search" {\n  source = "../modules/search"\n  size   = 200\n}\n\n'
    'module "many" {\n  count  = 2\n  source = "../modules/search"\n}\n\n'
    'resource "aws_ebs_volume" "own" {\n  availability_zone = "us-east-1a"\n  type = "gp3"\n  size = 10\n}\n'
)
TEMPLATE_AND_GROUP = (
    'resource "aws_launch_template" "worker" {\n  count         = 1\n  image_id      = "ami-1"\n'
    '  instance_type = "c3.xlarge"\n}\n\n'
    'resource "aws_autoscaling_group" "worker" {\n  desired_capacity = 4\n  max_size = 8\n  min_size = 2\n'
    "  launch_template {\n    id = aws_launch_template.worker[0].id\n  }\n}\n"
)
CFN = (
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Scratch:\n    Type: AWS::EC2::Volume\n"
    "    Properties:\n      AvailabilityZone: us-east-1a\n      VolumeType: io1\n      Size: 500\n"
    "      Iops: 10000\n"
)
COMPOSE = "services:\n  web:\n    image: nginx\n    ports:\n      - '80:80'\n"


async def lenses(s: Editor, uri: str) -> list[tuple[int, str]]:
    result = await s.client.text_document_code_lens_async(lsp.CodeLensParams(lsp.TextDocumentIdentifier(uri)))
    return [(c.range.start.line, c.command.title if c.command else "") for c in result or []]


async def hover_text(s: Editor, uri: str, line: int, character: int) -> str | None:
    h = await s.client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(line, character))
    )
    if h is None:
        return None
    assert isinstance(h.contents, lsp.MarkupContent)
    return h.contents.value


def refreshing_caps() -> lsp.ClientCapabilities:
    caps = capabilities()
    assert caps.workspace is not None
    caps.workspace.code_lens = lsp.CodeLensWorkspaceClientCapabilities(refresh_support=True)
    caps.workspace.inlay_hint = lsp.InlayHintWorkspaceClientCapabilities(refresh_support=True)
    return caps


async def test_lens_refresh_follows_every_changed_result(tmp_path: Path) -> None:
    """The client is asked to re-request lenses after each result that changes them, and the lenses
    it then gets are those of the version the diagnostics were published for."""
    refreshes: list[str] = []
    async with editor(tmp_path, caps=refreshing_caps(), init={"debounceMs": 10}) as s:

        @s.client.feature(lsp.WORKSPACE_CODE_LENS_REFRESH)
        def on_refresh(params: None) -> None:
            refreshes.append("lens")

        uri = s.open("storage/main.tf", IO1)
        await s.wait_for(uri, version=1)
        for _ in range(100):
            if refreshes:
                break
            await asyncio.sleep(0.05)
        assert refreshes == ["lens"], "no refresh after the first result"
        assert (0, "$712.50/mo") in await lenses(s, uri)

        v = s.replace_all(uri, IO1.replace('"io1"', '"gp3"'))
        published = await s.wait_for(uri, version=v)
        assert not [d for d in published.diagnostics if d.code == "ebs-io1-to-gp3"]
        for _ in range(100):
            if len(refreshes) == 2:
                break
            await asyncio.sleep(0.05)
        assert refreshes == ["lens", "lens"], "no refresh after the fix"
        assert await lenses(s, uri) == [
            (0, "Advisor: $75.00/mo in this file (1 resource)"),
            (0, "$75.00/mo"),
        ]

        # an edit that changes no figure and no line asks for nothing
        v = s.replace_all(uri, IO1.replace('"io1"', '"gp3"').replace("500", "500 "))
        await s.wait_for(uri, version=v)
        await asyncio.sleep(0.3)
        assert refreshes == ["lens", "lens"]


async def test_no_refresh_request_to_a_client_without_support(tmp_path: Path) -> None:
    asked: list[str] = []
    async with editor(tmp_path, init={"debounceMs": 10}) as s:

        @s.client.feature(lsp.WORKSPACE_CODE_LENS_REFRESH)
        def on_refresh(params: None) -> None:
            asked.append("lens")

        uri = s.open("main.tf", IO1)
        await s.wait_for(uri, version=1)
        v = s.replace_all(uri, IO1.replace("500", "600"))
        await s.wait_for(uri, version=v)
        await asyncio.sleep(0.3)
        assert asked == []
        assert (0, "$725.00/mo") in await lenses(s, uri)


async def test_a_lens_on_every_module_call(tmp_path: Path) -> None:
    (tmp_path / "modules" / "search").mkdir(parents=True)
    (tmp_path / "modules" / "search" / "main.tf").write_text(MODULE)
    async with editor(tmp_path, init={"debounceMs": 10}) as s:
        uri = s.open("live/main.tf", ROOT)
        await s.wait_for(uri, version=1)
        got = await lenses(s, uri)
        # m5.large $70.08 + 8 GB gp2 root $0.80 + 200 GB gp2 $20.00; twice with the 100 GB default
        assert got == [
            (0, "Advisor: $253.44/mo in this file (1 resource, 2 module calls)"),
            (0, "$90.88/mo · 2 findings"),
            (5, "$161.76/mo (2 instances) · 2 findings"),
            (10, "$0.80/mo"),
        ]
        # the file total is what `advisor cost` says for the root, and the lenses add up to it
        total = json.loads(_cli("cost", "-f", "json", str(tmp_path / "live")))["total"]
        assert total == pytest.approx(253.44) == pytest.approx(90.88 + 161.76 + 0.80)

        # an edit in the call changes its lens with the same result as the diagnostics
        v = s.replace_all(uri, ROOT.replace("size   = 200", "size   = 300"))
        await s.wait_for(uri, version=v)
        assert (0, "$100.88/mo · 2 findings") in await lenses(s, uri)


async def test_a_file_of_module_calls_alone(tmp_path: Path) -> None:
    """A root file that only calls a module gets the call's lens and a file total that counts it; the
    module's own file, opened too, is analysed as the root calls it, and its hover names the instance."""
    (tmp_path / "modules" / "search").mkdir(parents=True)
    (tmp_path / "modules" / "search" / "main.tf").write_text(MODULE)
    one = 'module "only" {\n  count  = 1\n  source = "../modules/search"\n}\n'
    async with editor(tmp_path, init={"debounceMs": 10}) as s:
        root = s.open("solo/main.tf", one)
        await s.wait_for(root, version=1)
        # a file of module calls alone: its lenses and a file total that counts them
        assert await lenses(s, root) == [
            (0, "Advisor: $80.88/mo in this file (0 resources, 1 module call)"),
            (0, "$80.88/mo · 2 findings"),
        ]
        module = s.open("modules/search/main.tf")
        await s.wait_for(module, version=1)
        text = await hover_text(s, module, 10, 2)
        assert text is not None and text.startswith("**solo:module.only[0].aws_instance.node** — $70.88/mo")
        s.close(module)
        s.close(root)


async def test_a_launch_template_hover_agrees_with_its_diagnostic(tmp_path: Path) -> None:
    async with editor(tmp_path, init={"debounceMs": 10}) as s:
        uri = s.open("asg/main.tf", TEMPLATE_AND_GROUP)
        published = await s.wait_for(uri, version=1)
        (diag,) = [d for d in published.diagnostics if d.code == "ec2-previous-generation"]
        assert diag.range.start.line == 3
        assert "$613.20 → $446.76/mo" in diag.message
        assert "aws_autoscaling_group.worker" in diag.message

        text = await hover_text(s, uri, 0, 10)
        assert text is not None
        assert "price unknown" not in text and "no price found" not in text
        assert text.startswith(
            "**aws_launch_template.worker[0]** — instances priced in `aws_autoscaling_group.worker`: $613.20/mo"
        )
        assert "| Instance usage (Linux, on-demand, c3.xlarge) | 2,920 hours | $0.21 | $613.20 |" in text

        # on the value, the finding and the template's cost say the same figure
        text = await hover_text(s, uri, 3, 20)
        assert text is not None
        finding, resource = text.split("\n\n---\n\n")
        assert "Monthly: $613.20/mo → $446.76/mo" in finding
        assert "$613.20/mo" in resource.splitlines()[0]

        group = await hover_text(s, uri, 6, 4)
        assert group is not None and group.startswith("**aws_autoscaling_group.worker** — $613.20/mo")
        assert await lenses(s, uri) == [
            (0, "Advisor: $613.20/mo in this file (2 resources)"),
            (0, "in aws_autoscaling_group.worker: $613.20/mo"),
            (6, "$613.20/mo"),
        ]


async def test_cloudformation_is_recognised_by_content(tmp_path: Path) -> None:
    async with editor(tmp_path, init={"debounceMs": 10}) as s:
        # a template under a name no file pattern knows
        stack = s.open("templates/aws-refarch-wordpress-04-web.yaml", CFN, language="yaml")
        published = await s.wait_for(stack, version=1)
        assert [d.code for d in published.diagnostics] == ["ebs-io1-to-gp3"]
        assert (2, "$712.50/mo") in await lenses(s, stack)

        # other YAML and JSON: nothing published, no hover, no lens
        compose = s.open("docker-compose.yaml", COMPOSE, language="yaml")
        package = s.open("package.json", json.dumps({"name": "x", "Resources": "none"}), language="json")
        big = {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(60_000)]}
        big_uri = s.open("data/big.json", json.dumps(big), language="json")
        marker = s.open("after/main.tf", IO1)  # published after the others were looked at
        await s.wait_for(marker, version=1)
        started = time.perf_counter()
        assert await lenses(s, big_uri) == []
        assert time.perf_counter() - started < 2.0
        for uri in (compose, package, big_uri):
            assert await hover_text(s, uri, 0, 2) is None
            assert await lenses(s, uri) == []
        # a template that stops being one (its header and types deleted): what was said about it goes
        v = s.replace_all(stack, COMPOSE)
        await s.wait_for(stack, lambda p: not p.diagnostics, version=v)
        assert await lenses(s, stack) == []
        v = s.replace_all(stack, CFN)
        published = await s.wait_for(stack, version=v)
        assert [d.code for d in published.diagnostics] == ["ebs-io1-to-gp3"]

        for uri in (compose, package, big_uri):
            s.close(uri)
        s.close(marker)
        await s.wait_for(marker, lambda p: not p.diagnostics)  # the close of the last one is answered
        assert not [p for p in s.published if p.uri in (compose, package, big_uri)]


async def test_scan_totals_match_advisor_cost(tmp_path: Path) -> None:
    """The scan counts a called module once, through its call, as `advisor cost` does; and prices
    in the region of `.advisor.toml`."""
    (tmp_path / ".advisor.toml").write_text('region = "eu-west-1"\n')
    (tmp_path / "modules" / "search").mkdir(parents=True)
    (tmp_path / "modules" / "search" / "main.tf").write_text(MODULE)
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "main.tf").write_text(ROOT)
    cost = json.loads(_cli("cost", "-f", "json", str(tmp_path)))
    lint = json.loads(_cli("lint", "-f", "json", str(tmp_path)))
    async with editor(tmp_path, init={"debounceMs": 10}) as s:
        summary = await s.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="advisor.scanWorkspace", arguments=[])
        )
    assert summary["monthly_cost"] == pytest.approx(cost["total"])
    assert summary["unknown"] == sum(1 for r in cost["resources"] if r["monthly_cost"] is None)
    assert summary["findings"] == len(lint["findings"])
    assert cost["total"] > 90.88 + 161.76 + 0.80  # eu-west-1 costs more than us-east-1


def _cli(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "advisor", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


async def test_workspace_cost_tree(tmp_path: Path) -> None:
    """`advisor/costTree`: workspace → root → file → resource, with the totals of `advisor cost` and
    `advisor lint`; a called module's resources sit under the root that calls it, in the module's file."""
    (tmp_path / ".advisor.toml").write_text('region = "eu-west-1"\n')
    (tmp_path / "modules" / "search").mkdir(parents=True)
    (tmp_path / "modules" / "search" / "main.tf").write_text(MODULE)
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "main.tf").write_text(ROOT)
    (tmp_path / "asg").mkdir()
    (tmp_path / "asg" / "main.tf").write_text(TEMPLATE_AND_GROUP)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "web.yaml").write_text(CFN)
    (tmp_path / "stacks" / "compose.yaml").write_text(COMPOSE)
    cost = json.loads(_cli("cost", "-f", "json", str(tmp_path)))
    lint = json.loads(_cli("lint", "-f", "json", str(tmp_path)))
    stacks = json.loads(_cli("cost", "-f", "json", str(tmp_path / "stacks")))
    async with editor(tmp_path, init={"debounceMs": 10}) as s:
        tree = await raw_request(s, "advisor/costTree", {})
        only = await raw_request(s, "advisor/costTree", {"folders": [(tmp_path / "stacks").as_uri()]})
    assert tree.monthly_cost == pytest.approx(cost["total"])
    assert tree.findings == len(lint["findings"])
    assert [(r.name, r.kind) for r in tree.roots] == [
        ("asg", "module"),
        ("live", "module"),
        ("stacks/web.yaml", "template"),
    ]
    assert sum(r.monthly_cost for r in tree.roots) == pytest.approx(tree.monthly_cost)
    live = {r.name: r for r in tree.roots}["live"]
    files = {f.name: f for f in live.files}
    assert set(files) == {"live/main.tf", "modules/search/main.tf"}
    module_file = files["modules/search/main.tf"]
    addresses = [x.address for x in module_file.resources]
    assert (
        "module.many[1].aws_instance.node" in addresses and "module.search.aws_ebs_volume.data" in addresses
    )
    assert sum(f.monthly_cost for f in live.files) == pytest.approx(live.monthly_cost)
    assert sum(f.findings for f in live.files) == live.findings
    template = {x.address: x for f in {r.name: r for r in tree.roots}["asg"].files for x in f.resources}
    assert template["aws_launch_template.worker[0]"].monthly_cost is None
    assert template["aws_launch_template.worker[0]"].status == "priced where used"
    assert template["aws_launch_template.worker[0]"].findings == 1
    assert [r.name for r in only.roots] == ["web.yaml"]  # names relative to the folders asked for
    assert only.monthly_cost == pytest.approx(stacks["total"])
