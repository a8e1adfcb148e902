import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cloudFormationPatterns,
  DEFAULT_CLOUDFORMATION_PATTERNS,
  decidedByContent,
  documentSelector,
  HEAD_CHARS,
  looksLikeTemplate,
} from "../src/selectors";

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

test("CloudFormation: every YAML and JSON document goes to the server, which decides by content", () => {
  const sel = documentSelector(DEFAULT_CLOUDFORMATION_PATTERNS);
  for (const language of ["yaml", "json", "jsonc"]) {
    assert.ok(sel.some((f) => f.language === language && f.pattern === undefined), `no ${language} selector`);
  }
  assert.ok(sel.some((f) => f.pattern === "**/*.template" && f.language === undefined));
  assert.ok(documentSelector(["stacks/**/*.cfn"]).some((f) => f.pattern === "stacks/**/*.cfn"));
});

test("templates and plans by content, other YAML and JSON not", () => {
  assert.ok(looksLikeTemplate("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"));
  assert.ok(looksLikeTemplate("Resources:\n  Web:\n    Type: AWS::EC2::Instance\n"));
  assert.ok(looksLikeTemplate('{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}'));
  assert.ok(looksLikeTemplate('{"format_version":"1.2","terraform_version":"1.9.0","planned_values":{}}'));
  assert.ok(!looksLikeTemplate("services:\n  web:\n    image: nginx\n"));
  assert.ok(!looksLikeTemplate('{"name": "x", "Resources": "none"}'));
  assert.ok(!looksLikeTemplate(`${"x: 1\n".repeat(HEAD_CHARS / 4)}AWSTemplateFormatVersion: x\n`), "only the head is read");
  assert.ok(decidedByContent("yaml", "/w/templates/web.yaml"));
  assert.ok(!decidedByContent("json", "/w/main.tf.json"));
  assert.ok(!decidedByContent("terraform", "/w/main.tf"));
});

test("a bad setting falls back or is filtered", () => {
  assert.deepEqual(cloudFormationPatterns(undefined), [...DEFAULT_CLOUDFORMATION_PATTERNS]);
  assert.deepEqual(cloudFormationPatterns("**/*.yaml"), [...DEFAULT_CLOUDFORMATION_PATTERNS]);
  assert.deepEqual(cloudFormationPatterns([" stacks/*.yaml ", 3, ""]), ["stacks/*.yaml"]);
  assert.deepEqual(cloudFormationPatterns([]), []);
});
