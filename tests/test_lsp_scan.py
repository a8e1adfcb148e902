"""The workspace scan command: every module analysed, every IaC file published, progress reported
per module, and cancellation honoured between modules and inside them. One server; each test scans its own folder
(the command takes folder URIs as arguments, the workspace folders by default)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import Future
from typing import Any

import pytest
import pytest_asyncio
from lsp_fixtures.harness import GP2, IO1, Editor, editor, send_raw
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCAN = "advisor.scanWorkspace"
TEMPLATE = (
    'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Data:\n    Type: AWS::EC2::Volume\n'
    "    Properties:\n      AvailabilityZone: us-east-1a\n      VolumeType: gp2\n      Size: 100\n"
)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    async with editor(tmp_path_factory.mktemp("ws")) as s:
        yield s


def write(s: Editor, name: str, text: str) -> None:
    s.write(name, text)


async def scan(s: Editor, folder: str | None, token: str | None = None) -> Any:
    return await s.client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(
            command=SCAN, arguments=[s.uri(folder)] if folder else [], work_done_token=token
        )
    )


def kinds(reports: list[Any]) -> list[str]:
    return [r.kind for r in reports]


def new_reports(s: Editor, before: set[Any]) -> list[Any]:
    (token,) = set(s.client.progress_reports) - before
    return s.client.progress_reports[token]


async def test_the_command_is_advertised(ls: Editor) -> None:
    assert ls.init_result is not None
    commands = ls.init_result.capabilities.execute_command_provider
    assert commands is not None and SCAN in commands.commands


async def test_scan_publishes_every_file_with_progress(ls: Editor) -> None:
    write(ls, "all/storage/main.tf", IO1)
    write(ls, "all/storage/terraform.tfvars", 'unused = "x"\n')
    write(ls, "all/app/main.tf", GP2)
    write(ls, "all/app/nested/main.tf", 'resource "aws_ebs_volume" "ok" {\n  type = "gp3"\n  size = 10\n}\n')
    write(ls, "all/broken/main.tf", 'resource "aws_ebs_volume" "b" {\n  type = \n}\n')
    write(ls, "all/cfn/stack.yaml", TEMPLATE)
    write(ls, "all/cfn/.github-like.yml", "name: ci\non: push\n")  # YAML, but not a template
    write(ls, "all/.terraform/modules/x/main.tf", GP2)  # never scanned
    before = set(ls.client.progress_reports)
    mark = len(ls.published)
    summary = await scan(ls, "all")
    assert summary["modules"] == 6 and summary["scanned"] == 6 and not summary["cancelled"]
    assert summary["findings"] == 4  # io1, gp2, the parse error, the template's gp2
    by_uri = {p.uri: [str(d.code) for d in p.diagnostics] for p in ls.published[mark:]}
    assert by_uri == {
        ls.uri("all/storage/main.tf"): ["ebs-io1-to-gp3"],
        ls.uri("all/storage/terraform.tfvars"): [],
        ls.uri("all/app/main.tf"): ["ebs-gp2-to-gp3"],
        ls.uri("all/app/nested/main.tf"): [],
        ls.uri("all/broken/main.tf"): ["parse-error"],
        ls.uri("all/cfn/stack.yaml"): ["ebs-gp2-to-gp3"],
    }
    reports = new_reports(ls, before)
    assert kinds(reports) == ["begin"] + ["report"] * 6 + ["end"]
    assert reports[0].cancellable and reports[-1].message == "6 modules, 4 findings"
    assert [r.percentage for r in reports[1:-1]] == [0, 16, 33, 50, 66, 83]
    # a second scan after a fix clears what was fixed, once
    write(ls, "all/app/main.tf", GP2.replace("gp2", "gp3"))
    mark = len(ls.published)
    await scan(ls, "all")
    assert [list(p.diagnostics) for p in ls.published[mark:] if p.uri == ls.uri("all/app/main.tf")] == [[]]


MODULES = 60
BIG = "".join(GP2.replace('"g"', f'"g{i}"') for i in range(25))  # enough work per module to stop midway


def started(s: Editor, before: set[Any]) -> bool:
    return any(kinds(r).count("report") >= 1 for t, r in s.client.progress_reports.items() if t not in before)


async def test_scan_can_be_cancelled_between_modules(ls: Editor) -> None:
    for i in range(MODULES):
        write(ls, f"many/m{i:02d}/main.tf", BIG)
    before = set(ls.client.progress_reports)
    task = asyncio.ensure_future(scan(ls, "many"))
    while not started(ls, before):
        await asyncio.sleep(0.002)
        assert not task.done(), "the scan finished before it could be cancelled"
    (token,) = set(ls.client.progress_reports) - before
    ls.client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    summary = await task
    assert summary["cancelled"], summary
    assert summary["scanned"] < MODULES  # the module in progress stops too, at its next check point
    assert ls.client.progress_reports[token][-1].message == "cancelled"


async def test_cancelling_the_request_stops_the_scan(ls: Editor) -> None:
    for i in range(MODULES):
        write(ls, f"many2/m{i:02d}/main.tf", BIG)
    before = set(ls.client.progress_reports)
    msg_id = "scan-to-cancel"
    future: Future[Any] = Future()
    ls.client.protocol._request_futures[msg_id] = future
    params = {"command": SCAN, "arguments": [ls.uri("many2")]}
    await send_raw(
        ls, {"jsonrpc": "2.0", "id": msg_id, "method": "workspace/executeCommand", "params": params}
    )
    while not started(ls, before):
        await asyncio.sleep(0.002)
    ls.client.protocol.notify("$/cancelRequest", lsp.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcException):
        await asyncio.wait_for(asyncio.wrap_future(future), 10)
    reports = new_reports(ls, before)
    while kinds(reports)[-1] != "end":
        await asyncio.sleep(0.01)
    assert reports[-1].message == "cancelled"
    assert kinds(reports).count("report") < MODULES


async def test_scan_uses_the_clients_token_and_open_buffers(ls: Editor) -> None:
    write(ls, "one/main.tf", GP2)
    uri = ls.open("one/main.tf", IO1, write=False)  # unsaved: io1 in the buffer, gp2 on disk
    await ls.wait_for(uri, version=1)
    ls.client.progress_reports["mine"] = []
    mark = len(ls.published)
    summary = await scan(ls, "one", token="mine")
    assert summary["scanned"] == 1 and kinds(ls.client.progress_reports["mine"])[0] == "begin"
    scanned = [p for p in ls.published[mark:] if p.uri == uri]
    assert scanned and all([str(d.code) for d in p.diagnostics] == ["ebs-io1-to-gp3"] for p in scanned)
    assert all(p.version == 1 for p in scanned)


async def test_without_arguments_the_workspace_folders_are_scanned(ls: Editor) -> None:
    ls.write("noargs/main.tf", GP2)
    mark = len(ls.published)
    summary = await scan(ls, None)
    assert summary["scanned"] == summary["modules"] >= 1
    p = await ls.wait_for(ls.uri("noargs/main.tf"), after=mark)
    assert [str(d.code) for d in p.diagnostics] == ["ebs-gp2-to-gp3"]
