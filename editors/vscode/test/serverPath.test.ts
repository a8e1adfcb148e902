import assert from "node:assert/strict";
import { describe as group, test } from "node:test";
import {
  describe,
  expandPath,
  findOnPath,
  isAdvisorVersion,
  looksLikePython,
  type Machine,
  pipInstallCommand,
  pythonCommand,
  serverCandidates,
} from "../src/serverPath";

function linux(files: string[], extra: Partial<Machine> = {}): Machine {
  const set = new Set(files);
  return {
    platform: "linux",
    env: { PATH: "/home/u/.local/bin:/usr/local/bin:/usr/bin", HOME: "/home/u" },
    workspaceFolder: "/home/dev/infra",
    isFile: (p) => set.has(p),
    ...extra,
  };
}

function windows(files: string[]): Machine {
  const set = new Set(files.map((f) => f.toLowerCase()));
  return {
    platform: "win32",
    env: { Path: "C:\\Tools;C:\\Python312\\Scripts", PATHEXT: ".COM;.EXE;.BAT", USERPROFILE: "C:\\Users\\u" },
    workspaceFolder: "C:\\work\\infra",
    isFile: (p) => set.has(p.toLowerCase()),
  };
}

group("serverCandidates", () => {
  test("the setting wins and is the only candidate", () => {
    const m = linux(["/usr/bin/advisor"]);
    assert.deepEqual(serverCandidates({ serverPath: "/opt/advisor/bin/advisor" }, m), [
      { command: "/opt/advisor/bin/advisor", args: ["serve"], source: "setting" },
    ]);
  });

  test("a Python interpreter in the setting runs the module", () => {
    const m = linux([]);
    assert.deepEqual(serverCandidates({ serverPath: "~/venvs/iac/bin/python3.12" }, m), [
      { command: "/home/u/venvs/iac/bin/python3.12", args: ["-m", "advisor", "serve"], source: "setting" },
    ]);
  });

  test("a relative setting is resolved against the workspace folder", () => {
    const m = linux([]);
    const [c] = serverCandidates({ serverPath: ".venv/bin/advisor" }, m);
    assert.equal(c.command, "/home/dev/infra/.venv/bin/advisor");
    const [v] = serverCandidates({ serverPath: "${workspaceFolder}/tools/advisor" }, m);
    assert.equal(v.command, "/home/dev/infra/tools/advisor");
  });

  test("a blank setting is ignored", () => {
    const m = linux(["/usr/local/bin/advisor"]);
    const [first] = serverCandidates({ serverPath: "   " }, m);
    assert.equal(first.source, "path");
  });

  test("advisor on PATH comes before Python, in PATH order", () => {
    const m = linux(["/usr/bin/advisor", "/usr/local/bin/advisor"]);
    assert.deepEqual(serverCandidates({}, m), [
      { command: "/usr/local/bin/advisor", args: ["serve"], source: "path" },
      { command: "python3", args: ["-m", "advisor", "serve"], source: "python" },
    ]);
  });

  test("without advisor on PATH: the workspace's interpreter", () => {
    const m = linux([]);
    assert.deepEqual(serverCandidates({ pythonPath: "${workspaceFolder}/.venv/bin/python" }, m), [
      { command: "/home/dev/infra/.venv/bin/python", args: ["-m", "advisor", "serve"], source: "python" },
    ]);
  });

  test("the Python extension's default value means python3", () => {
    assert.equal(pythonCommand({ pythonPath: "python" }, linux([])), "python3");
    assert.equal(pythonCommand({}, linux([])), "python3");
    assert.equal(pythonCommand({}, windows([])), "python");
  });

  test("Windows: PATHEXT and Path", () => {
    const m = windows(["C:\\Python312\\Scripts\\advisor.EXE"]);
    const [first] = serverCandidates({}, m);
    assert.equal(first.command, "C:\\Python312\\Scripts\\advisor.EXE");
    assert.deepEqual(first.args, ["serve"]);
  });
});

group("helpers", () => {
  test("expandPath", () => {
    const m = linux([], { env: { HOME: "/home/u", VENV: "/srv/venv" } });
    assert.equal(expandPath("~/bin/advisor", m), "/home/u/bin/advisor");
    assert.equal(expandPath("${env:VENV}/bin/advisor", m), "/srv/venv/bin/advisor");
    assert.equal(expandPath("${userHome}/x/advisor", m), "/home/u/x/advisor");
    assert.equal(expandPath("advisor", m), "advisor", "a bare name stays a PATH lookup");
  });

  test("looksLikePython", () => {
    for (const p of ["python", "python3", "/usr/bin/python3.11", "C:\\Py\\python.exe", "pythonw.exe", "py.exe"]) {
      assert.ok(looksLikePython(p), p);
    }
    for (const p of ["advisor", "/opt/python3/bin/advisor", "pyright", "python-advisor"]) {
      assert.ok(!looksLikePython(p), p);
    }
  });

  test("findOnPath skips empty entries and misses cleanly", () => {
    const m = linux(["/usr/bin/advisor"], { env: { PATH: "::/usr/bin" } });
    assert.equal(findOnPath("advisor", m), "/usr/bin/advisor");
    assert.equal(findOnPath("nothing", m), undefined);
  });

  test("isAdvisorVersion", () => {
    assert.ok(isAdvisorVersion("advisor 0.1.0\n"));
    assert.ok(!isAdvisorVersion("/usr/bin/python3: No module named advisor"));
    assert.ok(!isAdvisorVersion(""));
  });

  test("pipInstallCommand quotes for the shell", () => {
    assert.equal(pipInstallCommand("python3", "linux"), "python3 -m pip install advisor-iac");
    assert.equal(
      pipInstallCommand("/home/u/my venv/bin/python", "darwin"),
      "'/home/u/my venv/bin/python' -m pip install advisor-iac",
    );
    assert.equal(
      pipInstallCommand("C:\\Program Files\\Python312\\python.exe", "win32"),
      '& "C:\\Program Files\\Python312\\python.exe" -m pip install advisor-iac',
    );
  });

  test("describe", () => {
    assert.equal(
      describe({ command: "/a b/python", args: ["-m", "advisor", "serve"], source: "python" }),
      '"/a b/python" -m advisor serve',
    );
  });
});
