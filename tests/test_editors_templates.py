"""Editor configuration files: the JetBrains (LSP4IJ) template, the VS Code manifest and the Helix
languages.toml parse, start `advisor serve`, cover Terraform and CloudFormation files, and carry
settings the server accepts without complaint."""

from __future__ import annotations

import json
import re
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from advisor.lsp.settings import ClientSettings, merge, parse_settings
from advisor.rules.engine import known_rule_ids

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EDITORS = Path(__file__).resolve().parent.parent / "editors"
JETBRAINS = EDITORS / "jetbrains" / "advisor"
VSCODE = EDITORS / "vscode"
HELIX = EDITORS / "helix" / "languages.toml"

# the settings the server reads (server/lsp/settings.py), in the dotted form editors write them
SERVER_SETTINGS = {
    "advisor.region",
    "advisor.rules.disable",
    "advisor.rules.severity",
    "advisor.debounceMs",
    "advisor.inlayHints",
    "advisor.codeLens",
    "advisor.usageFile",
    "advisor.explain.enabled",
}
TERRAFORM_FILES = ["main.tf", "terraform.tfvars", "main.tf.json", "prod.tfvars.json"]
OTHER_FILES = ["docker-compose.yaml", "package.json", "values.yml"]


def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def expand(dotted: dict[str, Any]) -> dict[str, Any]:
    """{"advisor.rules.disable": []} -> {"advisor": {"rules": {"disable": []}}} (what LSP4IJ sends)."""
    out: dict[str, Any] = {}
    for key, value in dotted.items():
        node = out
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def accepted(section: Any) -> ClientSettings:
    parsed = parse_settings(merge(section), known_rule_ids())
    assert parsed.problems == []
    return parsed.settings


# -- JetBrains / LSP4IJ ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    data = load_json(JETBRAINS / "template.json")
    assert isinstance(data, dict)
    return data


def template_patterns(template: dict[str, Any]) -> list[str]:
    return [p for m in template["fileTypeMappings"] for p in m["fileType"].get("patterns", [])]


def test_jetbrains_template_identity_and_command(template: dict[str, Any]) -> None:
    assert template["id"] == "advisor"
    assert template["name"].startswith("Advisor")
    args = template["programArgs"]
    assert args["default"] == "advisor serve"
    assert all(value.split()[-1] == "serve" for value in args.values())
    assert template["expandConfiguration"] is True


def test_jetbrains_template_maps_terraform_and_cloudformation(template: dict[str, Any]) -> None:
    patterns = template_patterns(template)
    for required in ("*.tf", "*.tfvars", "*.tf.json"):
        assert required in patterns
    for name in [*TERRAFORM_FILES, "network.template", ".advisor.toml"]:
        assert any(fnmatch(name, p) for p in patterns), name
    # YAML and JSON by file type: the server recognises templates by content and says nothing else
    by_type = {m["fileType"].get("name"): m["languageId"] for m in template["fileTypeMappings"]}
    assert by_type.get("YAML") == "yaml" and by_type.get("JSON") == "json"
    ids = {m["languageId"] for m in template["fileTypeMappings"]}
    assert {"terraform", "terraform-vars", "json", "yaml"} <= ids


def test_jetbrains_settings_match_schema_and_server() -> None:
    settings = load_json(JETBRAINS / "settings.json")
    schema = load_json(JETBRAINS / "settings.schema.json")
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(settings, schema)
    assert set(settings) == set(schema["properties"]) == SERVER_SETTINGS
    assert accepted(expand(settings)) == ClientSettings()
    assert load_json(JETBRAINS / "initializationOptions.json") == {}
    # the schema rejects what the server would reject
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"advisor.rules.severity": {"lambda-arm64": "loud"}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"advisor.debounceMs": -1}, schema)


def test_jetbrains_schema_matches_vscode_settings() -> None:
    schema = load_json(JETBRAINS / "settings.schema.json")["properties"]
    vscode = load_json(VSCODE / "package.json")["contributes"]["configuration"]["properties"]
    for key, spec in schema.items():
        assert spec["type"] == vscode[key]["type"], key
        assert spec["default"] == vscode[key]["default"], key


# -- VS Code manifest -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = load_json(VSCODE / "package.json")
    assert isinstance(data, dict)
    return data


def test_vscode_manifest_packaging_fields(manifest: dict[str, Any]) -> None:
    assert manifest["main"] == "./dist/extension.js"
    assert manifest["license"] == "Apache-2.0"
    assert manifest["repository"]["url"].startswith("https://")
    assert manifest["publisher"] and manifest["name"]
    assert (VSCODE / "LICENSE").is_file() and (VSCODE / "README.md").is_file()
    assert manifest["dependencies"]["vscode-languageclient"].startswith("^9.")
    engine = re.sub(r"[^0-9.]", "", manifest["engines"]["vscode"])
    types = re.sub(r"[^0-9.]", "", manifest["devDependencies"]["@types/vscode"])
    assert tuple(map(int, types.split("."))) <= tuple(map(int, engine.split(".")))
    lock = load_json(VSCODE / "package-lock.json")
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"]


def test_vscode_settings_cover_the_server(manifest: dict[str, Any]) -> None:
    props = manifest["contributes"]["configuration"]["properties"]
    assert set(props) >= SERVER_SETTINGS
    assert {"advisor.serverPath", "advisor.trace.server"} <= set(props)
    assert set(props["advisor.rules.disable"]["items"]["enum"]) == known_rule_ids()
    severities = props["advisor.rules.severity"]["additionalProperties"]["enum"]
    assert severities == ["error", "warning", "info", "hint"]
    defaults = expand({k: props[k]["default"] for k in SERVER_SETTINGS})
    assert accepted(defaults) == ClientSettings()


def test_vscode_commands_and_activation(manifest: dict[str, Any]) -> None:
    commands = {c["command"] for c in manifest["contributes"]["commands"]}
    assert {"advisor.restartServer", "advisor.scanWorkspace"} <= commands
    events = manifest["activationEvents"]
    assert "onLanguage:terraform" in events
    assert "workspaceContains:**/*.tf" in events
    assert {"onLanguage:yaml", "onLanguage:json"} <= set(events)  # templates go by content
    languages = {lang["id"]: lang for lang in manifest["contributes"]["languages"]}
    assert ".tf" in languages["terraform"]["extensions"]
    assert ".tfvars" in languages["terraform-vars"]["extensions"]


# -- Helix ----------------------------------------------------------------------------------------------
def test_helix_languages_toml() -> None:
    with HELIX.open("rb") as f:
        config = tomllib.load(f)
    server = config["language-server"]["advisor"]
    assert [server["command"], *server["args"]] == ["advisor", "serve"]
    assert accepted(server["config"]).debounce_ms == 150
    languages = {lang["name"]: lang for lang in config["language"]}
    for name in ("hcl", "tfvars"):
        assert "advisor" in languages[name]["language-servers"]
        assert "terraform-ls" in languages[name]["language-servers"]
    globs = [
        ft["glob"]
        for lang in config["language"]
        if "advisor" in lang["language-servers"]
        for ft in lang.get("file-types", [])
        if isinstance(ft, dict)
    ]
    # YAML and JSON files (templates whatever their name, and Terraform's JSON) through Helix's own
    # languages, the server deciding by content; `*.template` through a language of its own
    for name in ("yaml", "json"):
        assert "advisor" in languages[name]["language-servers"]
        assert len(languages[name]["language-servers"]) == 2  # beside the language's usual server
    assert any(fnmatch("network.template", g) for g in globs)
    for name in OTHER_FILES:
        assert not any(fnmatch(name, g) for g in globs), name
