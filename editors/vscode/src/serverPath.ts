/**
 * Where the language server is: pure functions (no `vscode` import), unit-tested in test/.
 *
 * Order: the `advisor.serverPath` setting, else `advisor` on PATH, else a Python interpreter
 * (`python.defaultInterpreterPath`, else `python3`) running `-m advisor serve`.
 */
import * as path from "node:path";

export type ServerSource = "setting" | "path" | "python";

export interface ServerCommand {
  command: string;
  args: string[];
  source: ServerSource;
}

/** What the resolver may look at; the extension passes the real machine, tests pass a fake one. */
export interface Machine {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  workspaceFolder?: string;
  isFile(p: string): boolean;
}

export interface ServerSettings {
  /** `advisor.serverPath`. */
  serverPath?: string;
  /** `python.defaultInterpreterPath` (the Python extension's setting). */
  pythonPath?: string;
}

export const PACKAGE_NAME = "advisor-iac";
export const SERVE_ARGS = ["serve"];
export const MODULE_SERVE_ARGS = ["-m", "advisor", "serve"];

/** `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}` in a path setting, made absolute. */
export function expandPath(raw: string, machine: Machine): string {
  const home = machine.env.HOME ?? machine.env.USERPROFILE ?? "";
  let p = raw.trim();
  p = p.replace(/\$\{userHome\}/g, home);
  p = p.replace(/\$\{workspaceFolder\}/g, machine.workspaceFolder ?? "");
  p = p.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => machine.env[name] ?? "");
  if (p === "~" || p.startsWith("~/") || p.startsWith("~\\")) {
    p = home + p.slice(1);
  }
  const paths = pathFor(machine.platform);
  if (hasSeparator(p, machine.platform) && !paths.isAbsolute(p) && machine.workspaceFolder) {
    p = paths.resolve(machine.workspaceFolder, p);
  }
  return p;
}

function pathFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === "win32" ? path.win32 : path.posix;
}

function hasSeparator(p: string, platform: NodeJS.Platform): boolean {
  return p.includes("/") || (platform === "win32" && p.includes("\\"));
}

/** True for `python`, `python3`, `python3.12`, `pythonw.exe`, `py.exe` …: run as `-m advisor serve`. */
export function looksLikePython(p: string): boolean {
  const base = p.split(/[\\/]/).pop() ?? p;
  return /^(python(\d+(\.\d+)*)?w?|py)(\.exe)?$/i.test(base);
}

/** The full path of `name` on PATH (with PATHEXT on Windows), or undefined. */
export function findOnPath(name: string, machine: Machine): string | undefined {
  const paths = pathFor(machine.platform);
  const pathVar = machine.env.PATH ?? machine.env.Path ?? "";
  const delimiter = machine.platform === "win32" ? ";" : ":";
  const exts =
    machine.platform === "win32"
      ? ["", ...(machine.env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)]
      : [""];
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of exts) {
      const candidate = paths.join(dir, name + ext);
      if (machine.isFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** The Python interpreter to use when `advisor` is not on PATH. */
export function pythonCommand(settings: ServerSettings, machine: Machine): string {
  const configured = settings.pythonPath?.trim();
  // "python" is the Python extension's default value: it says nothing about this workspace.
  if (configured && configured !== "python") {
    return expandPath(configured, machine);
  }
  return machine.platform === "win32" ? "python" : "python3";
}

/**
 * The ways to start the server, best first. An explicit `advisor.serverPath` is the only candidate:
 * a wrong setting is reported, not silently replaced by another server.
 */
export function serverCandidates(settings: ServerSettings, machine: Machine): ServerCommand[] {
  const configured = settings.serverPath?.trim();
  if (configured) {
    const command = expandPath(configured, machine);
    const args = looksLikePython(command) ? MODULE_SERVE_ARGS : SERVE_ARGS;
    return [{ command, args: [...args], source: "setting" }];
  }
  const out: ServerCommand[] = [];
  const onPath = findOnPath("advisor", machine);
  if (onPath) {
    out.push({ command: onPath, args: [...SERVE_ARGS], source: "path" });
  }
  out.push({ command: pythonCommand(settings, machine), args: [...MODULE_SERVE_ARGS], source: "python" });
  return out;
}

/** True when `advisor --version` (or `python -m advisor --version`) printed this project's banner. */
export function isAdvisorVersion(output: string): boolean {
  return /^advisor \d+\.\d+/m.test(output.trim());
}

/** A shell line that installs the server with the given interpreter, quoted for the terminal's shell. */
export function pipInstallCommand(python: string, platform: NodeJS.Platform): string {
  const args = `-m pip install ${PACKAGE_NAME}`;
  if (platform === "win32") {
    // PowerShell, the default Windows terminal: `&` runs a quoted path.
    return /[\s&()'"]/.test(python) ? `& "${python}" ${args}` : `${python} ${args}`;
  }
  return /^[A-Za-z0-9_./+=:@%-]+$/.test(python) ? `${python} ${args}` : `'${python.replace(/'/g, "'\\''")}' ${args}`;
}

/** One line for logs and messages: the command as it would be typed. */
export function describe(cmd: ServerCommand): string {
  return [cmd.command, ...cmd.args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ");
}
