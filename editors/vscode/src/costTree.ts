/**
 * The workspace cost tree (the server's `advisor/costTree` answer) as nodes for a tree view:
 * workspace → root module or template → file → resource, each with its monthly cost and finding
 * count. Pure: no `vscode`, so what the view shows is tested directly.
 */

export interface CostTreeResource {
  address: string;
  type: string;
  line: number;
  monthly_cost: number | null;
  status: string;
  findings: number;
}

export interface CostTreeFile {
  uri: string;
  name: string;
  monthly_cost: number;
  unknown: number;
  findings: number;
  resources: CostTreeResource[];
}

export interface CostTreeRoot {
  uri: string;
  name: string;
  kind: string;
  monthly_cost: number;
  unknown: number;
  findings: number;
  files: CostTreeFile[];
}

export interface CostTree {
  monthly_cost: number;
  unknown: number;
  findings: number;
  roots: CostTreeRoot[];
  cancelled?: boolean;
  errors?: string[];
}

export interface CostNode {
  label: string;
  /** "$22.00/mo · 1 finding": shown after the label. */
  description: string;
  kind: "workspace" | "root" | "file" | "resource";
  /** Where a click leads (a file, at a 0-based line), if anywhere. */
  uri?: string;
  line?: number;
  children: CostNode[];
}

/** "$1,234.56", as the server writes dollars. */
export function money(x: number): string {
  return `$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function findingsText(n: number): string {
  return `${n} finding${n === 1 ? "" : "s"}`;
}

/** "$280.97/mo, 1 with unknown price · 3 findings"; an unknown cost is said, never $0. */
export function describeCost(
  monthly: number | null | undefined,
  unknown: number,
  findings: number,
  status?: string,
  resource = false,
): string {
  let text: string;
  if (typeof monthly === "number") {
    text = `${money(monthly)}/mo`;
  } else if (status && status !== "unknown") {
    text = status;
  } else {
    text = "price unknown";
  }
  if (unknown > 0) {
    text += `, ${unknown} with unknown price`;
  }
  if (!resource || findings > 0) {
    text += ` · ${findingsText(findings)}`;
  }
  return text;
}

export function costNodes(tree: CostTree): CostNode {
  const roots = (tree.roots ?? []).map(
    (root): CostNode => ({
      label: root.name,
      description: describeCost(root.monthly_cost, root.unknown ?? 0, root.findings ?? 0),
      kind: "root",
      uri: root.kind === "template" ? root.uri : undefined,
      line: root.kind === "template" ? 0 : undefined,
      children: (root.files ?? []).map(
        (file): CostNode => ({
          label: file.name,
          description: describeCost(file.monthly_cost, file.unknown ?? 0, file.findings ?? 0),
          kind: "file",
          uri: file.uri,
          line: 0,
          children: (file.resources ?? []).map(
            (r): CostNode => ({
              label: r.address,
              description: describeCost(r.monthly_cost, 0, r.findings ?? 0, r.status, true),
              kind: "resource",
              uri: file.uri,
              line: r.line,
              children: [],
            }),
          ),
        }),
      ),
    }),
  );
  let description = describeCost(tree.monthly_cost, tree.unknown ?? 0, tree.findings ?? 0);
  if (tree.cancelled) {
    description += " (cancelled: partial)";
  }
  return { label: "Workspace", description, kind: "workspace", children: roots };
}
