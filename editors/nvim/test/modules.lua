-- Headless end-to-end test of the Neovim plugin on a project of several modules:
--   nvim --headless --clean --cmd "set rtp^=editors/nvim" -c "luafile editors/nvim/test/modules.lua"
-- Environment: ADVISOR_BIN (the advisor executable), ADVISOR_PROJECT (the folder to copy; default
-- tests/fixtures/editors/batch: main.tf calls two local modules whose arguments decide a volume type and
-- an instance type, volumes.tf holds an io1 volume of the root module).
-- Opens main.tf and volumes.tf, checks the lenses of the module calls and of the volumes against prices
-- worked out here from AWS's published us-east-1 prices, applies the io1 → gp3 quick fix through
-- vim.lsp.buf.code_action() (the user's pick made by vim.ui.select), writes the file, and checks that
-- the diagnostic is gone and that lenses, hover, statusline, :AdvisorScan and :AdvisorCosts all show
-- the new figures, the workspace total being that of `advisor cost` on the saved folder.
-- Exits 0 when all passed, 1 otherwise.

local started = vim.loop.hrtime()
local function out(msg)
  io.stdout:write(("nvim-modules %6.1f s  %s\n"):format((vim.loop.hrtime() - started) / 1e9, msg))
end

local function check(cond, msg)
  if not cond then
    error(msg, 2)
  end
end

local function wait(what, timeout_ms, predicate)
  check(vim.wait(timeout_ms, predicate, 50), "timed out waiting for " .. what)
end

local advisor = require("advisor")
local bin = os.getenv("ADVISOR_BIN") or "advisor"
local project = os.getenv("ADVISOR_PROJECT") or "tests/fixtures/editors/batch"

-- AWS's published on-demand prices, us-east-1 (EBS and EC2 pricing pages), USD per month or hour
local IO1_GB, IO1_IOPS, GP3_GB = 0.125, 0.065, 0.08 -- per GB-month, per provisioned IOPS-month
local M5_LARGE_HOUR, HOURS = 0.096, 730 -- Linux on demand; AWS's month is 730 hours
local STAGING_IO1 = 200 * IO1_GB + 3000 * IO1_IOPS -- volumes.tf: io1, 200 GB, 3,000 IOPS = 220.00
local STAGING_GP3 = 200 * GP3_GB -- gp3 includes 3,000 IOPS and 125 MB/s = 16.00
local LOGS = 100 * GP3_GB -- volumes.tf: gp3, 100 GB = 8.00
local SCRATCH = 500 * IO1_GB + 10000 * IO1_IOPS -- module "scratch": io1, 500 GB, 10,000 IOPS = 712.50
local WORKER = M5_LARGE_HOUR * HOURS + 20 * GP3_GB -- module "worker": m5.large + 20 GB gp3 root = 71.68

-- "$1,012.18": dollars with a thousands separator, as every Advisor view writes them
local function dollars(x)
  local cents = math.floor(x * 100 + 0.5)
  local whole = tostring(math.floor(cents / 100)):reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
  return ("$%s.%02d"):format(whole, cents % 100)
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

local function lens_titles(bufnr)
  local titles = {}
  for _, lens in ipairs(vim.lsp.codelens.get(bufnr) or {}) do
    table.insert(titles, lens.range.start.line .. ":" .. (lens.command and lens.command.title or ""))
  end
  table.sort(titles)
  return titles
end

local function has_lens(bufnr, wanted)
  return vim.tbl_contains(lens_titles(bufnr), wanted)
end

local function hover_text(bufnr, line, character)
  local results = vim.lsp.buf_request_sync(bufnr, "textDocument/hover", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = line, character = character },
  }, 15000)
  for _, r in pairs(results or {}) do
    local contents = r.result and r.result.contents
    if contents then
      return contents.value or vim.inspect(contents)
    end
  end
  return ""
end

local function open(path)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  wait("the advisor client on " .. vim.fn.fnamemodify(path, ":t"), 20000, function()
    return #advisor.clients(bufnr) > 0
  end)
  return bufnr
end

local function main()
  local v = vim.version()
  out(("Neovim %d.%d.%d"):format(v.major, v.minor, v.patch))
  check(vim.fn.isdirectory(project) == 1, "no project at " .. project)
  local dir = vim.fn.tempname() .. "/batch"
  vim.fn.mkdir(vim.fn.fnamemodify(dir, ":h"), "p")
  vim.fn.system({ "cp", "-R", project, dir })
  check(vim.v.shell_error == 0, "could not copy " .. project)

  advisor.setup({ cmd = { bin, "serve" }, settings = { debounceMs = 50 } })

  -- main.tf: only module calls; each call's lens is what its instance costs, the file lens their sum
  local main_buf = open(dir .. "/main.tf")
  local main_total = dollars(SCRATCH + WORKER) .. "/mo"
  wait("the lenses of main.tf", 60000, function()
    return advisor.file_total(main_buf) == main_total
  end)
  local scratch_lens = "5:" .. dollars(SCRATCH) .. "/mo · 1 finding"
  local worker_lens = "13:" .. dollars(WORKER) .. "/mo · 1 finding"
  check(has_lens(main_buf, scratch_lens) and has_lens(main_buf, worker_lens), "main.tf lenses: " .. table.concat(lens_titles(main_buf), " | "))
  check(has_lens(main_buf, ("0:Advisor: %s in this file (0 resources, 2 module calls)"):format(main_total)), "main.tf file lens: " .. table.concat(lens_titles(main_buf), " | "))
  out("main.tf lenses: " .. table.concat(lens_titles(main_buf), " | "))

  -- volumes.tf, the second file of the root module: the io1 volume, its diagnostic and its fix
  local bufnr = open(dir .. "/volumes.tf")
  wait("the lenses of volumes.tf", 60000, function()
    return advisor.file_total(bufnr) == dollars(STAGING_IO1 + LOGS) .. "/mo"
  end)
  check(has_lens(bufnr, "1:" .. dollars(STAGING_IO1) .. "/mo"), "volumes.tf lenses: " .. table.concat(lens_titles(bufnr), " | "))
  wait("the ebs-io1-to-gp3 diagnostic", 60000, function()
    return find_diag(bufnr, "ebs-io1-to-gp3") ~= nil
  end)
  local diag = find_diag(bufnr, "ebs-io1-to-gp3")
  check(diag.lnum == 3, "diagnostic on line " .. diag.lnum + 1)
  out(("diagnostic %d:%d %s"):format(diag.lnum + 1, diag.col + 1, diag.message))

  -- the user's way: the cursor on the diagnostic, vim.lsp.buf.code_action(), a pick in vim.ui.select
  local fix_title = ("Change io1 to gp3 (saves %s/mo)"):format(dollars(STAGING_IO1 - STAGING_GP3))
  local offered
  local select = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    offered = {}
    local pick
    for _, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or tostring(item)
      table.insert(offered, title)
      if title == fix_title then
        pick = item
      end
    end
    on_choice(pick)
  end
  vim.api.nvim_win_set_cursor(0, { diag.lnum + 1, diag.col })
  vim.lsp.buf.code_action()
  wait("the quick fix to change the buffer", 20000, function()
    return vim.api.nvim_buf_get_lines(bufnr, 3, 4, false)[1]:match('"gp3"') ~= nil
  end)
  vim.ui.select = select
  out("code actions: " .. table.concat(offered, " | "))
  check(vim.tbl_contains(offered, fix_title), "no '" .. fix_title .. "' among the code actions")
  vim.cmd("silent write")
  local disk = table.concat(vim.fn.readfile(dir .. "/volumes.tf"), "\n")
  check(disk:match('"staging" (%b{})'):match('type%s+=%s+"gp3"'), "volumes.tf on disk was not fixed:\n" .. disk)
  out("volumes.tf on disk: the staging volume is gp3")

  -- after the edit: the diagnostic goes, the lenses, hover and statusline say the new figure
  wait("the fixed diagnostic to go", 30000, function()
    return find_diag(bufnr, "ebs-io1-to-gp3") == nil
  end)
  local file_after = dollars(STAGING_GP3 + LOGS) .. "/mo"
  wait("the lenses after the fix", 30000, function()
    return advisor.file_total(bufnr) == file_after and has_lens(bufnr, "1:" .. dollars(STAGING_GP3) .. "/mo")
  end)
  check(has_lens(bufnr, ("0:Advisor: %s in this file (2 resources)"):format(file_after)), "file lens: " .. table.concat(lens_titles(bufnr), " | "))
  check(not has_lens(bufnr, "1:" .. dollars(STAGING_IO1) .. "/mo"), "a stale lens: " .. table.concat(lens_titles(bufnr), " | "))
  out("volumes.tf lenses after the fix: " .. table.concat(lens_titles(bufnr), " | "))
  local hover = hover_text(bufnr, 1, 12)
  check(hover:find("aws_ebs_volume.staging", 1, true) and hover:find("**" .. dollars(STAGING_GP3) .. "**", 1, true), "hover after the fix: " .. hover)
  check(not hover:find(dollars(STAGING_IO1), 1, true), "the hover still shows the io1 figure: " .. hover)
  out("hover: the staging volume at " .. dollars(STAGING_GP3))
  check(advisor.statusline(bufnr) == "Advisor " .. file_after, "statusline: " .. advisor.statusline(bufnr))
  check(has_lens(main_buf, scratch_lens) and advisor.file_total(main_buf) == main_total, "main.tf lenses changed: " .. table.concat(lens_titles(main_buf), " | "))

  -- the workspace: :AdvisorScan and :AdvisorCosts agree with `advisor cost` on the saved folder
  local workspace = STAGING_GP3 + LOGS + SCRATCH + WORKER
  local cost = vim.fn.json_decode(vim.fn.system({ bin, "cost", "-f", "json", dir }))
  check(dollars(cost.total) == dollars(workspace), ("advisor cost says %s, the prices %s"):format(cost.total, dollars(workspace)))
  local scanned
  advisor.scan(function(result)
    scanned = result
  end)
  wait("the scan", 60000, function()
    return scanned ~= nil
  end)
  check(math.abs(scanned.monthly_cost - cost.total) < 0.005, ("scan total %s, advisor cost %s"):format(scanned.monthly_cost, cost.total))
  out(advisor.scan_summary(scanned))
  local shown
  advisor.costs(function(buf, tree)
    shown = { buf = buf, tree = tree }
  end)
  wait("the cost tree", 60000, function()
    return shown ~= nil
  end)
  local lines = vim.api.nvim_buf_get_lines(shown.buf, 0, -1, false)
  check(lines[1]:find("^Advisor: workspace  " .. vim.pesc(dollars(workspace)) .. "/mo · %d+ findings$"), "cost tree: " .. lines[1])
  local text = table.concat(lines, "\n")
  check(text:find("\n      aws_ebs_volume.staging  " .. dollars(STAGING_GP3) .. "/mo\n", 1, true), "cost tree:\n" .. text)
  out("cost tree: " .. lines[1])
  vim.cmd("close")

  for _, c in ipairs(advisor.clients(bufnr)) do
    advisor.call(c, "stop")
  end
  vim.wait(5000, function()
    return #advisor.clients(bufnr) == 0
  end, 50)
  vim.fn.delete(vim.fn.fnamemodify(dir, ":h"), "rf")
end

local ok, err = xpcall(main, debug.traceback)
if ok then
  out("passed")
  os.exit(0)
else
  io.stderr:write("nvim-modules FAILED: " .. tostring(err) .. "\n")
  os.exit(1)
end
