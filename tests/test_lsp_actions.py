"""Code actions end to end: quick fixes with their saving, ignore comments, fix-all, lazy resolve,
and applying the edit back to the document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsp_fixtures.harness import GP2, IO1, Editor, apply_edits, capabilities, editor
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    async with editor(tmp_path_factory.mktemp("ws"), init={"debounceMs": 10}) as s:
        yield s


async def actions_at(
    s: Editor,
    uri: str,
    diag: lsp.Diagnostic | None = None,
    only: list[str] | None = None,
    rng: lsp.Range | None = None,
) -> list[lsp.CodeAction]:
    rng = rng or (diag.range if diag else lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))
    result = await s.client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            range=rng,
            context=lsp.CodeActionContext(diagnostics=[diag] if diag else [], only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


async def resolve(s: Editor, action: lsp.CodeAction) -> lsp.WorkspaceEdit:
    resolved = await s.client.code_action_resolve_async(action)
    assert resolved.edit is not None, f"no edit for {action.title}"
    return resolved.edit


def only_change(edit: lsp.WorkspaceEdit, uri: str) -> lsp.TextDocumentEdit:
    changes = [c for c in edit.document_changes or [] if isinstance(c, lsp.TextDocumentEdit)]
    assert [c.text_document.uri for c in changes] == [uri]
    return changes[0]


async def apply_and_check(s: Editor, uri: str, edit: lsp.WorkspaceEdit) -> lsp.PublishDiagnosticsParams:
    change = only_change(edit, uri)
    assert change.text_document.version == s.versions[uri]
    text = apply_edits(s.texts[uri], change.edits)
    v = s.replace_all(uri, text)
    return await s.wait_for(uri, version=v)


async def test_the_fix_is_a_preferred_quickfix_with_its_saving(ls: Editor) -> None:
    uri = ls.open("fix/main.tf", IO1)
    (diag,) = (await ls.wait_for(uri, version=1)).diagnostics
    actions = await actions_at(ls, uri, diag)
    titles = [a.title for a in actions]
    assert titles == [
        "Change io1 to gp3 (saves $637.50/mo)",
        "Ignore ebs-io1-to-gp3 here",
        "Ignore ebs-io1-to-gp3 in this file",
    ]
    fix = actions[0]
    assert fix.kind == lsp.CodeActionKind.QuickFix and fix.is_preferred
    assert fix.diagnostics is not None and [d.code for d in fix.diagnostics] == ["ebs-io1-to-gp3"]
    assert fix.edit is None and isinstance(fix.data, dict)  # computed on resolve
    assert not actions[1].is_preferred
    # round trip: resolve, apply, and the finding is gone
    edit = await resolve(ls, fix)
    after = await apply_and_check(ls, uri, edit)
    assert after.diagnostics == [] or after.diagnostics == ()
    assert 'type = "gp3"' in ls.texts[uri] and "iops = 10000" in ls.texts[uri]


async def test_ignore_here_inserts_an_indented_comment(ls: Editor) -> None:
    uri = ls.open("ignore/main.tf", IO1)
    (diag,) = (await ls.wait_for(uri, version=1)).diagnostics
    action = next(a for a in await actions_at(ls, uri, diag) if a.title == "Ignore ebs-io1-to-gp3 here")
    after = await apply_and_check(ls, uri, await resolve(ls, action))
    assert '{\n  # advisor:ignore ebs-io1-to-gp3\n  type = "io1"' in ls.texts[uri]
    assert list(after.diagnostics) == []


async def test_ignore_in_file_follows_the_comment_style(ls: Editor) -> None:
    text = "// volumes\n// for the data tier\n" + GP2
    uri = ls.open("ignorefile/main.tf", text)
    (diag,) = (await ls.wait_for(uri, version=1)).diagnostics
    action = next(a for a in await actions_at(ls, uri, diag) if a.title.endswith("in this file"))
    after = await apply_and_check(ls, uri, await resolve(ls, action))
    assert ls.texts[uri].startswith("// advisor:ignore-file ebs-gp2-to-gp3\n// volumes")
    assert list(after.diagnostics) == []


async def test_an_unused_ignore_is_marked_unnecessary_and_can_be_removed(ls: Editor) -> None:
    text = (
        'resource "aws_ebs_volume" "v" {\n  # advisor:ignore ec2-graviton\n  type = "gp3"\n  size = 10\n}\n'
    )
    uri = ls.open("unused/main.tf", text)
    (diag,) = (await ls.wait_for(uri, version=1)).diagnostics
    assert diag.code == "unused-ignore" and diag.severity == lsp.DiagnosticSeverity.Hint
    assert list(diag.tags or []) == [lsp.DiagnosticTag.Unnecessary]
    actions = await actions_at(ls, uri, diag)
    assert [a.title for a in actions] == ["Remove the unused ignore comment"]
    after = await apply_and_check(ls, uri, await resolve(ls, actions[0]))
    assert "advisor:ignore" not in ls.texts[uri] and list(after.diagnostics) == []


async def test_fix_all_applies_only_safe_fixes(ls: Editor) -> None:
    text = 'resource "aws_instance" "web" {\n  instance_type = "m5.large"\n  ami = "ami-1"\n}\n\n' + GP2
    uri = ls.open("fixall/main.tf", text)
    first = await ls.wait_for(uri, version=1)
    # Graviton and the newer generation compete for one value: one diagnostic, the larger saving first
    assert sorted(str(d.code) for d in first.diagnostics) == ["ebs-gp2-to-gp3", "ec2-graviton"]
    merged = next(d for d in first.diagnostics if d.code == "ec2-graviton")
    titles = [a.title for a in await actions_at(ls, uri, merged)]
    assert titles[0].startswith("Change m5.large to m6g.large (saves $")
    assert titles[0].endswith("(ec2-graviton)")
    assert titles[1].startswith("Change m5.large to m6a.large (saves $")
    assert titles[1].endswith("(ec2-newer-generation)")
    assert {"Ignore ec2-graviton here", "Ignore ec2-newer-generation here"} <= set(titles)
    assert await actions_at(ls, uri, only=None) == []  # nothing under the cursor, no source action unasked
    (fix_all,) = await actions_at(ls, uri, only=["source.fixAll"])
    assert fix_all.kind == "source.fixAll.advisor" and fix_all.title.startswith(
        "Apply 2 safe Advisor fixes (saves $"
    )
    await apply_and_check(ls, uri, await resolve(ls, fix_all))
    assert '"gp3"' in ls.texts[uri] and '"m6a.large"' in ls.texts[uri]
    assert "m6g" not in ls.texts[uri]  # Graviton needs arm64 builds: never applied blindly


async def test_a_fix_in_another_file_carries_no_version(ls: Editor) -> None:
    ls.write("remote/variables.tf", 'variable "t" {\n  default = "gp2"\n}\n')
    uri = ls.open("remote/main.tf", 'resource "aws_ebs_volume" "v" {\n  type = var.t\n  size = 100\n}\n')
    (diag,) = (await ls.wait_for(uri, version=1)).diagnostics
    fix = (await actions_at(ls, uri, diag))[0]
    edit = await resolve(ls, fix)
    change = only_change(edit, ls.uri("remote/variables.tf"))
    assert change.text_document.version is None
    assert [(e.range.start.line, e.new_text) for e in change.edits] == [(1, '"gp3"')]


async def test_a_stale_action_is_not_resolved(ls: Editor) -> None:
    uri = ls.open("stale/main.tf", IO1)
    (diag,) = (await ls.wait_for(uri, version=1)).diagnostics
    fix = (await actions_at(ls, uri, diag))[0]
    ls.insert(uri, 0, 0, "# edited\n")
    resolved = await ls.client.code_action_resolve_async(fix)
    assert resolved.edit is None


async def test_clients_without_resolve_get_edits_at_once(tmp_path: Path) -> None:
    async with editor(tmp_path, caps=capabilities(resolve=False)) as s:
        uri = s.open("main.tf", IO1)
        (diag,) = (await s.wait_for(uri, version=1)).diagnostics
        actions = await actions_at(s, uri, diag)
        assert all(a.edit is not None for a in actions)
        edit: Any = actions[0].edit
        change = only_change(edit, uri)
        assert change.text_document.version == 1
        assert [e.new_text for e in change.edits] == ['"gp3"']


async def test_ignore_in_a_cloudformation_template_uses_yaml_comments(ls: Editor) -> None:
    template = (
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Data:\n    Type: AWS::EC2::Volume\n'
        "    Properties:\n      VolumeType: gp2\n      Size: 100\n"
    )
    uri = ls.open("cfn/stack.yaml", template, language="yaml")
    (diag,) = (await ls.wait_for(uri, version=1)).diagnostics
    actions = await actions_at(ls, uri, diag)
    assert [a.title for a in actions] == [
        "Change gp2 to gp3 (saves $2.00/mo)",
        "Ignore ebs-gp2-to-gp3 here",
        "Ignore ebs-gp2-to-gp3 in this file",
    ]
    after = await apply_and_check(ls, uri, await resolve(ls, actions[1]))
    assert "    Properties:\n      # advisor:ignore ebs-gp2-to-gp3\n      VolumeType: gp2\n" in ls.texts[uri]
    assert list(after.diagnostics) == []
