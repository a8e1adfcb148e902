/**
 * The status bar total, read from the server's file-total code lens (the lens on line 0,
 * "Advisor: $1,234.56/mo in this file (5 resources)"). Pure: no `vscode`.
 */

export interface LensLike {
  range: { start: { line: number } };
  command?: { title: string } | null;
}

export interface FileTotal {
  /** "$1,234.56" */
  amount: string;
  /** The lens title as the server wrote it, for the tooltip. */
  title: string;
  /** True when some resource in the file has no known price (the total is a lower bound). */
  partial: boolean;
}

const MONEY = /(-?\$[0-9][0-9,]*(?:\.[0-9]+)?)\s*\/\s*mo\b/;

/** The file total among a document's code lenses, or undefined when the server sent none. */
export function fileTotal(lenses: readonly LensLike[] | null | undefined): FileTotal | undefined {
  for (const lens of lenses ?? []) {
    const title = lens.command?.title;
    if (lens.range.start.line !== 0 || !title) {
      continue;
    }
    if (!/^Advisor:|\btotal\b|in this file/i.test(title)) {
      continue; // a resource block that happens to start on line 0
    }
    const money = MONEY.exec(title);
    if (money) {
      return { amount: money[1], title, partial: /unknown price|price unknown/i.test(title) };
    }
  }
  return undefined;
}

/** The status bar item's text: a codicon, the amount and a marker when prices are missing. */
export function statusText(total: FileTotal): string {
  return `$(graph) ${total.amount}/mo${total.partial ? "+" : ""}`;
}

export function statusTooltip(total: FileTotal): string {
  const title = total.title.replace(/^Advisor:\s*/, "");
  return `Advisor: ${title}\nClick to scan the workspace.`;
}
