-- Headless end-to-end test of the Neovim plugin against the real server:
--   nvim --headless --clean --cmd "set rtp^=editors/nvim" -c "luafile editors/nvim/test/e2e.lua"
-- Environment: ADVISOR_BIN (the advisor executable), ADVISOR_EXAMPLE (a main.tf to copy; default
-- examples/storage/main.tf), ADVISOR_NVIM_API (config | start | start_client; default: by version).
-- Opens a copy of the example, waits for the ebs-io1-to-gp3 diagnostic, asks for the code actions with
-- that diagnostic in the context, applies the preferred quick fix, writes the file and checks it, the
-- file total (code lens), hover and a restart. Exits 0 when all passed, 1 otherwise.

local started = vim.loop.hrtime()
local function out(msg)
  io.stdout:write(("nvim-e2e %6.1f s  %s\n"):format((vim.loop.hrtime() - started) / 1e9, msg))
end

local function check(cond, msg)
  if not cond then
    error(msg, 2)
  end
end

local function wait(what, timeout_ms, predicate)
  local ok = vim.wait(timeout_ms, predicate, 50)
  check(ok, "timed out waiting for " .. what)
end

local advisor = require("advisor")
local bin = os.getenv("ADVISOR_BIN") or "advisor"
local example = os.getenv("ADVISOR_EXAMPLE") or "examples/storage/main.tf"
local api = os.getenv("ADVISOR_NVIM_API")
if api == "" then
  api = nil
end

-- a vim.diagnostic entry back into an LSP Diagnostic. On 0.7 user_data.lsp only keeps a few fields
-- (code, tags, data …), not the range or message: rebuild the whole object from the entry.
local function to_lsp(d)
  local lsp = (d.user_data and d.user_data.lsp) or {}
  if lsp.range and lsp.message then
    return lsp
  end
  local full = {
    range = {
      start = { line = d.lnum, character = d.col },
      ["end"] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col },
    },
    severity = d.severity,
    message = d.message,
    source = d.source,
    code = d.code or lsp.code,
  }
  for k, v in pairs(lsp) do
    if full[k] == nil then
      full[k] = v
    end
  end
  return full
end

local function code_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

local function find_diag(bufnr, rule)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if code_of(d) == rule then
      return d
    end
  end
  return nil
end

local function request(bufnr, method, params, timeout)
  local results, err = vim.lsp.buf_request_sync(bufnr, method, params, timeout or 15000)
  check(results ~= nil, method .. " failed: " .. tostring(err))
  for _, r in pairs(results) do
    check(r.err == nil, method .. " error: " .. vim.inspect(r.err))
    return r.result
  end
  error(method .. ": no answer")
end

local function main()
  local v = vim.version()
  out(("Neovim %d.%d.%d, api %s"):format(v.major, v.minor, v.patch, api or "auto"))
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir .. "/storage", "p")
  local path = dir .. "/storage/main.tf"
  check(vim.fn.filereadable(example) == 1, "no example at " .. example)
  vim.fn.writefile(vim.fn.readfile(example, "b"), path, "b")

  -- the server reports settings it cannot use with window/showMessage: there must be none
  local messages = {}
  local show = vim.lsp.handlers["window/showMessage"]
  vim.lsp.handlers["window/showMessage"] = function(err, result, ctx, config)
    table.insert(messages, result and result.message or "")
    return show(err, result, ctx, config)
  end

  advisor.setup({ cmd = { bin, "serve" }, api = api, settings = { debounceMs = 50 } })
  out("api in use: " .. advisor.api())
  check(api == nil or advisor.api() == api, "setup ignored api=" .. tostring(api))
  check(advisor.matches(path), "the plugin does not claim " .. path)
  check(advisor.matches("/x/stack.template.yaml") and advisor.matches("/x/cfn/vpc.json"), "CloudFormation patterns")
  check(not advisor.matches("/x/docker-compose.yaml"), "an unrelated YAML file was claimed")

  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  out("opened " .. path .. " (filetype " .. vim.bo[bufnr].filetype .. ")")

  wait("the advisor client to attach", 20000, function()
    return #advisor.clients(bufnr) > 0
  end)
  local client = advisor.clients(bufnr)[1]
  out("client " .. client.id .. " attached")
  vim.wait(500)
  check(#advisor.clients(bufnr) == 1, "more than one advisor client on the buffer")

  wait("the ebs-io1-to-gp3 diagnostic", 60000, function()
    return find_diag(bufnr, "ebs-io1-to-gp3") ~= nil
  end)
  local diag = find_diag(bufnr, "ebs-io1-to-gp3")
  check(diag.source == "advisor", "diagnostic source is " .. tostring(diag.source))
  check(diag.lnum == 14, "diagnostic on line " .. diag.lnum + 1)
  out(("diagnostic %d:%d %s"):format(diag.lnum + 1, diag.col + 1, diag.message))

  local lsp_diag = to_lsp(diag)
  check(lsp_diag.range and lsp_diag.message and lsp_diag.code == "ebs-io1-to-gp3", "rebuilt diagnostic is incomplete")
  local actions = request(bufnr, "textDocument/codeAction", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = lsp_diag.range,
    context = { diagnostics = { lsp_diag }, only = { "quickfix" } },
  })
  check(type(actions) == "table" and #actions > 0, "no code actions")
  local chosen
  local titles = {}
  for _, a in ipairs(actions) do
    table.insert(titles, a.title)
    if a.title == "Change io1 to gp3 (saves $637.50/mo)" then
      chosen = a
    end
  end
  out("code actions: " .. table.concat(titles, " | "))
  check(chosen ~= nil, "no 'Change io1 to gp3' action")
  check(chosen.kind == "quickfix" and chosen.isPreferred == true, "the fix is not a preferred quickfix")

  if chosen.edit == nil then
    local resolved = advisor.call(client, "request_sync", "codeAction/resolve", chosen, 10000, bufnr)
    check(resolved and resolved.result, "codeAction/resolve failed: " .. vim.inspect(resolved))
    chosen = resolved.result
    out("resolved the action's edit")
  end
  check(chosen.edit ~= nil, "the action has no edit")
  vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding or "utf-16")

  local line = vim.api.nvim_buf_get_lines(bufnr, 14, 15, false)[1]
  check(line:match('^%s*type%s+=%s+"gp3"$'), "line 15 after the fix: " .. line)
  out("buffer line 15: " .. vim.trim(line))
  vim.cmd("silent write")
  local disk = table.concat(vim.fn.readfile(path), "\n")
  local scratch = disk:match('resource "aws_ebs_volume" "scratch" (%b{})')
  local ledger = disk:match('resource "aws_ebs_volume" "ledger" (%b{})')
  check(scratch and scratch:match('type%s+=%s+"gp3"'), "the file on disk was not fixed")
  check(ledger and ledger:match('type%s+=%s+"io1"'), "the fix touched the ledger volume")
  out("file on disk: scratch is gp3, ledger still io1")

  wait("the fixed diagnostic to go", 30000, function()
    return find_diag(bufnr, "ebs-io1-to-gp3") == nil
  end)
  out("ebs-io1-to-gp3 is gone")

  -- the file total, as a statusline would show it
  wait("the file total code lens", 30000, function()
    if vim.fn.has("nvim-0.11") == 1 then
      vim.lsp.codelens.refresh({ bufnr = bufnr })
    else
      vim.lsp.codelens.refresh()
    end
    vim.wait(300)
    return advisor.file_total(bufnr) == "$3,018.00/mo"
  end)
  out("file total: " .. advisor.file_total(bufnr))

  local hover = request(bufnr, "textDocument/hover", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = 20, character = 12 },
  })
  local text = hover and hover.contents and (hover.contents.value or vim.inspect(hover.contents)) or ""
  check(text:find("$2,569.00", 1, true) or text:find("$2,725.00", 1, true), "hover on the ledger volume: " .. text)
  out("hover shows the ledger volume's cost table")

  for _, m in ipairs(messages) do
    check(not m:find("settings", 1, true), "the server did not accept the settings: " .. m)
  end

  local old_id = client.id
  vim.cmd("AdvisorRestart")
  wait("a new client after :AdvisorRestart", 30000, function()
    local c = advisor.clients(bufnr)[1]
    return c ~= nil and c.id ~= old_id
  end)
  wait("diagnostics from the new server", 60000, function()
    return find_diag(bufnr, "ebs-gp2-to-gp3") ~= nil
  end)
  out("restarted: client " .. advisor.clients(bufnr)[1].id .. ", diagnostics back")

  for _, c in ipairs(advisor.clients(bufnr)) do
    advisor.call(c, "stop")
  end
  vim.wait(5000, function()
    return #advisor.clients(bufnr) == 0
  end, 50)
  vim.fn.delete(dir, "rf")
end

local ok, err = xpcall(main, debug.traceback)
if ok then
  out("passed")
  os.exit(0)
else
  io.stderr:write("nvim-e2e FAILED: " .. tostring(err) .. "\n")
  os.exit(1)
end
