import assert from "node:assert/strict";
import { test } from "node:test";
import { cloudFormationPatterns, DEFAULT_CLOUDFORMATION_PATTERNS, documentSelector } from "../src/selectors";

test("Terraform files by language and by pattern", () => {
  const sel = documentSelector([]);
  for (const want of [
    { scheme: "file", language: "terraform" },
    { scheme: "file", language: "terraform-vars" },
    { scheme: "file", pattern: "**/*.tf" },
    { scheme: "file", pattern: "**/*.tfvars" },
    { scheme: "file", language: "json", pattern: "**/*.tf.json" },
    { scheme: "file", pattern: "**/.advisor.toml" },
  ]) {
    assert.ok(
      sel.some((f) => JSON.stringify(f) === JSON.stringify(want)),
      `missing ${JSON.stringify(want)}`,
    );
  }
});

test("CloudFormation: YAML and JSON only through patterns", () => {
  const sel = documentSelector(DEFAULT_CLOUDFORMATION_PATTERNS);
  const yaml = sel.filter((f) => f.language === "yaml");
  assert.ok(yaml.length > 0);
  assert.ok(yaml.every((f) => typeof f.pattern === "string"), "no selector takes every YAML file");
  assert.ok(sel.filter((f) => f.language === "json").every((f) => typeof f.pattern === "string"));
  assert.ok(sel.some((f) => f.pattern === "**/*.template" && f.language === undefined));
  assert.ok(sel.some((f) => f.language === "json" && f.pattern === "**/*.cfn.{yaml,yml,json}"));
});

test("a bad setting falls back or is filtered", () => {
  assert.deepEqual(cloudFormationPatterns(undefined), [...DEFAULT_CLOUDFORMATION_PATTERNS]);
  assert.deepEqual(cloudFormationPatterns("**/*.yaml"), [...DEFAULT_CLOUDFORMATION_PATTERNS]);
  assert.deepEqual(cloudFormationPatterns([" stacks/*.yaml ", 3, ""]), ["stacks/*.yaml"]);
  assert.deepEqual(cloudFormationPatterns([]), []);
});
