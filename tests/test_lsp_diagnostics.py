"""Diagnostics end to end: `advisor serve` over stdio, driven by pytest-lsp's client.

One server serves most tests of this file (each test works in its own module folder); servers
with other client capabilities (pull diagnostics, UTF-8 positions) start their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsp_fixtures.harness import GP2, IO1, Editor, capabilities, editor
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    root = tmp_path_factory.mktemp("ws")
    async with editor(root, init={"debounceMs": 20}) as s:
        yield s


def codes(p: lsp.PublishDiagnosticsParams) -> list[str]:
    return sorted(str(d.code) for d in p.diagnostics)


async def test_a_finding_becomes_a_diagnostic(ls: Editor) -> None:
    uri = ls.open("basic/main.tf", IO1)
    p = await ls.wait_for(uri, version=1)
    (d,) = p.diagnostics
    assert d.code == "ebs-io1-to-gp3"
    assert d.source == "advisor"
    assert d.severity == lsp.DiagnosticSeverity.Warning
    assert d.code_description is not None and d.code_description.href.endswith("/ebs-io1-to-gp3.md")
    assert d.range == lsp.Range(lsp.Position(1, 9), lsp.Position(1, 14))
    assert "$637.50" in d.message


async def test_capabilities(ls: Editor) -> None:
    assert ls.init_result is not None
    caps = ls.init_result.capabilities
    assert caps.position_encoding == lsp.PositionEncodingKind.Utf16  # the client listed none
    sync = caps.text_document_sync
    assert (
        isinstance(sync, lsp.TextDocumentSyncOptions) and sync.change == lsp.TextDocumentSyncKind.Incremental
    )
    assert sync.open_close
    assert caps.hover_provider and caps.code_lens_provider and caps.inlay_hint_provider
    actions = caps.code_action_provider
    assert isinstance(actions, lsp.CodeActionOptions) and actions.resolve_provider
    assert "source.fixAll.advisor" in (actions.code_action_kinds or [])
    assert isinstance(caps.diagnostic_provider, lsp.DiagnosticOptions)
    assert ls.init_result.server_info is not None and ls.init_result.server_info.name == "advisor"


async def test_watchers_are_registered_dynamically(ls: Editor) -> None:
    (watch,) = [r for r in ls.registrations if r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    globs = sorted(w["globPattern"] for w in watch.register_options["watchers"])  # type: ignore[index]
    assert "**/*.tf" in globs and "**/*.tfvars" in globs and "**/.advisor.toml" in globs


async def test_typing_a_resource_character_by_character(ls: Editor) -> None:
    uri = ls.open("typing/main.tf", "")
    await ls.wait_for(uri, version=1)
    line = col = 0
    version = 1
    checkpoints: dict[int, list[str]] = {}
    for ch in GP2:
        version = ls.insert(uri, line, col, ch)
        await asyncio.sleep(0.002)  # a fast typist: the debounce coalesces most keystrokes
        if ch == "\n":
            line, col = line + 1, 0
            # at the end of each line the diagnostics catch up with exactly this version
            checkpoints[line] = codes(await ls.wait_for(uri, version=version))
        else:
            col += 1
    assert checkpoints[1] == ["parse-error"]  # `resource ... {` with no closing brace yet
    assert checkpoints[3] == ["parse-error"]
    assert checkpoints[4] == ["ebs-gp2-to-gp3"]  # the closing brace completes the block
    versions = [p.version for p in ls.published if p.uri == uri]
    assert versions == sorted(versions), "diagnostics went back to an older version"


async def test_a_broken_file_then_fixed(ls: Editor) -> None:
    broken = IO1.replace("size = 500", "size = = 500")
    uri = ls.open("broken/main.tf", broken)
    p = await ls.wait_for(uri, version=1)
    (d,) = p.diagnostics
    assert d.code == "parse-error" and d.severity == lsp.DiagnosticSeverity.Error
    assert d.range.start.line == 2
    v = ls.replace_all(uri, IO1)
    assert codes(await ls.wait_for(uri, version=v)) == ["ebs-io1-to-gp3"]


async def test_closing_clears_the_diagnostics(ls: Editor) -> None:
    uri = ls.open("closing/main.tf", IO1)
    await ls.wait_for(uri, version=1, predicate=lambda p: bool(p.diagnostics))
    mark = len(ls.published)
    ls.close(uri)
    cleared = await ls.wait_for(uri, after=mark)
    assert cleared.diagnostics == [] or cleared.diagnostics == ()


async def test_unsaved_buffer_wins_over_disk_and_other_files_come_from_disk(ls: Editor) -> None:
    ls.write("vars/variables.tf", 'variable "t" {\n  default = "gp2"\n}\n')
    text = 'resource "aws_ebs_volume" "v" {\n  type = var.t\n  size = 100\n}\n'
    ls.write("vars/main.tf", "# nothing saved yet\n")
    uri = ls.open("vars/main.tf", text, write=False)
    p = await ls.wait_for(uri, version=1)
    assert codes(p) == ["ebs-gp2-to-gp3"]
    assert p.diagnostics[0].range.start.line == 1  # reported where var.t is used


async def test_a_change_on_disk_is_picked_up_through_the_watcher(ls: Editor) -> None:
    ls.write("watched/variables.tf", 'variable "t" {\n  default = "gp2"\n}\n')
    uri = ls.open("watched/main.tf", 'resource "aws_ebs_volume" "v" {\n  type = var.t\n  size = 100\n}\n')
    assert codes(await ls.wait_for(uri, version=1)) == ["ebs-gp2-to-gp3"]
    mark = len(ls.published)
    ls.write("watched/variables.tf", 'variable "t" {\n  default = "gp3"\n}\n')
    ls.client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            [lsp.FileEvent(ls.uri("watched/variables.tf"), lsp.FileChangeType.Changed)]
        )
    )
    p = await ls.wait_for(uri, after=mark)
    assert codes(p) == [] and p.version == 1


async def test_errors_in_another_file_of_the_module_are_published_for_that_file(ls: Editor) -> None:
    ls.write("other/variables.tf", 'variable "t" {\n  default = \n}\n')
    uri = ls.open("other/main.tf", GP2)
    await ls.wait_for(uri, version=1)
    p = await ls.wait_for(ls.uri("other/variables.tf"))
    assert codes(p) == ["parse-error"] and p.version is None


async def test_stale_versions_are_never_published(ls: Editor) -> None:
    uri = ls.open("stale/main.tf", IO1)
    await ls.wait_for(uri, version=1)
    mark = len(ls.published)
    last = 1
    for i in range(60):
        text = IO1 if i % 2 else GP2
        last = ls.replace_all(uri, text)
    final = await ls.wait_for(uri, version=last, after=mark)
    assert codes(final) == ["ebs-io1-to-gp3"]
    # whatever was published in between carried the version it was computed for
    for p in ls.published[mark:]:
        if p.uri == uri:
            assert p.version is not None and 1 < p.version <= last


async def test_pull_diagnostics(tmp_path: Path) -> None:
    async with editor(tmp_path, caps=capabilities(pull=True), init={"debounceMs": 0}) as s:
        uri = s.open("main.tf", IO1)
        report = await s.pull(uri)
        assert report.kind == "full"
        assert [d.code for d in report.items] == ["ebs-io1-to-gp3"]
        again = await s.pull(uri, previous=report.result_id)
        assert again.kind == "unchanged" and again.result_id == report.result_id
        s.replace_all(uri, GP2)
        changed = await s.pull(uri, previous=report.result_id)
        assert changed.kind == "full" and [d.code for d in changed.items] == ["ebs-gp2-to-gp3"]
        unknown = await s.pull(s.uri("nowhere.tf"))
        assert unknown.kind == "full" and list(unknown.items) == []
        # a pull client gets no pushed diagnostics for its open documents
        assert not [p for p in s.published if p.uri == uri]


# -- position encodings --------------------------------------------------------------------------------------
UNICODE = 'resource "aws_ebs_volume" "v" {\n  /* größe 🚀 */ type = "io1"\n  size = 500\n  iops = 10000\n}\n'


async def check_encoding(s: Editor, name: str, start: int, end: int) -> None:
    uri = s.open(name, UNICODE)
    (d,) = (await s.wait_for(uri, version=1)).diagnostics
    assert d.range == lsp.Range(lsp.Position(1, start), lsp.Position(1, end))
    # an edit in the client's units lands on the right characters: io1 becomes io2 inside the quotes
    edit = lsp.Range(lsp.Position(1, start + 1), lsp.Position(1, end - 1))
    v = s.change(uri, [lsp.TextDocumentContentChangePartial(range=edit, text="io2")])
    (d2,) = (await s.wait_for(uri, version=v)).diagnostics
    assert d2.code == "ebs-io1-to-gp3" and d2.message.startswith("io2 → gp3") and d2.range == d.range


async def test_utf16_ranges_by_default(ls: Editor) -> None:
    await check_encoding(ls, "utf16/main.tf", 24, 29)  # the rocket is two UTF-16 units


async def test_utf8_ranges_when_negotiated(tmp_path: Path) -> None:
    async with editor(tmp_path, caps=capabilities(["utf-8", "utf-16"])) as s:
        assert s.init_result is not None and s.init_result.capabilities.position_encoding == "utf-8"
        await check_encoding(s, "main.tf", 28, 33)  # ö, ß are two bytes, the rocket four


TEMPLATE = (
    'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Data:\n    Type: AWS::EC2::Volume\n'
    "    Properties:\n      AvailabilityZone: us-east-1a\n      VolumeType: gp2\n      Size: 100\n"
)


async def test_cloudformation_templates_are_analysed_on_their_own(ls: Editor) -> None:
    uri = ls.open("cfn/stack.yaml", TEMPLATE, language="yaml")
    (d,) = (await ls.wait_for(uri, version=1)).diagnostics
    assert d.code == "ebs-gp2-to-gp3" and d.range == lsp.Range(lsp.Position(6, 18), lsp.Position(6, 21))
    other = ls.open("cfn/workflow.yml", "name: ci\non: push\n", language="yaml")
    v = ls.replace_all(uri, TEMPLATE.replace("gp2", "gp3"))
    assert codes(await ls.wait_for(uri, version=v)) == []
    assert not [p for p in ls.published if p.uri == other]  # not a template: nothing to say
