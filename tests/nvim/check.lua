-- Run by check.sh inside a headless Neovim, in a workspace with prog.py and
-- pkg/tool.py. Exits with :cquit on the first failure.
local function fail(msg)
  io.stderr:write("FAIL: " .. msg .. "\n")
  vim.cmd("cquit 1")
end
local function say(msg)
  io.stdout:write(msg .. "\n")
end

local ok, err = pcall(dofile, os.getenv("DAPPER_DOC"))
if not ok then
  fail("the configuration from docs/neovim.md does not load: " .. tostring(err))
end
local dap = require("dap")
if vim.fn.executable(dap.adapters.dapper.command) ~= 1 then
  fail("dapper-adapter not found: " .. dap.adapters.dapper.command)
end

-- The prompts of the "with arguments" and "module" configurations.
local answers = { ["Module: "] = "pkg.tool", ["Arguments: "] = "one  two" }
vim.fn.input = function(prompt)
  return answers[prompt] or fail("unexpected prompt " .. prompt)
end

local state
dap.listeners.after.event_stopped.check = function(_, body)
  table.insert(state.stops, body.reason)
end
dap.listeners.after.event_exited.check = function(_, body)
  state.exit = body.exitCode
end
dap.listeners.after.event_output.check = function(_, body)
  if body.category == "stdout" then
    state.stdout = state.stdout .. body.output
  elseif body.category == "console" then
    state.console = state.console .. body.output
  end
end

local function wait(what, cond)
  if not vim.wait(30000, cond, 20) then
    fail(what .. " (console: " .. state.console .. ")")
  end
end

local function case(name, want)
  state = { stops = {}, stdout = "", console = "" }
  local config
  for _, c in ipairs(dap.configurations.python) do
    if c.name == name then
      config = c
    end
  end
  if not config then
    fail("no configuration " .. name)
  end
  vim.cmd("edit " .. want.file)
  vim.api.nvim_win_set_cursor(0, { want.line, 0 })
  dap.toggle_breakpoint()
  dap.run(config)
  if want.entry then
    wait(name .. ": no stop on entry", function() return #state.stops >= 1 end)
    if state.stops[1] ~= "entry" then
      fail(name .. ": first stop " .. state.stops[1] .. ", not entry")
    end
    local s = dap.session()
    wait(name .. ": no frame on entry", function() return s.current_frame ~= nil end)
    if s.current_frame.line ~= 1 then
      fail(name .. ": entry stop on line " .. s.current_frame.line)
    end
    s.current_frame = nil
    dap.continue()
  end
  local n = want.entry and 2 or 1
  wait(name .. ": no breakpoint stop", function() return #state.stops >= n end)
  if state.stops[n] ~= "breakpoint" then
    fail(name .. ": stopped for " .. state.stops[n])
  end
  local s = dap.session()
  wait(name .. ": no current frame", function() return s.current_frame ~= nil end)
  local frame = s.current_frame
  if frame.line ~= want.line or not frame.source.path:match(want.file .. "$") then
    fail(string.format("%s: stopped at %s:%d, not %s:%d", name, frame.source.path, frame.line, want.file, want.line))
  end
  local value
  s:request("evaluate", { expression = want.expr, frameId = frame.id, context = "repl" }, function(e, body)
    value = e and ("error " .. vim.inspect(e)) or body.result
  end)
  wait(name .. ": no evaluate answer", function() return value ~= nil end)
  if value ~= want.value then
    fail(name .. ": " .. want.expr .. " = " .. value .. ", not " .. want.value)
  end
  dap.continue()
  wait(name .. ": the session does not end", function() return state.exit ~= nil and dap.session() == nil end)
  if state.stdout ~= want.stdout or state.exit ~= want.exit then
    fail(string.format("%s: output %q exit %s", name, state.stdout, tostring(state.exit)))
  end
  dap.clear_breakpoints()
  say(string.format("ok %s (adapter %s): stopped at %s:%d, %s = %s, output %q, exit %d; %s",
    name, config.type, want.file, want.line, want.expr, value, state.stdout, state.exit,
    (state.console:match("dapper: breakpoints use [^\n]*") or "no backend line")))
end

case("dapper: current file", { file = "prog.py", line = 3, expr = "y", value = "42", stdout = "y is 42\n", exit = 0 })
case("dapper: module", {
  file = "pkg/tool.py", line = 6, expr = "total", value = "2", stdout = "args ['one', 'two']\n", exit = 2,
})
case("dapper (TCP): current file, stop on entry", {
  file = "prog.py", line = 3, expr = "x * 2", value = "80", stdout = "y is 42\n", exit = 0, entry = true,
})
say("nvim-dap check: all passed")
vim.cmd("qall!")
