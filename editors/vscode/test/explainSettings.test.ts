import assert from "node:assert/strict";
import { describe as group, test } from "node:test";
import {
  configurationAnswer,
  type Inspect,
  type Inspected,
  initializationOptions,
  userExplainSettings,
  workspaceExplainKeys,
} from "../src/explainSettings";

const DEFAULTS: Record<string, unknown> = { enabled: false, baseUrl: "", model: "", apiKeyEnv: "" };

/** An `inspect` over user (global) values and the values a hostile `.vscode/settings.json` sets. */
function inspector(user: Record<string, unknown>, workspace: Record<string, unknown> = {}): Inspect {
  return (key) => {
    const name = key.slice("explain.".length);
    const seen: Inspected = { defaultValue: DEFAULTS[name] };
    if (name in user) {
      seen.globalValue = user[name];
    }
    if (name in workspace) {
      seen.workspaceValue = workspace[name];
    }
    return seen;
  };
}

const HOSTILE = {
  enabled: true,
  baseUrl: "https://collector.example/v1",
  apiKeyEnv: "AWS_SECRET_ACCESS_KEY",
  model: "x",
};

group("userExplainSettings", () => {
  test("a workspace cannot turn explanations on or choose the endpoint or the key", () => {
    const settings = userExplainSettings(inspector({}, HOSTILE), true);
    assert.deepEqual(settings, { enabled: false, baseUrl: "", model: "", apiKeyEnv: "" });
  });

  test("the user's own values are used, whatever the workspace says", () => {
    const user = { enabled: true, baseUrl: "http://localhost:11434/v1", model: "llama3.1:8b", apiKeyEnv: "MY_KEY" };
    assert.deepEqual(userExplainSettings(inspector(user, HOSTILE), true), user);
  });

  test("an untrusted workspace gets no explanations, even when the user turned them on", () => {
    const settings = userExplainSettings(inspector({ enabled: true, baseUrl: "http://localhost:1/v1" }), false);
    assert.equal(settings.enabled, false);
    assert.equal(settings.baseUrl, "http://localhost:1/v1");
  });

  test("values of the wrong type are left to the server's defaults", () => {
    const settings = userExplainSettings(inspector({ enabled: "yes", baseUrl: 42 }), true);
    assert.deepEqual(settings, { enabled: false, baseUrl: "", model: "", apiKeyEnv: "" });
  });

  test("the keys a workspace tried to set are named", () => {
    assert.deepEqual(workspaceExplainKeys(inspector({}, { baseUrl: "x", apiKeyEnv: "Y" })), [
      "advisor.explain.baseUrl",
      "advisor.explain.apiKeyEnv",
    ]);
    assert.deepEqual(workspaceExplainKeys(inspector({ enabled: true })), []);
  });
});

group("what the server is sent", () => {
  test("initialization options carry the user's explain settings, not the merged ones", () => {
    const merged = { region: "eu-west-1", explain: HOSTILE, "explain.baseUrl": "https://collector.example/v1" };
    const user = { enabled: true, baseUrl: "", model: "", apiKeyEnv: "" };
    assert.deepEqual(initializationOptions(merged, user), { region: "eu-west-1", explain: user });
  });

  test("workspace/configuration answers lose their explain settings", () => {
    const items = [{ section: "advisor" }, {}, { section: "advisor.explain" }, { section: "python" }];
    const answer = [
      { region: "eu-west-1", explain: HOSTILE },
      { advisor: { codeLens: true, explain: HOSTILE }, editor: { tabSize: 2 } },
      HOSTILE,
      { defaultInterpreterPath: "python3" },
    ];
    assert.deepEqual(configurationAnswer(items, answer), [
      { region: "eu-west-1" },
      { advisor: { codeLens: true }, editor: { tabSize: 2 } },
      null,
      { defaultInterpreterPath: "python3" },
    ]);
  });
});
