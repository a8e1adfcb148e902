-- Headless end-to-end test of the Neovim plugin against the real server:
--   nvim --headless --clean --cmd "set rtp^=editors/nvim" -c "luafile editors/nvim/test/e2e.lua"
-- Environment: ADVISOR_BIN (the advisor executable), ADVISOR_EXAMPLE (a main.tf to copy; default
-- examples/storage/main.tf), ADVISOR_NVIM_API (config | start | start_client; default: by version).
-- Opens a copy of the example (beside a .advisor.toml with region eu-west-1), checks that code lenses
-- and the statusline total appear on open, waits for the ebs-io1-to-gp3 diagnostic, asks for the code
-- actions with that diagnostic in the context, applies the preferred quick fix, writes the file and
-- checks it, that the lenses follow without being asked, the statusline snippet of the README, hover,
-- CloudFormation recognised by content, :AdvisorScan (quickfix list and totals equal to `advisor cost`)
-- and a restart. Exits 0 when all passed, 1 otherwise.

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

-- the lens titles of a buffer, by line ("0:Advisor: $3,655.50/mo in this file …")
local function lens_titles(bufnr)
  local out = {}
  for _, lens in ipairs(vim.lsp.codelens.get(bufnr) or {}) do
    table.insert(out, lens.range.start.line .. ":" .. (lens.command and lens.command.title or ""))
  end
  table.sort(out)
  return out
end

local function has_lens(bufnr, wanted)
  for _, t in ipairs(lens_titles(bufnr)) do
    if t == wanted then
      return true
    end
  end
  return false
end

-- the statusline snippet of editors/nvim/README.md, evaluated as Neovim draws it
local STATUSLINE = "%f %m%=%{v:lua.require'advisor'.statusline()} %l:%c"
local function statusline_text()
  local ok, result = pcall(vim.api.nvim_eval_statusline, STATUSLINE, { winid = 0, maxwidth = 200, fillchar = " " })
  check(ok, "the statusline snippet fails: " .. tostring(result))
  return result.str
end

local function main()
  local v = vim.version()
  out(("Neovim %d.%d.%d, api %s"):format(v.major, v.minor, v.patch, api or "auto"))
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir .. "/storage", "p")
  local path = dir .. "/storage/main.tf"
  check(vim.fn.filereadable(example) == 1, "no example at " .. example)
  vim.fn.writefile(vim.fn.readfile(example, "b"), path, "b")
  vim.fn.writefile({ 'region = "eu-west-1"' }, dir .. "/.advisor.toml")
  local stack = os.getenv("ADVISOR_CFN_EXAMPLE") or (vim.fn.fnamemodify(example, ":h:h") .. "/cloudformation/reporting-stack.yaml")
  vim.fn.mkdir(dir .. "/templates", "p")
  local template = dir .. "/templates/aws-refarch-wordpress-04-web.yaml"
  vim.fn.writefile(vim.fn.readfile(stack, "b"), template, "b")
  local compose = dir .. "/docker-compose.yaml"
  vim.fn.writefile({ "services:", "  web:", "    image: nginx" }, compose)

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
  check(advisor.matches(template), "a template under another name was not claimed by its content")
  check(not advisor.matches(compose), "an unrelated YAML file was claimed")
  check(advisor.statusline() == "", "statusline of a buffer without the server: " .. advisor.statusline())

  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  out("opened " .. path .. " (filetype " .. vim.bo[bufnr].filetype .. ")")

  wait("the advisor client to attach", 20000, function()
    return #advisor.clients(bufnr) > 0
  end)
  local client = advisor.clients(bufnr)[1]
  out("client " .. client.id .. " attached")

  -- lenses on open, without a refresh from the user
  wait("code lenses on open", 30000, function()
    return advisor.file_total(bufnr) == "$3,655.50/mo"
  end)
  check(has_lens(bufnr, "12:$712.50/mo"), "lenses on open: " .. table.concat(lens_titles(bufnr), " | "))
  out("lenses on open: " .. table.concat(lens_titles(bufnr), " | "))
  local line = statusline_text()
  check(line:find("Advisor $3,655.50/mo", 1, true), "statusline: " .. line)
  out("statusline: " .. line)
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

  line = vim.api.nvim_buf_get_lines(bufnr, 14, 15, false)[1]
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

  -- the lenses follow the fix by themselves (the server's workspace/codeLens/refresh), the same
  -- analysis as the diagnostics: the file total and the lens above the fixed volume
  wait("the lenses after the fix", 30000, function()
    return advisor.file_total(bufnr) == "$3,018.00/mo" and has_lens(bufnr, "12:$75.00/mo")
  end)
  check(not has_lens(bufnr, "12:$712.50/mo"), "a stale lens: " .. table.concat(lens_titles(bufnr), " | "))
  out("lenses after the fix: " .. table.concat(lens_titles(bufnr), " | "))
  line = statusline_text()
  check(line:find("Advisor $3,018.00/mo", 1, true), "statusline after the fix: " .. line)

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

  -- CloudFormation by content: the template gets the server, the compose file does not
  vim.cmd("edit " .. vim.fn.fnameescape(template))
  local tbuf = vim.api.nvim_get_current_buf()
  wait("the client on the template", 20000, function()
    return #advisor.clients(tbuf) > 0
  end)
  wait("the template's lenses", 30000, function()
    return advisor.file_total(tbuf) ~= nil
  end)
  out(("template %s: %s"):format(vim.bo[tbuf].filetype, advisor.statusline(tbuf)))
  vim.cmd("edit " .. vim.fn.fnameescape(compose))
  local cbuf = vim.api.nvim_get_current_buf()
  vim.wait(1000)
  check(#advisor.clients(cbuf) == 0, "the server attached to docker-compose.yaml")
  out("docker-compose.yaml: no client")
  vim.cmd("buffer " .. bufnr)

  -- :AdvisorScan: quickfix list and the totals of `advisor cost` / `advisor lint` on the same folder
  local scanned
  advisor.scan(function(result, items)
    scanned = { result = result, items = items }
  end)
  wait("the scan", 60000, function()
    return scanned ~= nil
  end)
  local cost = vim.fn.json_decode(vim.fn.system({ bin, "cost", "-f", "json", dir }))
  local lint = vim.fn.json_decode(vim.fn.system({ bin, "lint", "-f", "json", dir }))
  local summary = advisor.scan_summary(scanned.result)
  out(summary)
  check(math.abs(scanned.result.monthly_cost - cost.total) < 0.005, ("scan total %s, advisor cost %s"):format(scanned.result.monthly_cost, cost.total))
  check(summary:find(advisor.money(cost.total) .. "/mo, 1 with unknown price", 1, true), "summary: " .. summary)
  check(scanned.result.findings == #lint.findings, ("scan %d findings, advisor lint %d"):format(scanned.result.findings, #lint.findings))
  local qf = vim.fn.getqflist()
  check(#qf == #lint.findings, ("quickfix list has %d items, advisor lint %d findings"):format(#qf, #lint.findings))
  local files = {}
  for _, item in ipairs(qf) do
    files[vim.fn.fnamemodify(vim.api.nvim_buf_get_name(item.bufnr), ":t")] = true
  end
  check(files["main.tf"] and files["aws-refarch-wordpress-04-web.yaml"], "quickfix files: " .. vim.inspect(files))
  out(("quickfix list: %d findings"):format(#qf))

  -- :AdvisorCosts: the cost tree in a scratch buffer, with the scan's totals
  local shown
  advisor.costs(function(buf, tree)
    shown = { buf = buf, tree = tree }
  end)
  wait("the cost tree", 60000, function()
    return shown ~= nil
  end)
  check(math.abs(shown.tree.monthly_cost - cost.total) < 0.005, "cost tree total " .. tostring(shown.tree.monthly_cost))
  local tree_lines = vim.api.nvim_buf_get_lines(shown.buf, 0, -1, false)
  local unknown = 0
  for _, r in ipairs(cost.resources) do
    unknown = unknown + ((r.monthly_cost == vim.NIL or r.monthly_cost == nil) and 1 or 0)
  end
  local head = ("Advisor: workspace  %s/mo"):format(advisor.money(cost.total))
  if unknown > 0 then
    head = head .. (", %d with unknown price"):format(unknown)
  end
  head = head .. (" · %d findings"):format(#lint.findings)
  check(tree_lines[1] == head, "first line: " .. tree_lines[1] .. ", expected " .. head)
  local text = table.concat(tree_lines, "\n")
  check(text:find("\n      aws_ebs_volume.scratch  $75.00/mo\n", 1, true), "cost tree:\n" .. text)
  check(text:find("\n    templates/aws-refarch-wordpress-04-web.yaml  ", 1, true), "cost tree:\n" .. text)
  out("cost tree: " .. #tree_lines .. " lines; " .. tree_lines[1])
  vim.cmd("close")
  vim.cmd("buffer " .. bufnr)

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
