-- Advisor for Neovim: starts `advisor serve` for Terraform and CloudFormation buffers.
--
--   require("advisor").setup({})
--
-- Neovim 0.11+: vim.lsp.config + vim.lsp.enable; 0.8-0.10: vim.lsp.start; 0.7: vim.lsp.start_client.
-- Diagnostics, code actions (quick fixes), hover, code lens and inlay hints come from the server through
-- Neovim's own LSP client; this file only decides which buffers get the server and how to start it.
local M = {}

local uv = vim.uv or vim.loop

M.name = "advisor"

-- Every filetype an IaC buffer may get; which buffers attach is decided by M.matches: Terraform by
-- file name, CloudFormation templates (and Terraform plan JSON) by content.
M.filetypes = { "terraform", "terraform-vars", "tf", "hcl", "json", "jsonc", "yaml", "cloudformation", "toml" }

-- Lua patterns, matched against the full path with forward slashes.
M.terraform_patterns = { "%.tf$", "%.tfvars$", "%.tf%.json$", "%.tfvars%.json$", "/%.advisor%.toml$" }
-- YAML and JSON files whose content is then looked at (M.looks_like_template)
M.candidate_patterns = { "%.ya?ml$", "%.json$", "%.template$" }
-- Names that are templates whatever their first lines say (and the `cloudformation_patterns` option)
M.default_cloudformation_patterns = {
  "%.template$",
  "%.template%.ya?ml$",
  "%.template%.json$",
  "%.cfn%.ya?ml$",
  "%.cfn%.json$",
  "/template%.ya?ml$",
  "/cloudformation/.+%.ya?ml$",
  "/cloudformation/.+%.json$",
  "/cfn/.+%.ya?ml$",
  "/cfn/.+%.json$",
}

local defaults = {
  -- nil: `advisor serve` when `advisor` is executable, else `python3 -m advisor serve`
  cmd = nil,
  -- the "advisor" section the server asks for with workspace/configuration
  settings = {
    rules = { disable = {}, severity = {} },
    debounceMs = 150,
    inlayHints = false,
    codeLens = true,
    explain = { enabled = false },
  },
  cloudformation_patterns = nil, -- nil: M.default_cloudformation_patterns
  root_markers = { ".advisor.toml", ".terraform", ".git" },
  codelens = true, -- lenses on attach, when the server says they changed, on BufEnter, InsertLeave, writes
  on_attach = nil,
  capabilities = nil,
  -- "config" | "start" | "start_client": force one way of starting (tests); nil picks by version
  api = nil,
}

M.config = nil
local clients_by_root = {} -- start_client mode: root -> client id
local group = nil
local refresh_codelens -- defined below; the client's handlers call it

-- Client methods take `self` from 0.11 on (client:stop()); before, they are plain functions.
local function call(client, method, ...)
  if vim.fn.has("nvim-0.11") == 1 then
    return client[method](client, ...)
  end
  return client[method](...)
end
M.call = call

local function normalize(path)
  return (path or ""):gsub("\\", "/")
end

local function any_match(path, patterns)
  for _, pattern in ipairs(patterns) do
    if path:find(pattern) then
      return true
    end
  end
  return false
end

-- How much of a YAML/JSON buffer is looked at: templates name their version or their first AWS::
-- resource type well before this (all 620 templates of the test corpus within their first 1000 lines).
M.head_lines = 1000
M.head_bytes = 256 * 1024

--- True when the text is a CloudFormation template or a Terraform plan/state export, by the same
--- cheap test the server makes: a template names its format version or declares AWS:: resource types;
--- a plan starts with its format and Terraform versions.
function M.looks_like_template(lines)
  local parts, size = {}, 0
  for i = 1, math.min(#lines, M.head_lines) do
    size = size + #lines[i] + 1
    if size > M.head_bytes then
      break
    end
    parts[#parts + 1] = lines[i]
  end
  local head = table.concat(parts, "\n")
  if head:find("AWSTemplateFormatVersion", 1, true) then
    return true
  end
  if head:find("Resources", 1, true) and head:find("AWS::%w+::%w+") then
    return true
  end
  local start = head:sub(1, 4096)
  return start:find("^%s*{") ~= nil
    and start:find('"format_version"', 1, true) ~= nil
    and start:find('"terraform_version"', 1, true) ~= nil
end

local function buffer_head(bufnr)
  if bufnr == nil or not vim.api.nvim_buf_is_loaded(bufnr) then
    return nil
  end
  return vim.api.nvim_buf_get_lines(bufnr, 0, M.head_lines, false)
end

--- True when the file is one the server reads: Terraform and its config by name; YAML and JSON when
--- the buffer's content is a template or plan (or its name matches `cloudformation_patterns`).
--- Without a loaded buffer, the file on disk is read (its first lines only).
function M.matches(path, bufnr)
  path = normalize(path)
  if path == "" then
    return false
  end
  if any_match(path, M.terraform_patterns) then
    return true
  end
  if any_match(path, (M.config and M.config.cloudformation_patterns) or M.default_cloudformation_patterns) then
    return true
  end
  if not any_match(path, M.candidate_patterns) then
    return false
  end
  local lines = buffer_head(bufnr)
  if lines == nil then
    local ok, read = pcall(vim.fn.readfile, path, "", M.head_lines)
    lines = ok and read or {}
  end
  return M.looks_like_template(lines)
end

--- The nearest folder upwards with a root marker, else the file's own folder.
function M.root_dir(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local markers = (M.config and M.config.root_markers) or defaults.root_markers
  local d = dir
  while d and d ~= "" do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(d .. "/" .. marker) then
        return d
      end
    end
    local parent = vim.fn.fnamemodify(d, ":h")
    if parent == d then
      break
    end
    d = parent
  end
  return dir
end

--- The command that starts the server.
function M.default_cmd()
  if vim.fn.executable("advisor") == 1 then
    return { "advisor", "serve" }
  end
  local python = vim.fn.executable("python3") == 1 and "python3" or "python"
  return { python, "-m", "advisor", "serve" }
end

--- Which API this Neovim offers: "config" (0.11+), "start" (0.8+) or "start_client" (0.7).
function M.api()
  if M.config and M.config.api then
    local needs = { config = vim.lsp.enable, start = vim.lsp.start, start_client = vim.lsp.start_client }
    if needs[M.config.api] == nil then
      error("advisor: api = " .. tostring(M.config.api) .. " is not available in this Neovim")
    end
    return M.config.api
  end
  if vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    return "config"
  elseif vim.lsp.start ~= nil then
    return "start"
  end
  return "start_client"
end

-- JSON needs {} for empty objects, which a plain empty Lua table is not.
local function settings_json(settings)
  local s = vim.deepcopy(settings)
  s.rules = s.rules or {}
  if s.rules.severity == nil or vim.tbl_isempty(s.rules.severity) then
    s.rules.severity = vim.empty_dict()
  end
  if s.rules.disable == nil then
    s.rules.disable = {}
  end
  return s
end

local LENS_REFRESH = "workspace/codeLens/refresh"

--- Whether this Neovim answers workspace/codeLens/refresh by itself (0.12 does; 0.7-0.11 do not).
function M.builtin_lens_refresh()
  return vim.lsp.handlers[LENS_REFRESH] ~= nil
end

-- The server asks for new lenses whenever a result changes them: fetch them for every buffer of
-- that client (Neovim before 0.12 neither handles the request nor says it could).
local function on_lens_refresh(_, _, ctx)
  vim.schedule(function()
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) and vim.lsp.buf_is_attached(bufnr, ctx.client_id) then
        refresh_codelens(bufnr)
      end
    end
  end)
  return vim.NIL
end

local function capabilities()
  local caps = vim.tbl_deep_extend(
    "force",
    vim.lsp.protocol.make_client_capabilities(),
    M.config.capabilities or {}
  )
  if M.config.codelens and not M.builtin_lens_refresh() then
    caps.workspace = caps.workspace or {}
    caps.workspace.codeLens = vim.tbl_extend("force", caps.workspace.codeLens or {}, { refreshSupport = true })
  end
  return caps
end

local function on_attach(client, bufnr)
  vim.schedule(function()
    refresh_codelens(bufnr) -- lenses on open: Neovim asks for them only when told to
  end)
  if M.config.on_attach then
    M.config.on_attach(client, bufnr)
  end
end

local function lsp_config(root)
  local settings = settings_json(M.config.settings)
  local handlers = {}
  if M.config.codelens and not M.builtin_lens_refresh() then
    handlers[LENS_REFRESH] = on_lens_refresh
  end
  local config = {
    name = M.name,
    cmd = M.config.cmd or M.default_cmd(),
    settings = { advisor = settings },
    init_options = settings,
    on_attach = on_attach,
    capabilities = capabilities(),
    handlers = handlers,
    on_exit = function(code, signal)
      if code ~= 0 and signal == 0 then
        vim.schedule(function()
          vim.notify(
            ("advisor serve exited with code %d; is it installed? python3 -m pip install advisor-iac"):format(code),
            vim.log.levels.WARN
          )
        end)
      end
    end,
  }
  if root then
    config.root_dir = root
    config.workspace_folders = { { uri = vim.uri_from_fname(root), name = root } }
  end
  return config
end

--- The advisor clients attached to a buffer (any Neovim version).
function M.clients(bufnr)
  local out = {}
  if vim.lsp.get_clients then
    for _, c in ipairs(vim.lsp.get_clients({ bufnr = bufnr, name = M.name })) do
      table.insert(out, c)
    end
  else
    for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
      if c.name == M.name then
        table.insert(out, c)
      end
    end
  end
  return out
end

local function all_clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = M.name })
  end
  local out = {}
  for _, c in pairs(vim.lsp.get_active_clients()) do
    if c.name == M.name then
      table.insert(out, c)
    end
  end
  return out
end

--- Attach the server to a buffer when its file is one the server reads (0.7-0.10; 0.11 does it itself).
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if not M.matches(name, bufnr) then
    return
  end
  local root = M.root_dir(name)
  local api = M.api()
  if api == "start" then
    vim.api.nvim_buf_call(bufnr, function()
      vim.lsp.start(lsp_config(root))
    end)
  elseif api == "start_client" then
    local id = clients_by_root[root]
    -- get_client_by_id also knows clients that are still initializing (client_is_stopped does not)
    local running = id and vim.lsp.get_client_by_id(id)
    if not running or running.is_stopped() then
      id = vim.lsp.start_client(lsp_config(root))
      if id == nil then
        vim.notify("advisor: could not start " .. table.concat(lsp_config(root).cmd, " "), vim.log.levels.ERROR)
        return
      end
      clients_by_root[root] = id
    end
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

--- Ask the server for a buffer's lenses and show them (any buffer, any Neovim from 0.7).
refresh_codelens = function(bufnr)
  if not (M.config and M.config.codelens) or not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  local clients = M.clients(bufnr)
  if #clients == 0 then
    return
  end
  if vim.fn.has("nvim-0.10") == 1 then
    pcall(vim.lsp.codelens.refresh, { bufnr = bufnr })
    return
  end
  -- 0.7-0.9 refresh the current buffer only: ask each client directly, for this buffer
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) } }
  for _, client in ipairs(clients) do
    call(client, "request", "textDocument/codeLens", params, function(err, result, ctx, config)
      ctx = ctx or {}
      ctx.bufnr = ctx.bufnr or bufnr
      ctx.client_id = ctx.client_id or client.id
      vim.lsp.codelens.on_codelens(err, result, ctx, config)
    end, bufnr)
  end
end
M.refresh_codelens = function(bufnr)
  refresh_codelens((bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr)
end

--- The file's monthly total from the server's code lens on line 0 ("$1,234.56/mo"), or nil.
function M.file_total(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local ok, lenses = pcall(vim.lsp.codelens.get, bufnr)
  if not ok then
    return nil
  end
  for _, lens in ipairs(lenses or {}) do
    local title = lens.command and lens.command.title or ""
    if lens.range.start.line == 0 and (title:find("^Advisor:") or title:find("in this file")) then
      local money = title:match("(%$[%d,]+%.?%d*/mo)")
      if money then
        return money
      end
    end
  end
  return nil
end

--- A statusline component: "Advisor $1,234.56/mo" for a buffer the server prices, else "".
--- Always a string, so that it works in a %{} item on every Neovim from 0.7:
---   vim.o.statusline = "%f %m%=%{v:lua.require'advisor'.statusline()} %l:%c"
function M.statusline(bufnr)
  local ok, total = pcall(M.file_total, bufnr)
  if not ok or total == nil then
    return ""
  end
  return "Advisor " .. total
end

--- Stop the servers and start them again for every matching buffer.
function M.restart()
  local clients = all_clients()
  for _, c in ipairs(clients) do
    call(c, "stop")
  end
  clients_by_root = {}
  vim.wait(5000, function()
    for _, c in ipairs(clients) do
      if not call(c, "is_stopped") then
        return false
      end
    end
    return true
  end, 50)
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and M.matches(vim.api.nvim_buf_get_name(bufnr), bufnr) then
      if M.api() == "config" then
        -- vim.lsp.enable starts clients from its FileType autocmd: replay it for the open buffers
        local ok = pcall(vim.api.nvim_exec_autocmds, "FileType", { group = "nvim.lsp.enable", buffer = bufnr })
        if not ok then
          vim.api.nvim_exec_autocmds("FileType", { buffer = bufnr })
        end
      else
        M.attach(bufnr)
      end
    end
  end
end

local function present(v)
  return v ~= nil and v ~= vim.NIL
end

--- "$1,234.56": dollars as the server writes them.
function M.money(x)
  local whole, cents = string.format("%.2f", x):match("^(-?%d+)%.(%d+)$")
  local grouped = whole:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^(-?),", "%1")
  return "$" .. grouped .. "." .. cents
end

--- The scan's summary as one line: "advisor: 3 modules, 12 findings, $529.68/mo".
function M.scan_summary(result)
  local line = ("advisor: %d modules, %d findings, %s/mo"):format(
    result.scanned or 0,
    result.findings or 0,
    M.money(result.monthly_cost or 0)
  )
  if present(result.unknown) and result.unknown > 0 then
    line = line .. (", %d with unknown price"):format(result.unknown)
  end
  if result.cancelled then
    line = line .. " (cancelled: partial)"
  end
  if result.errors and #result.errors > 0 then
    line = line .. (" · %d problems: %s"):format(#result.errors, result.errors[1])
  end
  return line
end

--- The quickfix list of every advisor diagnostic Neovim holds (open files and those the scan
--- published), most severe first.
function M.findings_qflist()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(nil)) do
    if d.source == "advisor" then
      table.insert(found, d)
    end
  end
  local items = vim.diagnostic.toqflist(found)
  table.sort(items, function(a, b)
    local fa, fb = vim.api.nvim_buf_get_name(a.bufnr or 0), vim.api.nvim_buf_get_name(b.bufnr or 0)
    if fa ~= fb then
      return fa < fb
    end
    return (a.lnum or 0) < (b.lnum or 0)
  end)
  return items
end

--- Scan the whole workspace (the server's advisor.scanWorkspace): the findings go to the quickfix
--- list, the totals (the same as `advisor cost` and `advisor lint` on the folder) to the message area.
--- `on_done(result)`, if given, is called with the server's summary.
function M.scan(on_done)
  local client = all_clients()[1]
  if client == nil then
    vim.notify("advisor: no server running", vim.log.levels.WARN)
    return
  end
  local params = { command = "advisor.scanWorkspace", arguments = {} }
  local handler = function(err, result)
    vim.schedule(function()
      if err then
        vim.notify("advisor: scan failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
        return
      end
      local items = M.findings_qflist()
      vim.fn.setqflist({}, " ", { title = "Advisor: workspace findings", items = items })
      local summary = M.scan_summary(result or {})
      vim.notify(summary .. (#items > 0 and " (:copen)" or ""), vim.log.levels.INFO)
      if type(on_done) == "function" then
        on_done(result, items)
      end
    end)
  end
  call(client, "request", "workspace/executeCommand", params, handler)
end

-- "$22.00/mo · 1 finding", "priced where used", "$280.97/mo, 1 with unknown price · 3 findings"
local function cost_text(node, resource)
  local text
  if present(node.monthly_cost) then
    text = M.money(node.monthly_cost) .. "/mo"
  elseif present(node.status) and node.status ~= "unknown" then
    text = node.status
  else
    text = "price unknown"
  end
  if present(node.unknown) and node.unknown > 0 then
    text = text .. (", %d with unknown price"):format(node.unknown)
  end
  local n = present(node.findings) and node.findings or 0
  if not resource or n > 0 then
    text = text .. (" · %d finding%s"):format(n, n == 1 and "" or "s")
  end
  return text
end

--- The lines of the cost tree (the server's advisor/costTree answer) and, per line, where it leads.
function M.cost_tree_lines(tree)
  local lines, targets = {}, {}
  local function add(indent, name, node, target)
    table.insert(lines, ("%s%s  %s"):format(string.rep("  ", indent), name, cost_text(node, indent == 3)))
    targets[#lines] = target
  end
  add(0, "Advisor: workspace", tree)
  for _, root in ipairs(tree.roots or {}) do
    add(1, root.name, root, { uri = root.uri, line = 0 })
    for _, file in ipairs(root.files or {}) do
      add(2, file.name, file, { uri = file.uri, line = 0 })
      for _, r in ipairs(file.resources or {}) do
        add(3, r.address, r, { uri = file.uri, line = r.line })
      end
    end
  end
  return lines, targets
end

--- :AdvisorCosts: the workspace cost tree (workspace → root → file → resource, with monthly costs and
--- finding counts, the same analyses and totals as :AdvisorScan) in a scratch buffer; <CR> opens the
--- file at the resource. `on_done(bufnr, tree)`, if given, is called once it is shown.
function M.costs(on_done)
  local client = all_clients()[1]
  if client == nil then
    vim.notify("advisor: no server running", vim.log.levels.WARN)
    return
  end
  call(client, "request", "advisor/costTree", vim.empty_dict(), function(err, tree)
    vim.schedule(function()
      if err or type(tree) ~= "table" then
        vim.notify("advisor: cost tree failed: " .. vim.inspect(err or tree), vim.log.levels.ERROR)
        return
      end
      local lines, targets = M.cost_tree_lines(tree)
      local buf = vim.api.nvim_create_buf(false, true)
      vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
      vim.bo[buf].buftype = "nofile"
      vim.bo[buf].bufhidden = "wipe"
      vim.bo[buf].modifiable = false
      vim.bo[buf].filetype = "advisorcosts"
      pcall(vim.api.nvim_buf_set_name, buf, "advisor://costs")
      vim.cmd("botright split")
      vim.api.nvim_win_set_buf(0, buf)
      vim.keymap.set("n", "<CR>", function()
        local target = targets[vim.api.nvim_win_get_cursor(0)[1]]
        if target then
          vim.cmd("wincmd p")
          vim.cmd("edit " .. vim.fn.fnameescape(vim.uri_to_fname(target.uri)))
          pcall(vim.api.nvim_win_set_cursor, 0, { target.line + 1, 0 })
        end
      end, { buffer = buf, desc = "Open the file at this resource" })
      if type(on_done) == "function" then
        on_done(buf, tree)
      end
    end)
  end)
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  if opts and opts.settings and opts.settings.rules and opts.settings.rules.disable then
    M.config.settings.rules.disable = vim.deepcopy(opts.settings.rules.disable) -- a list replaces, not merges
  end
  group = vim.api.nvim_create_augroup("advisor", { clear = true })

  if M.api() == "config" then
    vim.lsp.config(M.name, vim.tbl_extend("force", lsp_config(nil), {
      filetypes = M.filetypes,
      root_dir = function(bufnr, on_dir)
        local name = vim.api.nvim_buf_get_name(bufnr)
        if M.matches(name, bufnr) then
          on_dir(M.root_dir(name))
        end
      end,
    }))
    vim.lsp.enable(M.name)
  else
    vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile", "FileType" }, {
      group = group,
      callback = function(args)
        M.attach(args.buf)
      end,
    })
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        M.attach(bufnr)
      end
    end
  end

  vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave", "BufWritePost" }, {
    group = group,
    callback = function(args)
      refresh_codelens(args.buf)
    end,
  })
  vim.api.nvim_create_user_command("AdvisorRestart", M.restart, { desc = "Restart the advisor language server" })
  vim.api.nvim_create_user_command("AdvisorScan", function()
    M.scan()
  end, { desc = "Scan the workspace with advisor: findings to the quickfix list" })
  vim.api.nvim_create_user_command("AdvisorCosts", function()
    M.costs()
  end, { desc = "The workspace cost tree in a scratch buffer" })
  return M
end

return M
