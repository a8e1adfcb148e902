/**
 * Which documents the server gets: Terraform by language id or file name, CloudFormation by
 * pattern (YAML and JSON files are only templates when their names say so). Pure: no `vscode`.
 */

export interface DocumentFilter {
  scheme: string;
  language?: string;
  pattern?: string;
}

export const DEFAULT_CLOUDFORMATION_PATTERNS: readonly string[] = [
  "**/*.template",
  "**/*.template.{yaml,yml,json}",
  "**/*.cfn.{yaml,yml,json}",
  "**/template.{yaml,yml}",
  "**/cloudformation/**/*.{yaml,yml,json}",
  "**/cfn/**/*.{yaml,yml,json}",
];

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
  const cfn: DocumentFilter[] = [];
  for (const pattern of cfnPatterns) {
    if (/\.ya?ml(\}|$)|\{[^}]*ya?ml/.test(pattern)) {
      cfn.push({ scheme: "file", language: "yaml", pattern });
    }
    if (/\.json(\}|$)|\{[^}]*json/.test(pattern)) {
      cfn.push({ scheme: "file", language: "json", pattern });
    }
    if (!/ya?ml|json/.test(pattern)) {
      // `*.template` and the like: whatever language the editor guessed for it
      cfn.push({ scheme: "file", pattern });
    }
  }
  return [...TERRAFORM_FILTERS, CONFIG_FILTER, ...cfn];
}
