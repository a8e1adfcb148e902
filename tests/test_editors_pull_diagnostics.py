"""An editor that pulls diagnostics (Neovim 0.11, VS Code) still gets some pushed: those of the files of
a module that are not open, and those a workspace scan finds in closed files. Once such a file is opened, the pushed ones must be taken back, or they stay
beside the pulled ones and outlive the fix (the stale squiggle the Neovim end-to-end test of a project
of several files found)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_fixtures.harness import IO1, capabilities, editor
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio

GP3 = IO1.replace('"io1"', '"gp3"')
CALLER = 'module "disk" {\n  source = "./modules/disk"\n}\n'


async def test_diagnostics_pushed_while_closed_are_taken_back_when_the_file_opens(tmp_path: Path) -> None:
    (tmp_path / "volumes.tf").write_text(IO1, encoding="utf-8")
    async with editor(tmp_path, caps=capabilities(pull=True), init={"debounceMs": 0}) as s:
        volumes = s.uri("volumes.tf")
        s.open("main.tf", CALLER)
        # volumes.tf is closed: its finding is pushed, the only way a pull client hears of it
        await s.wait_for(volumes, lambda p: [d.code for d in p.diagnostics] == ["ebs-io1-to-gp3"])
        seen = len(s.published)
        s.open("volumes.tf")
        taken_back = await s.wait_for(volumes, after=seen)
        assert list(taken_back.diagnostics) == []
        report = await s.pull(volumes)
        assert [d.code for d in report.items] == ["ebs-io1-to-gp3"]

        s.replace_all(volumes, GP3)
        fixed = await s.pull(volumes, previous=report.result_id)
        assert fixed.kind == "full" and list(fixed.items) == []
        # what was pushed for the file last says nothing either
        assert list([p.diagnostics for p in s.published if p.uri == volumes][-1]) == []


async def test_diagnostics_a_scan_pushed_are_taken_back_when_the_file_opens(tmp_path: Path) -> None:
    (tmp_path / "volumes.tf").write_text(IO1, encoding="utf-8")
    async with editor(tmp_path, caps=capabilities(pull=True), init={"debounceMs": 0}) as s:
        volumes = s.uri("volumes.tf")
        await s.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="advisor.scanWorkspace", arguments=[])
        )
        await s.wait_for(volumes, lambda p: [d.code for d in p.diagnostics] == ["ebs-io1-to-gp3"])
        seen = len(s.published)
        s.open("volumes.tf")
        taken_back = await s.wait_for(volumes, after=seen)
        assert list(taken_back.diagnostics) == []
        s.replace_all(volumes, GP3)
        fixed = await s.pull(volumes)
        assert list(fixed.items) == []
        assert list([p.diagnostics for p in s.published if p.uri == volumes][-1]) == []
