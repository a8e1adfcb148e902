/**
 * Which documents the server gets: Terraform by language id or file name; every YAML and JSON
 * document, which the server analyses only when its content is a CloudFormation template (or a
 * Terraform plan export) and otherwise leaves alone; and files matching the user's extra patterns.
 * `looksLikeTemplate` is the same cheap content test, used here to decide whether to start the server
 * and show the status bar item. Pure: no `vscode`.
 */

export interface DocumentFilter {
  scheme: string;
  language?: string;
  pattern?: string;
}

/** Files sent whatever language the editor gave them (YAML and JSON are sent anyway). */
export const DEFAULT_CLOUDFORMATION_PATTERNS: readonly string[] = ["**/*.template"];

/** The languages whose documents may be templates: the server decides by their content. */
export const TEMPLATE_LANGUAGES: readonly string[] = ["yaml", "json", "jsonc"];

/** How much of a document the content test reads (templates say what they are early). */
export const HEAD_CHARS = 256 * 1024;

const AWS_TYPE = /AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/;

/**
 * Whether a text is a CloudFormation template (it names its format version or declares AWS:: resource
 * types) or a Terraform plan/state export (a JSON object that starts with its format and Terraform
 * versions): the server's own test, on the head of the text.
 */
export function looksLikeTemplate(text: string): boolean {
  const head = text.length > HEAD_CHARS ? text.slice(0, HEAD_CHARS) : text;
  if (head.includes("AWSTemplateFormatVersion")) {
    return true;
  }
  if (head.includes("Resources") && AWS_TYPE.test(head)) {
    return true;
  }
  const start = head.slice(0, 4096);
  return /^\s*\{/.test(start) && start.includes('"format_version"') && start.includes('"terraform_version"');
}

/** Terraform files by language id (this extension or HashiCorp's) and by file name. */
export const TERRAFORM_FILTERS: readonly DocumentFilter[] = [
  { scheme: "file", language: "terraform" },
  { scheme: "file", language: "terraform-vars" },
  { scheme: "file", pattern: "**/*.tf" },
  { scheme: "file", pattern: "**/*.tfvars" },
  { scheme: "file", language: "json", pattern: "**/*.tf.json" },
  { scheme: "file", language: "json", pattern: "**/*.tfvars.json" },
];

/** The project configuration: the server reports errors in it and re-analyses when it changes. */
export const CONFIG_FILTER: DocumentFilter = { scheme: "file", pattern: "**/.advisor.toml" };

/** Only well-formed patterns are kept; a bad setting value never stops the client from starting. */
export function cloudFormationPatterns(setting: unknown): string[] {
  if (!Array.isArray(setting)) {
    return [...DEFAULT_CLOUDFORMATION_PATTERNS];
  }
  return setting.filter((p): p is string => typeof p === "string" && p.trim() !== "").map((p) => p.trim());
}

export function documentSelector(cfnPatterns: readonly string[]): DocumentFilter[] {
  const templates: DocumentFilter[] = TEMPLATE_LANGUAGES.map((language) => ({ scheme: "file", language }));
  const named: DocumentFilter[] = cfnPatterns.map((pattern) => ({ scheme: "file", pattern }));
  return [...TERRAFORM_FILTERS, CONFIG_FILTER, ...templates, ...named];
}

/** Whether a document is a candidate that its content decides (YAML or JSON, not Terraform's JSON). */
export function decidedByContent(languageId: string, fileName: string): boolean {
  return TEMPLATE_LANGUAGES.includes(languageId) && !/\.(tf|tfvars)\.json$/.test(fileName);
}
