"""Configuration end to end: initializationOptions, workspace/configuration, `.advisor.toml` (on
disk and in an open buffer), and a broken config that must not stop anything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsp_fixtures.harness import GP2, IO1, Editor, editor
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    async with editor(tmp_path_factory.mktemp("ws"), init={"debounceMs": 10}) as s:
        yield s


def codes(p: lsp.PublishDiagnosticsParams) -> list[str]:
    return sorted(str(d.code) for d in p.diagnostics)


def touched(s: Editor, name: str, kind: lsp.FileChangeType = lsp.FileChangeType.Changed) -> None:
    s.client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams([lsp.FileEvent(s.uri(name), kind)])
    )


async def test_project_config_disables_a_rule_and_reloads_when_it_changes(ls: Editor) -> None:
    ls.write("proj/.advisor.toml", '[rules]\ndisable = ["ebs-gp2-to-gp3"]\n')
    uri = ls.open("proj/main.tf", GP2)
    assert codes(await ls.wait_for(uri, version=1)) == []
    mark = len(ls.published)
    ls.write("proj/.advisor.toml", '[rules]\nseverity = { "ebs-gp2-to-gp3" = "error" }\n')
    touched(ls, "proj/.advisor.toml")
    p = await ls.wait_for(uri, after=mark, predicate=lambda p: bool(p.diagnostics))
    assert codes(p) == ["ebs-gp2-to-gp3"] and p.diagnostics[0].severity == lsp.DiagnosticSeverity.Error


async def test_a_broken_config_is_reported_and_the_previous_one_stays(ls: Editor) -> None:
    ls.write("brk/.advisor.toml", '[rules]\ndisable = ["ebs-gp2-to-gp3"]\n')
    uri = ls.open("brk/main.tf", GP2)
    assert codes(await ls.wait_for(uri, version=1)) == []
    config_uri = ls.uri("brk/.advisor.toml")
    mark = len(ls.published)
    ls.write("brk/.advisor.toml", '[rules]\ndisable = ["ebs-gp2-to-gp3"]\nbogus = 1\n')
    touched(ls, "brk/.advisor.toml")
    (d,) = (await ls.wait_for(config_uri, after=mark)).diagnostics
    assert d.code == "config-error" and d.severity == lsp.DiagnosticSeverity.Error
    assert d.range.start.line == 2 and "bogus" in d.message
    # the rule stays disabled: the last good config is still in force
    v = ls.replace_all(uri, GP2 + "\n")
    assert codes(await ls.wait_for(uri, version=v)) == []
    mark = len(ls.published)
    ls.write("brk/.advisor.toml", "")
    touched(ls, "brk/.advisor.toml")
    assert list((await ls.wait_for(config_uri, after=mark)).diagnostics) == []
    assert codes(await ls.wait_for(uri, after=mark, predicate=lambda p: bool(p.diagnostics))) == [
        "ebs-gp2-to-gp3"
    ]


async def test_an_open_config_buffer_applies_before_it_is_saved(ls: Editor) -> None:
    ls.write("buf/.advisor.toml", "")
    uri = ls.open("buf/main.tf", IO1)
    assert codes(await ls.wait_for(uri, version=1)) == ["ebs-io1-to-gp3"]
    cfg = ls.open("buf/.advisor.toml", language="toml")
    mark = len(ls.published)
    ls.replace_all(cfg, '[rules]\ndisable = ["ebs-io1-to-gp3"]\n')
    assert codes(await ls.wait_for(uri, after=mark, predicate=lambda p: not p.diagnostics)) == []
    mark = len(ls.published)
    ls.replace_all(cfg, "[rules\n")
    (d,) = (await ls.wait_for(cfg, after=mark)).diagnostics
    assert d.code == "config-error" and d.range.start.line == 0


async def test_editor_settings_apply_without_restart(ls: Editor) -> None:
    uri = ls.open("settings/main.tf", IO1)
    assert codes(await ls.wait_for(uri, version=1)) == ["ebs-io1-to-gp3"]
    mark = len(ls.published)
    ls.client.set_configuration({"rules": {"disable": ["ebs-io1-to-gp3"]}}, section="advisor")
    ls.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    assert codes(await ls.wait_for(uri, after=mark)) == []
    mark = len(ls.published)
    ls.client.set_configuration({"rules": {"severity": {"ebs-io1-to-gp3": "hint"}}}, section="advisor")
    ls.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    p = await ls.wait_for(uri, after=mark, predicate=lambda p: bool(p.diagnostics))
    assert p.diagnostics[0].severity == lsp.DiagnosticSeverity.Hint
    ls.client.set_configuration({}, section="advisor")
    ls.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))


async def test_didchangeconfiguration_registered(ls: Editor) -> None:
    assert any(r.method == lsp.WORKSPACE_DID_CHANGE_CONFIGURATION for r in ls.registrations)


async def test_initialization_options_then_workspace_configuration(tmp_path: Path) -> None:
    init = {"region": "ap-southeast-7", "debounceMs": "soon", "rules": {"disable": ["no-such-rule"]}}
    settings = {"rules": {"severity": {"ebs-io1-to-gp3": "error"}}}
    async with editor(tmp_path, init=init, settings=settings) as s:
        uri = s.open("main.tf", IO1)
        (d,) = (await s.wait_for(uri, version=1)).diagnostics
        assert d.severity == lsp.DiagnosticSeverity.Error  # from workspace/configuration
        at = lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(2, 3))
        h = await s.client.text_document_hover_async(at)
        assert h is not None and isinstance(h.contents, lsp.MarkupContent)
        assert "region ap-southeast-7" in h.contents.value and "(estimate)" in h.contents.value  # from init
        shown = [m.message for m in s.client.messages]
        assert any("debounceMs" in m for m in shown) and any("no-such-rule" in m for m in shown)
        # workspace/configuration wins over initializationOptions, key by key
        mark = len(s.published)
        s.client.set_configuration({"region": "us-east-1"}, section="advisor")
        s.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        p = await s.wait_for(uri, after=mark)
        assert p.diagnostics[0].severity == lsp.DiagnosticSeverity.Warning
        h = await s.client.text_document_hover_async(at)
        assert h is not None and isinstance(h.contents, lsp.MarkupContent)
        assert "region us-east-1" in h.contents.value and "estimate" not in h.contents.value
