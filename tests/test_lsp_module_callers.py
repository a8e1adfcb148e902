"""A module file opened in the editor shows the module as the root modules of the workspace call it:
the call's arguments decide its figures and findings, and the fix edits the argument in the caller.
Alone, with its variables unset, the module would say nothing (the command line already reaches it
through its callers)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from lsp_fixtures.harness import Editor, editor
from lsprotocol import types as lsp
from test_lsp_actions import actions_at, resolve

pytestmark = pytest.mark.asyncio(loop_scope="module")

MODULE = """variable "type" {
  type = string
}

variable "size" {
  type = number
}

variable "iops" {
  type    = number
  default = null
}

resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  type              = var.type
  size              = var.size
  iops              = var.iops
}
"""

PROD = """module "disk" {
  source = "../../modules/disk"
  type   = "io1"
  size   = 500
  iops   = 10000
}
"""

DEV = """module "disk" {
  source = "../../modules/disk"
  type   = "gp3"
  size   = 100
}
"""


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    root = tmp_path_factory.mktemp("ws")
    (root / "modules" / "disk").mkdir(parents=True)
    (root / "modules" / "disk" / "main.tf").write_text(MODULE)
    for env, text in (("prod", PROD), ("dev", DEV)):
        (root / "envs" / env).mkdir(parents=True)
        (root / "envs" / env / "main.tf").write_text(text)
    (root / "lonely").mkdir()
    (root / "lonely" / "main.tf").write_text(MODULE)
    async with editor(root, init={"debounceMs": 10}) as s:
        yield s


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines()) if needle in line)


async def test_a_module_file_shows_the_findings_of_the_roots_that_call_it(ls: Editor) -> None:
    uri = ls.open("modules/disk/main.tf")
    p = await ls.wait_for(uri, version=1, predicate=lambda p: bool(p.diagnostics))
    (io1,) = [d for d in p.diagnostics if d.code == "ebs-io1-to-gp3"]  # prod's; dev's volume is gp3
    # io1: 500 GB at $0.125 and 10,000 IOPS at $0.065; gp3: 500 GB at $0.08 and 7,000 IOPS above
    # the free 3,000 at $0.005 (us-east-1)
    assert "$712.50 → $75.00/mo" in io1.message and "(as called by root envs/prod)" in io1.message
    assert io1.range.start.line == line_of(MODULE, "type              = var.type")
    # the fix changes the argument where the caller sets it
    (fix,) = [a for a in await actions_at(ls, uri, io1) if a.title.startswith("Change io1 to gp3")]
    edit = await resolve(ls, fix)
    changed = {
        c.text_document.uri for c in edit.document_changes or [] if isinstance(c, lsp.TextDocumentEdit)
    }
    assert changed == {ls.uri("envs/prod/main.tf")}
    # each root's figure above the volume
    found = await ls.client.text_document_code_lens_async(lsp.CodeLensParams(lsp.TextDocumentIdentifier(uri)))
    titles = {c.range.start.line: c.command.title for c in found or [] if c.command}
    volume = line_of(MODULE, 'resource "aws_ebs_volume" "data"')
    assert titles[volume] == "$8.00/mo in envs/dev · $712.50/mo in envs/prod"


async def test_a_module_nobody_calls_is_analysed_alone(ls: Editor) -> None:
    uri = ls.open("lonely/main.tf")
    p = await ls.wait_for(uri, version=1)
    assert [d.code for d in p.diagnostics if d.code == "ebs-io1-to-gp3"] == []
    found = await ls.client.text_document_code_lens_async(lsp.CodeLensParams(lsp.TextDocumentIdentifier(uri)))
    titles = [c.command.title for c in found or [] if c.command]
    assert not any(" in envs/" in t for t in titles)
