/**
 * The VS Code client of `advisor serve`: finds the server, starts it for Terraform and CloudFormation
 * files, passes the "advisor" settings, shows the file's monthly total in the status bar, and restarts
 * the server on demand. Everything the editor shows (squiggles, quick fixes, hover, code lens) comes
 * from the server through vscode-languageclient.
 *
 * Workspace settings are written by whoever wrote the repository: the explain settings are taken from
 * the user's settings only (see explainSettings.ts), and in an untrusted workspace (Restricted Mode) there
 * are no explanations and the server is never a program the workspace names.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as vscode from "vscode";
import {
  CodeLensRequest,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";
import {
  configurationAnswer,
  initializationOptions,
  userExplainSettings,
  workspaceExplainKeys,
} from "./explainSettings";
import {
  cloudFormationPatterns,
  decidedByContent,
  type DocumentFilter,
  documentSelector,
  HEAD_CHARS,
  looksLikeTemplate,
} from "./selectors";
import {
  describe,
  isAdvisorVersion,
  type Machine,
  pipInstallCommand,
  pythonCommand,
  type ServerCommand,
  serverCandidates,
  type ServerSettings,
} from "./serverPath";
import { type CostNode, type CostTree, costNodes } from "./costTree";
import { fileTotal, type LensLike, statusText, statusTooltip } from "./status";

const CLIENT_ID = "advisor";
const CLIENT_NAME = "Advisor";
const PROBE_TIMEOUT_MS = 20_000;
// The explain settings reach the server only in its initialization options: a change restarts it.
const RESTART_SETTINGS = [
  "advisor.serverPath",
  "python.defaultInterpreterPath",
  "advisor.cloudFormation.filePatterns",
  "advisor.explain",
];

type Resolved = { ok: true; server: ServerCommand } | { ok: false; message: string; python: string };

export class AdvisorExtension implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private selector: DocumentFilter[] = [];
  private queue: Promise<void> = Promise.resolve();
  private readonly status: StatusTotal;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.status = new StatusTotal(() => this.client, () => this.selector);
    const costs = new CostTreeView(() => this.client);
    this.disposables.push(
      this.status,
      vscode.window.registerTreeDataProvider("advisor.costs", costs),
      vscode.commands.registerCommand("advisor.showCosts", () => costs.refresh()),
      vscode.commands.registerCommand("advisor.restartServer", () => this.restart()),
      vscode.commands.registerCommand("advisor.installServer", () => this.install()),
      vscode.commands.registerCommand("advisor.showOutput", () => this.output.show(true)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.output.info("the workspace is trusted now: restarting with the user's explain settings");
        void this.restart();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) {
          this.output.info("server settings changed: restarting");
          void this.restart();
        } else if (e.affectsConfiguration("advisor")) {
          this.status.schedule(0);
        }
      }),
    );
  }

  /** Start, stop and restart run one after another, never interleaved. */
  private serial(job: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(job, job);
    return this.queue;
  }

  start(): Promise<void> {
    return this.serial(() => this.startNow());
  }

  /**
   * Starts the server once there is something for it: a Terraform or config file in the workspace,
   * or an open document it analyses. The extension is activated by any YAML or JSON document too,
   * and most of those are not templates: then it waits for one that is.
   */
  async startWhenNeeded(): Promise<void> {
    const selector = documentSelector(
      cloudFormationPatterns(vscode.workspace.getConfiguration("advisor").get("cloudFormation.filePatterns")),
    );
    if (vscode.workspace.textDocuments.some((d) => isIacDocument(d, selector)) || (await workspaceHasIac())) {
      return this.start();
    }
    this.output.info("no Terraform or CloudFormation open yet: the server starts with the first one");
    const waiting = vscode.workspace.onDidOpenTextDocument((doc) => {
      if (isIacDocument(doc, selector)) {
        waiting.dispose();
        void this.start();
      }
    });
    this.disposables.push(waiting);
  }

  restart(): Promise<void> {
    return this.serial(async () => {
      await this.stopNow();
      await this.startNow();
    });
  }

  stop(): Promise<void> {
    return this.serial(() => this.stopNow());
  }

  private async startNow(): Promise<void> {
    const resolved = await resolveServer(this.output);
    if (!resolved.ok) {
      this.status.showProblem("Advisor: language server not found");
      void this.offerInstall(resolved.message, resolved.python);
      return;
    }
    const server = resolved.server;
    this.output.info(`starting the server: ${describe(server)} (from ${server.source})`);
    const config = vscode.workspace.getConfiguration("advisor");
    this.selector = documentSelector(cloudFormationPatterns(config.get("cloudFormation.filePatterns")));
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const serverOptions: ServerOptions = {
      command: server.command,
      args: server.args,
      options: { cwd: folder, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    const inspect = (key: string) => config.inspect(key);
    const explain = userExplainSettings(inspect, vscode.workspace.isTrusted);
    const ignored = workspaceExplainKeys(inspect);
    if (ignored.length > 0) {
      const names = ignored.join(", ");
      this.output.warn(`${names} in the workspace settings ignored: explain settings come from your user settings only`);
    }
    if (!vscode.workspace.isTrusted) {
      this.output.info("Restricted Mode: no explanations until the workspace is trusted");
    }
    const clientOptions: LanguageClientOptions = {
      documentSelector: this.selector,
      synchronize: { configurationSection: "advisor" },
      initializationOptions: initializationOptions(plain(config), explain),
      middleware: {
        // the status bar shows the very lenses the editor shows: the same analysis, at the same time
        provideCodeLenses: async (document, token, next) => {
          const lenses = await next(document, token);
          this.status.fromLenses(document, lenses);
          return lenses;
        },
        workspace: {
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            return Array.isArray(answer) ? configurationAnswer(params.items, answer) : answer;
          },
        },
      },
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      diagnosticCollectionName: "advisor",
      markdown: { isTrusted: false, supportHtml: false },
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped && this.client === client) {
        this.status.showProblem("Advisor: language server stopped");
      } else if (e.newState === State.Running) {
        this.status.schedule(0);
      }
    });
    try {
      await client.start();
      this.output.info("server running");
    } catch (err) {
      this.output.error(`the server did not start: ${String(err)}`);
      this.status.showProblem("Advisor: language server failed to start");
      const choice = await vscode.window.showErrorMessage(
        `Advisor: could not start \`${describe(server)}\`: ${errorText(err)}`,
        "Show Output",
        "Set Server Path…",
      );
      if (choice === "Show Output") {
        this.output.show(true);
      } else if (choice === "Set Server Path…") {
        void vscode.commands.executeCommand("workbench.action.openSettings", "advisor.serverPath");
      }
    }
  }

  private async stopNow(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.status.hide();
    if (client === undefined) {
      return;
    }
    try {
      if (client.state !== State.Stopped) {
        await client.stop(5_000);
      }
    } catch (err) {
      this.output.warn(`stopping the server: ${String(err)}`);
    }
    try {
      await client.dispose(2_000);
    } catch {
      // already stopped
    }
  }

  private async offerInstall(message: string, python: string): Promise<void> {
    this.output.warn(message);
    const install = "Install with pip";
    const setPath = "Set Server Path…";
    const choice = await vscode.window.showWarningMessage(`Advisor: ${message}`, install, setPath);
    if (choice === install) {
      await this.install(python);
    } else if (choice === setPath) {
      await vscode.commands.executeCommand("workbench.action.openSettings", "advisor.serverPath");
    }
  }

  /** Runs pip in a terminal the user can watch, then offers to start the server. */
  async install(python?: string): Promise<void> {
    const interpreter = python ?? pythonCommand(readServerSettings(), machine());
    const line = pipInstallCommand(interpreter, process.platform);
    const terminal = vscode.window.createTerminal({ name: "Advisor: install" });
    terminal.show();
    terminal.sendText(line, true);
    this.output.info(`install: ${line}`);
    const start = "Start Advisor";
    const choice = await vscode.window.showInformationMessage(
      `Advisor: installing with \`${line}\`. Start the server when pip has finished.`,
      start,
    );
    if (choice === start) {
      await this.restart();
    }
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

/**
 * The Explorer's *Advisor: Costs* view: the server's workspace cost tree (`advisor/costTree`, the
 * scan's own analyses and totals), fetched when asked for; a click opens the file at the resource.
 */
class CostTreeView implements vscode.TreeDataProvider<CostNode> {
  private top: CostNode | undefined;
  private readonly changed = new vscode.EventEmitter<CostNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly client: () => LanguageClient | undefined) {}

  async refresh(): Promise<void> {
    const client = this.client();
    if (client === undefined || !client.isRunning()) {
      void vscode.window.showWarningMessage("Advisor: the language server is not running.");
      return;
    }
    await vscode.window.withProgress(
      { location: { viewId: "advisor.costs" }, title: "Advisor: costing the workspace" },
      async () => {
        const tree = await client.sendRequest<CostTree>("advisor/costTree", {});
        this.top = costNodes(tree);
        this.changed.fire(undefined);
      },
    );
    await vscode.commands.executeCommand("advisor.costs.focus");
  }

  getTreeItem(node: CostNode): vscode.TreeItem {
    const state =
      node.children.length === 0
        ? vscode.TreeItemCollapsibleState.None
        : node.kind === "workspace" || node.kind === "root"
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(node.label, state);
    item.description = node.description;
    item.tooltip = `${node.label}: ${node.description}`;
    item.contextValue = node.kind;
    if (node.uri !== undefined) {
      const at = new vscode.Range(node.line ?? 0, 0, node.line ?? 0, 0);
      item.command = {
        command: "vscode.open",
        title: "Open",
        arguments: [vscode.Uri.parse(node.uri), { selection: at }],
      };
    }
    return item;
  }

  getChildren(node?: CostNode): CostNode[] {
    if (node !== undefined) {
      return node.children;
    }
    return this.top === undefined ? [] : [this.top];
  }
}

/** The status bar item with the active file's monthly total. */
class StatusTotal implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private cancel: vscode.CancellationTokenSource | undefined;

  constructor(
    private readonly client: () => LanguageClient | undefined,
    private readonly selector: () => DocumentFilter[],
  ) {
    this.item = vscode.window.createStatusBarItem("advisor.total", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "Advisor: monthly cost";
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      // Where the editor shows code lenses, the total follows them (`fromLenses`); elsewhere it asks
      // the server itself when the file or its diagnostics change.
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document && !lensesShown(e.document)) {
          this.schedule(debounceMs() + 250);
        }
      }),
      vscode.languages.onDidChangeDiagnostics((e) => {
        const doc = vscode.window.activeTextEditor?.document;
        if (doc && !lensesShown(doc) && e.uris.some((u) => u.toString() === doc.uri.toString())) {
          this.schedule(50);
        }
      }),
    );
  }

  schedule(delayMs: number): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
  }

  hide(): void {
    this.item.hide();
  }

  showProblem(text: string): void {
    this.item.text = "$(warning) Advisor";
    this.item.tooltip = `${text}. Click to restart it.`;
    this.item.command = "advisor.restartServer";
    this.item.show();
  }

  private async refresh(): Promise<void> {
    const seq = ++this.sequence;
    this.cancel?.cancel();
    const client = this.client();
    const doc = vscode.window.activeTextEditor?.document;
    const enabled = vscode.workspace.getConfiguration("advisor").get<boolean>("statusBar", true);
    if (!enabled || client === undefined || !client.isRunning() || doc === undefined) {
      if (client !== undefined || !enabled) {
        this.item.hide();
      }
      return;
    }
    if (!isIacDocument(doc, this.selector())) {
      this.item.hide();
      return;
    }
    const source = new vscode.CancellationTokenSource();
    this.cancel = source;
    let lenses;
    try {
      lenses = await client.sendRequest(
        CodeLensRequest.type,
        { textDocument: { uri: client.code2ProtocolConverter.asUri(doc.uri) } },
        source.token,
      );
    } catch {
      return; // cancelled by a newer refresh, or the server is restarting
    } finally {
      source.dispose();
    }
    if (seq !== this.sequence) {
      return; // a newer refresh is under way
    }
    this.show(lenses);
  }

  /** The lenses the editor just got for a document: the total of the active one is theirs. */
  fromLenses(doc: vscode.TextDocument, lenses: readonly LensLike[] | null | undefined): void {
    const enabled = vscode.workspace.getConfiguration("advisor").get<boolean>("statusBar", true);
    if (!enabled || doc !== vscode.window.activeTextEditor?.document || !isIacDocument(doc, this.selector())) {
      return;
    }
    ++this.sequence; // an own request still under way is older than these
    this.cancel?.cancel();
    this.show(lenses);
  }

  private show(lenses: readonly LensLike[] | null | undefined): void {
    const total = fileTotal(lenses);
    this.item.command = "advisor.scanWorkspace";
    if (total) {
      this.item.text = statusText(total);
      this.item.tooltip = statusTooltip(total);
    } else {
      const lensOn = vscode.workspace.getConfiguration("advisor").get<boolean>("codeLens", true);
      this.item.text = "$(graph) Advisor";
      this.item.tooltip = lensOn
        ? "Advisor: no priced resources in this file. Click to scan the workspace."
        : "Advisor: the file total needs advisor.codeLens. Click to scan the workspace.";
    }
    this.item.show();
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.cancel?.cancel();
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

/**
 * Whether the server has something to say about a document: Terraform and the config by language or
 * name, YAML and JSON when their first part is a template or plan (the server's own test), other
 * files by the user's patterns.
 */
function isIacDocument(doc: vscode.TextDocument, selector: DocumentFilter[]): boolean {
  if (doc.uri.scheme !== "file") {
    return false;
  }
  if (decidedByContent(doc.languageId, doc.fileName)) {
    return looksLikeTemplate(doc.getText(new vscode.Range(doc.positionAt(0), doc.positionAt(HEAD_CHARS))));
  }
  return vscode.languages.match(selector, doc) > 0;
}

async function workspaceHasIac(): Promise<boolean> {
  const found = await vscode.workspace.findFiles(
    "**/{*.tf,*.tfvars,*.tf.json,.advisor.toml,*.template}",
    "**/{node_modules,.terraform,.git}/**",
    1,
  );
  return found.length > 0;
}

/** Whether the editor shows code lenses for the document (and so asks the server for them). */
function lensesShown(doc: vscode.TextDocument): boolean {
  return (
    vscode.workspace.getConfiguration("editor", doc).get<boolean>("codeLens", true) &&
    vscode.workspace.getConfiguration("advisor").get<boolean>("codeLens", true)
  );
}

function debounceMs(): number {
  const value = vscode.workspace.getConfiguration("advisor").get<number>("debounceMs", 150);
  return typeof value === "number" && value >= 0 ? Math.min(value, 10_000) : 150;
}

function readServerSettings(): ServerSettings {
  return {
    serverPath: userOrTrusted<string>("advisor", "serverPath"),
    pythonPath: userOrTrusted<string>("python", "defaultInterpreterPath"),
  };
}

/**
 * A setting as VS Code merges it, or, in an untrusted workspace, the user's value only: these name the
 * program that is run, and a repository's `.vscode/settings.json` must not choose it. (VS Code already
 * drops workspace values of `advisor.serverPath` there, as package.json restricts it; the Python
 * extension's setting is not ours to restrict.)
 */
function userOrTrusted<T>(section: string, key: string): T | undefined {
  const config = vscode.workspace.getConfiguration(section);
  if (vscode.workspace.isTrusted) {
    return config.get<T>(key);
  }
  const seen = config.inspect<T>(key);
  return seen?.globalValue ?? seen?.defaultValue;
}

function machine(): Machine {
  return {
    platform: process.platform,
    env: process.env,
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    isFile: isExecutableFile,
  };
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) {
      return false;
    }
    if (process.platform !== "win32") {
      fs.accessSync(p, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/** The first candidate that is there: a configured path must exist, a Python must have the package. */
async function resolveServer(output: vscode.LogOutputChannel): Promise<Resolved> {
  const settings = readServerSettings();
  const m = machine();
  const python = pythonCommand(settings, m);
  for (const candidate of serverCandidates(settings, m)) {
    if (candidate.source === "setting") {
      const hasDir = /[\\/]/.test(candidate.command);
      if (hasDir && !isExecutableFile(candidate.command)) {
        const message = `advisor.serverPath is ${candidate.command}, which is not an executable file.`;
        return { ok: false, message, python };
      }
      return { ok: true, server: candidate };
    }
    if (candidate.source === "path") {
      return { ok: true, server: candidate };
    }
    const printed = await run(candidate.command, ["-m", "advisor", "--version"]);
    output.info(`${candidate.command} -m advisor --version: ${printed.trim() || "(nothing)"}`);
    if (isAdvisorVersion(printed)) {
      return { ok: true, server: candidate };
    }
  }
  const message = `the language server is not installed: no \`advisor\` on PATH, and \`${python} -m advisor\` is not available.`;
  return { ok: false, message, python };
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: PROBE_TIMEOUT_MS, windowsHide: true }, (err, stdout, stderr) => {
      resolve(err ? `${String(stdout)}${String(stderr)}`.slice(0, 500) || String(err) : String(stdout));
    });
  });
}

function plain(config: vscode.WorkspaceConfiguration): unknown {
  try {
    return JSON.parse(JSON.stringify(config)) as unknown;
  } catch {
    return {};
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

let extension: AdvisorExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  context.subscriptions.push(output);
  extension = new AdvisorExtension(output);
  context.subscriptions.push(extension);
  await extension.startWhenNeeded();
}

export async function deactivate(): Promise<void> {
  await extension?.stop();
  extension = undefined;
}
