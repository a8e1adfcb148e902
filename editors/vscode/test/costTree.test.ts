import assert from "node:assert/strict";
import { test } from "node:test";
import { type CostTree, costNodes, describeCost, money } from "../src/costTree";

const tree: CostTree = {
  monthly_cost: 3337.74,
  unknown: 1,
  findings: 6,
  roots: [
    {
      uri: "file:///w/storage",
      name: "storage",
      kind: "module",
      monthly_cost: 3018,
      unknown: 0,
      findings: 4,
      files: [
        {
          uri: "file:///w/storage/main.tf",
          name: "storage/main.tf",
          monthly_cost: 3018,
          unknown: 0,
          findings: 4,
          resources: [
            { address: "aws_ebs_volume.scratch", type: "aws_ebs_volume", line: 12, monthly_cost: 75, status: "priced", findings: 0 },
            { address: "aws_ebs_volume.ledger", type: "aws_ebs_volume", line: 20, monthly_cost: 2725, status: "priced", findings: 1 },
          ],
        },
      ],
    },
    {
      uri: "file:///w/templates/web.yaml",
      name: "templates/web.yaml",
      kind: "template",
      monthly_cost: 319.74,
      unknown: 1,
      findings: 2,
      files: [
        {
          uri: "file:///w/templates/web.yaml",
          name: "templates/web.yaml",
          monthly_cost: 319.74,
          unknown: 1,
          findings: 2,
          resources: [
            { address: "Scratch", type: "aws_ebs_volume", line: 40, monthly_cost: null, status: "unknown", findings: 1 },
            { address: "WorkerTemplate", type: "aws_launch_template", line: 21, monthly_cost: null, status: "priced where used", findings: 1 },
          ],
        },
      ],
    },
  ],
};

test("money as the server writes it", () => {
  assert.equal(money(3337.74), "$3,337.74");
  assert.equal(money(0.8), "$0.80");
  assert.equal(money(1234567), "$1,234,567.00");
});

test("workspace → root → file → resource, with the server's figures", () => {
  const top = costNodes(tree);
  assert.equal(top.description, "$3,337.74/mo, 1 with unknown price · 6 findings");
  assert.deepEqual(
    top.children.map((r) => [r.label, r.description]),
    [
      ["storage", "$3,018.00/mo · 4 findings"],
      ["templates/web.yaml", "$319.74/mo, 1 with unknown price · 2 findings"],
    ],
  );
  const [scratch, ledger] = top.children[0].children[0].children;
  assert.deepEqual([scratch.label, scratch.description, scratch.line], ["aws_ebs_volume.scratch", "$75.00/mo", 12]);
  assert.equal(ledger.description, "$2,725.00/mo · 1 finding");
  assert.equal(ledger.uri, "file:///w/storage/main.tf");
});

test("an unknown cost is said, never $0", () => {
  const [unknown, template] = costNodes(tree).children[1].children[0].children;
  assert.equal(unknown.description, "price unknown · 1 finding");
  assert.equal(template.description, "priced where used · 1 finding");
  assert.equal(describeCost(null, 0, 0, undefined, true), "price unknown");
});

test("a cancelled scan says its tree is partial", () => {
  assert.match(costNodes({ ...tree, cancelled: true }).description, /cancelled: partial/);
  assert.deepEqual(costNodes({ monthly_cost: 0, unknown: 0, findings: 0, roots: [] }).children, []);
});
