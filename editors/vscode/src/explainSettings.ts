/**
 * The explain settings the extension hands to the server: the user's own, never a workspace's.
 *
 * `advisor.explain.*` decides where code is sent (`baseUrl`, `model`), which secret goes with it
 * (`apiKeyEnv` names an environment variable of the server process) and whether anything is sent at all
 * (`enabled`). A repository's `.vscode/settings.json` is written by whoever wrote the repository, so these
 * settings are read from the user (global) settings only, and explanations are off in an untrusted
 * workspace. The server reads them from the initialization options only and ignores them in
 * `workspace/configuration` answers (the protocol cannot say whose those are); this module builds both.
 * Nothing here imports `vscode`, so it is unit-tested with plain objects.
 */

/** The keys under `advisor.explain`, with the server's names. */
export const EXPLAIN_KEYS = ["enabled", "baseUrl", "model", "apiKeyEnv"] as const;
export type ExplainKey = (typeof EXPLAIN_KEYS)[number];

/** What `WorkspaceConfiguration.inspect` reports for one setting (the parts used here). */
export interface Inspected {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

export type Inspect = (key: `explain.${ExplainKey}`) => Inspected | undefined;

export interface ExplainSettings {
  enabled: boolean;
  baseUrl: string;
  model: string;
  apiKeyEnv: string;
}

/** The user's explain settings: global values (else the defaults); off when the workspace is not trusted. */
export function userExplainSettings(inspect: Inspect, trusted: boolean): ExplainSettings {
  const user = (key: ExplainKey): unknown => {
    const seen = inspect(`explain.${key}`);
    return seen?.globalValue !== undefined ? seen.globalValue : seen?.defaultValue;
  };
  const text = (key: ExplainKey): string => {
    const value = user(key);
    return typeof value === "string" ? value : "";
  };
  return {
    enabled: trusted && user("enabled") === true,
    baseUrl: text("baseUrl"),
    model: text("model"),
    apiKeyEnv: text("apiKeyEnv"),
  };
}

/** Explain settings a workspace or folder tried to set (they are not used), for one log line. */
export function workspaceExplainKeys(inspect: Inspect): string[] {
  return EXPLAIN_KEYS.filter((key) => {
    const seen = inspect(`explain.${key}`);
    return seen?.workspaceValue !== undefined || seen?.workspaceFolderValue !== undefined;
  }).map((key) => `advisor.explain.${key}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The "advisor" section without its `explain` part (nested or dotted keys). */
export function withoutExplain(section: unknown): unknown {
  if (!isObject(section)) {
    return section;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    if (key !== "explain" && !key.startsWith("explain.")) {
      out[key] = value;
    }
  }
  return out;
}

/** The initialization options: the section as VS Code merged it, with the user's explain settings only. */
export function initializationOptions(section: unknown, explain: ExplainSettings): Record<string, unknown> {
  const rest = withoutExplain(section);
  return { ...(isObject(rest) ? rest : {}), explain: { ...explain } };
}

/**
 * A `workspace/configuration` answer without the explain settings of any "advisor" item (whole-tree
 * items, with no section, lose `advisor.explain` too): the server would ignore them anyway.
 */
export function configurationAnswer(items: readonly { section?: string }[], answer: unknown[]): unknown[] {
  return answer.map((value, i) => {
    const section = items[i]?.section;
    if (section === "advisor") {
      return withoutExplain(value);
    }
    if (section === undefined || section === "") {
      return isObject(value) && "advisor" in value ? { ...value, advisor: withoutExplain(value.advisor) } : value;
    }
    if (section === "advisor.explain" || section.startsWith("advisor.explain.")) {
      return null;
    }
    return value;
  });
}
