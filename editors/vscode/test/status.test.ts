import assert from "node:assert/strict";
import { test } from "node:test";
import { fileTotal, statusText, statusTooltip } from "../src/status";

const at = (line: number, title: string) => ({ range: { start: { line } }, command: { title, command: "" } });

test("the file total is the lens on line 0", () => {
  const total = fileTotal([
    at(0, "Advisor: $3,655.50/mo in this file (5 resources)"),
    at(12, "$712.50/mo"),
  ]);
  assert.deepEqual(total, {
    amount: "$3,655.50",
    title: "Advisor: $3,655.50/mo in this file (5 resources)",
    partial: false,
  });
  assert.equal(statusText(total!), "$(graph) $3,655.50/mo");
  assert.match(statusTooltip(total!), /^Advisor: \$3,655\.50\/mo in this file \(5 resources\)/);
});

test("a resource block on line 0 is not the total", () => {
  assert.equal(fileTotal([at(0, "$71.68/mo")]), undefined);
  const total = fileTotal([at(0, "$71.68/mo"), at(0, "Advisor: $71.68/mo in this file (1 resource)")]);
  assert.equal(total?.amount, "$71.68");
});

test("other wordings of a total are accepted", () => {
  assert.equal(fileTotal([at(0, "Total $12.00/mo")])?.amount, "$12.00");
});

test("unknown prices make the total partial", () => {
  const total = fileTotal([at(0, "Advisor: $10.00/mo in this file (3 resources), 1 with unknown price")]);
  assert.equal(total?.partial, true);
  assert.equal(statusText(total!), "$(graph) $10.00/mo+");
});

test("no lenses, null, or lenses without commands", () => {
  assert.equal(fileTotal(null), undefined);
  assert.equal(fileTotal([]), undefined);
  assert.equal(fileTotal([{ range: { start: { line: 0 } } }]), undefined);
});
