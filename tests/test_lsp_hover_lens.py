"""Hover, code lens and inlay hints end to end: what the editor shows about cost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from lsp_fixtures.harness import IO1, Editor, editor
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio(loop_scope="module")

MIXED = (
    IO1
    + '\nresource "aws_ebs_volume" "many" {\n  count = 3\n  type  = "gp3"\n  size  = 100\n}\n'
    + '\nresource "aws_made_up_thing" "x" {\n  name = "x"\n}\n'
)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    async with editor(tmp_path_factory.mktemp("ws"), init={"debounceMs": 10}) as s:
        yield s


async def hover(s: Editor, uri: str, line: int, character: int) -> lsp.Hover | None:
    return await s.client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(line, character))
    )


async def lenses(s: Editor, uri: str) -> list[tuple[int, str]]:
    result = await s.client.text_document_code_lens_async(lsp.CodeLensParams(lsp.TextDocumentIdentifier(uri)))
    return [(c.range.start.line, c.command.title if c.command else "") for c in result or []]


async def test_hover_on_a_resource_shows_its_cost_components(ls: Editor) -> None:
    uri = ls.open("hover/main.tf", MIXED)
    await ls.wait_for(uri, version=1)
    h = await hover(ls, uri, 2, 4)  # on `size = 500`
    assert h is not None and isinstance(h.contents, lsp.MarkupContent)
    text = h.contents.value
    assert h.contents.kind == lsp.MarkupKind.Markdown
    assert text.startswith("**aws_ebs_volume.v** — $712.50/mo")
    assert "| Component | Quantity | Unit price | Monthly |" in text
    assert "| Storage (io1) | 500 GB | $0.125 | $62.50 |" in text
    assert "| Provisioned IOPS (io1) | 10,000 IOPS | $0.065 | $650.00 |" in text
    assert "| **Total** | | | **$712.50** |" in text
    assert "Prices: ec2shop as of 2024-07-18; region us-east-1." in text
    assert h.range is not None and h.range.start.line == 0  # the resource's header


async def test_hover_on_a_finding_adds_before_and_after(ls: Editor) -> None:
    uri = ls.open("hoverfinding/main.tf", IO1)
    await ls.wait_for(uri, version=1)
    h = await hover(ls, uri, 1, 11)  # inside "io1"
    assert h is not None and isinstance(h.contents, lsp.MarkupContent)
    text = h.contents.value
    finding, resource = text.split("\n\n---\n\n")
    assert finding.startswith("**ebs-io1-to-gp3** (warning)")
    assert "Before: `io1` · After: `gp3`" in finding
    assert "Monthly: $712.50/mo → $75.00/mo (saves $637.50/mo)" in finding
    assert resource.startswith("**aws_ebs_volume.v**")
    assert h.range == lsp.Range(lsp.Position(1, 9), lsp.Position(1, 14))


async def test_hover_on_a_finding_lists_every_alternative_with_its_figures(ls: Editor) -> None:
    """Graviton and the newer x86 generation for one instance type: one finding, and the hover lists
    both with their own monthly figure (m5.large $0.096/h, m6g.large $0.077/h, m6a.large $0.0864/h,
    730 hours in us-east-1)."""
    text = 'resource "aws_instance" "web" {\n  ami           = "ami-1"\n  instance_type = "m5.large"\n}\n'
    uri = ls.open("hoveralternatives/main.tf", text)
    await ls.wait_for(uri, version=1)
    h = await hover(ls, uri, 2, 20)  # inside "m5.large"
    assert h is not None and isinstance(h.contents, lsp.MarkupContent)
    finding = h.contents.value.split("\n\n---\n\n")[0]
    assert "| Instead | Rule | Monthly | Saves | Fix |" in finding
    assert "| `m6g.large` | ec2-graviton | $56.21 | $13.87 | review |" in finding
    assert "| `m6a.large` | ec2-newer-generation | $63.07 | $7.01 | safe |" in finding


async def test_hover_outside_resources_is_empty(ls: Editor) -> None:
    uri = ls.open("hoverempty/main.tf", "\n\n" + IO1)
    await ls.wait_for(uri, version=1)
    assert await hover(ls, uri, 0, 0) is None
    assert await hover(ls, ls.uri("hoverempty/unopened.tf"), 0, 0) is None


async def test_hover_on_an_estimate_says_so(ls: Editor) -> None:
    text = 'provider "aws" {\n  region = "ap-southeast-7"\n}\n\n' + IO1
    uri = ls.open("estimate/main.tf", text)
    await ls.wait_for(uri, version=1)
    h = await hover(ls, uri, 6, 4)
    assert h is not None and isinstance(h.contents, lsp.MarkupContent)
    assert "*(estimate)*" in h.contents.value
    assert "ap-southeast-7 is not in the price snapshot" in h.contents.value


async def test_code_lens_above_each_resource_and_a_file_total(ls: Editor) -> None:
    uri = ls.open("lens/main.tf", MIXED)
    await ls.wait_for(uri, version=1)
    assert await lenses(ls, uri) == [
        (0, "Advisor: $736.50/mo in this file (3 resources)"),
        (0, "$712.50/mo"),
        (6, "$24.00/mo (3 instances)"),
        (12, "not priced"),
    ]


async def test_code_lens_says_when_a_price_is_unknown(ls: Editor) -> None:
    text = 'provider "aws" {\n  region = "cn-north-1"\n}\n\n' + IO1
    uri = ls.open("unknown/main.tf", text)
    await ls.wait_for(uri, version=1)
    assert (4, "price unknown") in await lenses(ls, uri)


async def test_code_lens_follows_edits(ls: Editor) -> None:
    uri = ls.open("lensedit/main.tf", IO1)
    await ls.wait_for(uri, version=1)
    v = ls.replace_all(uri, "\n\n" + IO1.replace("500", "1000"))
    assert (2, "$775.00/mo") in await lenses(ls, uri)
    assert ls.versions[uri] == v


async def test_inlay_hints_are_off_by_default(ls: Editor) -> None:
    uri = ls.open("inlayoff/main.tf", IO1)
    await ls.wait_for(uri, version=1)
    hints = await ls.client.text_document_inlay_hint_async(
        lsp.InlayHintParams(
            lsp.TextDocumentIdentifier(uri), lsp.Range(lsp.Position(0, 0), lsp.Position(99, 0))
        )
    )
    assert not hints


async def test_inlay_hints_when_enabled_and_lenses_when_not(ls: Editor) -> None:
    uri = ls.open("inlayon/main.tf", IO1)
    await ls.wait_for(uri, version=1)
    ls.client.set_configuration({"inlayHints": True, "codeLens": False}, section="advisor")
    ls.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    whole = lsp.Range(lsp.Position(0, 0), lsp.Position(99, 0))
    try:
        for _ in range(200):  # the setting applies as soon as the server has read it
            hints = await ls.client.text_document_inlay_hint_async(
                lsp.InlayHintParams(lsp.TextDocumentIdentifier(uri), whole)
            )
            if hints:
                break
            await asyncio.sleep(0.01)
        assert [(h.position, h.label) for h in hints or []] == [(lsp.Position(0, 31), "$712.50/mo")]
        assert await lenses(ls, uri) == []
    finally:
        ls.client.set_configuration({}, section="advisor")
        ls.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
