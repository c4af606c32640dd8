-- The Lua scenario API (docs/scenario-lua.md), run in every interpreter before the scenario file.
-- Called with (C, script_dir): C holds the C functions of bindings.cpp. Returns the table the C++
-- side uses: compile() (the user classes as plain data plus the task functions by slot),
-- new_self(class), the control-flow sentinels and the error metatable.
local C, script_dir = ...
local api = {}

local type, error, pairs, ipairs, setmetatable, getmetatable, tostring, select, unpack =
  type, error, pairs, ipairs, setmetatable, getmetatable, tostring, select, unpack
local dgetinfo, dgetlocal, dgetupvalue, traceback = debug.getinfo, debug.getlocal,
  debug.getupvalue, debug.traceback

-- Control flow (Locust's StopUser, RescheduleTaskImmediately, TaskSet.interrupt): raised as error
-- values. reschedule() skips the wait (Locust's RescheduleTask would still wait).
local function sentinel(name) return setmetatable({}, {__tostring = function() return name end}) end
local STOP, RESCHEDULE = sentinel("StopUser"), sentinel("RescheduleTask")
local INTERRUPT, INTERRUPT_WAIT = sentinel("InterruptTaskSet"), sentinel("InterruptTaskSet")
local CONTROL = {[STOP] = true, [RESCHEDULE] = true, [INTERRUPT] = true, [INTERRUPT_WAIT] = true}
api.STOP, api.RESCHEDULE, api.INTERRUPT, api.INTERRUPT_WAIT = STOP, RESCHEDULE, INTERRUPT,
  INTERRUPT_WAIT
-- A task error caught on its way through span(): message and traceback from where it happened.
local ERR_MT = {__tostring = function(e) return e.tb end}
api.ERR_MT = ERR_MT

local WAIT_MT, TASK_MT, SET_MT, USER_MT = {}, {}, {}, {}
local classes = {}
local serial = 0

local function line_of_caller(level)
  local i = dgetinfo(level + 1, "l")
  return i and i.currentline or 0
end

-- ---- wait times (Locust's user/wait_time.py) ----
local function wait_fn(kind, two)
  return function(a, b)
    if type(a) ~= "number" or (two and type(b) ~= "number") then
      error(kind .. ": expects " .. (two and "two numbers" or "a number"), 2)
    end
    if not two then b = a end
    return setmetatable({kind = kind, a = a, b = b, line = line_of_caller(2)}, WAIT_MT)
  end
end
between = wait_fn("between", true)
constant = wait_fn("constant", false)
constant_pacing = wait_fn("constant_pacing", false)
constant_throughput = wait_fn("constant_throughput", false)

-- ---- user classes, task sets, tasks ----
-- Names of the functions and task sets visible to the caller of user{}/taskset{} (its locals
-- and upvalues): a task's name is the name it has there (globals are looked up at compile time).
local function caller_names(level)
  local names = {}
  local i = 1
  while true do
    local n, v = dgetlocal(level + 1, i)
    if not n then break end
    if names[v] == nil and (type(v) == "function" or getmetatable(v) == SET_MT) then
      names[v] = n
    end
    i = i + 1
  end
  local f = dgetinfo(level + 1, "f")
  if f and f.func then
    local j = 1
    while true do
      local n, v = dgetupvalue(f.func, j)
      if not n then break end
      if names[v] == nil and (type(v) == "function" or getmetatable(v) == SET_MT) then
        names[v] = n
      end
      j = j + 1
    end
  end
  return names
end

local function check_weight(w, what, level)
  if type(w) ~= "number" or w < 1 or w % 1 ~= 0 or w > 1e6 then
    error(what .. ": weight must be a positive integer, got " .. tostring(w), level + 1)
  end
end

local function check_tags(tags, what, level)
  if tags == nil then return {} end
  if type(tags) ~= "table" then error(what .. ": tags must be a list of strings", level + 1) end
  for _, t in ipairs(tags) do
    if type(t) ~= "string" or t == "" then
      error(what .. ": tags must be a list of non-empty strings", level + 1)
    end
  end
  return tags
end

local function def_line(target)
  if type(target) == "function" then
    local i = dgetinfo(target, "S")
    return i.linedefined or 0
  end
  return target.__line
end

-- A function's last line and code: its bytecode, number and string constants (not
-- string.dump, whose constant tables come out in an order that differs between interpreters),
-- the same in every interpreter. Without jit.util: the last line only.
local has_ju, ju = pcall(require, "jit.util")
local function fn_code(f)
  if type(f) ~= "function" then return {0, ""} end
  local last = dgetinfo(f, "S").lastlinedefined or 0
  if not has_ju or dgetinfo(f, "S").what == "C" then return {last, ""} end
  local parts = {}
  local pc = 1
  while true do
    local ins = ju.funcbc(f, pc)
    if not ins then break end
    parts[#parts + 1] = ins
    pc = pc + 1
  end
  local i = 0
  while true do
    local k = ju.funck(f, i)
    if k == nil then break end
    parts[#parts + 1] = tostring(k)
    i = i + 1
  end
  i = -1
  while true do
    local k = ju.funck(f, i)
    if k == nil then break end
    local t = type(k)
    parts[#parts + 1] = t == "string" and ("s" .. #k .. ":" .. k) or t
    i = i - 1
  end
  return {last, table.concat(parts, ",")}
end

local function is_target(v) return type(v) == "function" or getmetatable(v) == SET_MT end

-- tasks = {fn, fn2} (weight 1 each, in order), {[fn] = weight, [set] = weight}, or a mix with
-- task{fn, weight=, name=, tags=} entries. Hash entries follow the list entries, in the order
-- their functions (sets) are defined in the file, so every interpreter sees the same order.
local function norm_tasks(tasks, what, level)
  if type(tasks) ~= "table" then error(what .. ": tasks must be a table", level + 1) end
  local out = {}
  local n = #tasks
  for i = 1, n do
    local v = tasks[i]
    if getmetatable(v) == TASK_MT then
      out[#out + 1] = {target = v.fn, weight = v.weight, name = v.name, tags = v.tags}
    elseif is_target(v) then
      out[#out + 1] = {target = v, weight = 1}
    else
      error(what .. ": tasks[" .. i .. "] must be a function, a taskset or a task{}, got " ..
              type(v), level + 1)
    end
  end
  local hash = {}
  for k, v in pairs(tasks) do
    if not (type(k) == "number" and k >= 1 and k <= n and k % 1 == 0) then
      if not is_target(k) then
        error(what .. ": a key of tasks must be a function or a taskset, got " .. type(k) ..
                " (" .. tostring(k) .. ")", level + 1)
      end
      check_weight(v, what, level + 1)
      hash[#hash + 1] = {target = k, weight = v, line = def_line(k),
                         serial = getmetatable(k) == SET_MT and k.__serial or 0,
                         code = fn_code(k)}
    end
  end
  -- pairs() order differs between interpreters (pointer hashes): sort by where and what the
  -- entry is, never by identity. Functions on the same line go by their last line and their
  -- code; functions alike in all of that (closures made in a loop) cannot be told apart.
  local function before(a, b)
    if a.line ~= b.line then return a.line < b.line end
    if a.serial ~= b.serial then return a.serial < b.serial end
    if a.code[1] ~= b.code[1] then return a.code[1] < b.code[1] end
    return a.code[2] < b.code[2]
  end
  table.sort(hash, before)
  for i = 2, #hash do
    if not before(hash[i - 1], hash[i]) then
      error(what .. ": two task functions of tasks = {[fn] = weight} defined on line " ..
              hash[i].line .. " have the same code, so their order differs between " ..
              "interpreters: list them (tasks = {task{fn, weight = n}, ...})", level + 1)
    end
  end
  for _, e in ipairs(hash) do out[#out + 1] = e end
  if #out == 0 then error(what .. ": tasks is empty", level + 1) end
  return out
end

local function check_fn(v, field, what, level)
  if v ~= nil and type(v) ~= "function" then
    error(what .. ": " .. field .. " must be a function", level + 1)
  end
end

local function check_wait(v, what, level)
  if v ~= nil and getmetatable(v) ~= WAIT_MT then
    error(what .. ": wait_time must be between(a, b), constant(s), constant_pacing(s) or " ..
            "constant_throughput(n)", level + 1)
  end
end

function task(spec)
  if type(spec) ~= "table" then error("task: expects a table: task{fn, weight = n}", 2) end
  local fn = spec[1] or spec.fn
  if not is_target(fn) then error("task: the first entry must be a function or a taskset", 2) end
  if spec.weight ~= nil then check_weight(spec.weight, "task", 2) end
  if spec.name ~= nil and (type(spec.name) ~= "string" or spec.name == "") then
    error("task: name must be a non-empty string", 2)
  end
  return setmetatable({fn = fn, weight = spec.weight or 1, name = spec.name,
                       tags = check_tags(spec.tags, "task", 2)}, TASK_MT)
end

function taskset(spec)
  if type(spec) ~= "table" then error("taskset: expects a table: taskset{tasks = {...}}", 2) end
  check_wait(spec.wait_time, "taskset", 2)
  check_fn(spec.on_start, "on_start", "taskset", 2)
  check_fn(spec.on_stop, "on_stop", "taskset", 2)
  if spec.name ~= nil and type(spec.name) ~= "string" then error("taskset: name must be a string", 2) end
  serial = serial + 1
  spec.__tasks = norm_tasks(spec.tasks, "taskset", 2)
  spec.__tags = check_tags(spec.tags, "taskset", 2)
  spec.__names = caller_names(2)
  spec.__line = line_of_caller(2)
  spec.__serial = serial
  return setmetatable(spec, SET_MT)
end

-- What every user's `self` reaches through its class: the client and the control flow.
local client = {}
local request = C.request
-- self.client:get(url) as in Lua; self.client.get(url) (Locust's spelling) works too.
for _, m in ipairs({"get", "post", "put", "delete", "patch", "head", "options"}) do
  local M = m:upper()
  client[m] = function(c, url, opts)
    if c ~= client then url, opts = c, url end
    return request(M, url, opts)
  end
end
function client.request(c, method, url, opts)
  if c ~= client then method, url, opts = c, method, url end
  return request(method, url, opts)
end
local base = {client = client}
function base.stop() error(STOP, 0) end
function base.interrupt(_, reschedule)
  if reschedule == false then error(INTERRUPT_WAIT, 0) end
  error(INTERRUPT, 0)
end
base.session_id = C.session_id
base.stopping = C.stopping
USER_MT.__index = base

local known = {name = true, weight = true, fixed_count = true, host = true, wait_time = true,
               on_start = true, on_stop = true, tasks = true, tags = true, sequential = true}

function user(spec)
  if type(spec) ~= "table" then error("user: expects a table: user{tasks = {...}}", 2) end
  if getmetatable(spec) ~= nil then error("user: this table is already a user class", 2) end
  local what = "user" .. (type(spec.name) == "string" and (" " .. spec.name) or "")
  if spec.name ~= nil and (type(spec.name) ~= "string" or spec.name == "") then
    error("user: name must be a non-empty string", 2)
  end
  if spec.weight ~= nil then check_weight(spec.weight, what, 2) end
  local fc = spec.fixed_count
  if fc ~= nil and (type(fc) ~= "number" or fc < 0 or fc % 1 ~= 0) then
    error(what .. ": fixed_count must be a non-negative integer", 2)
  end
  local host = spec.host
  if host ~= nil and (type(host) ~= "string" or not (host:match("^https?://[^/]"))) then
    error(what .. ": host must be an absolute http(s):// URL, got " .. tostring(host), 2)
  end
  check_wait(spec.wait_time, what, 2)
  check_fn(spec.on_start, "on_start", what, 2)
  check_fn(spec.on_stop, "on_stop", what, 2)
  if spec.tasks == nil then error(what .. ": tasks is missing", 2) end
  spec.__tasks = norm_tasks(spec.tasks, what, 2)
  spec.__tags = check_tags(spec.tags, what, 2)
  spec.__names = caller_names(2)
  spec.__line = line_of_caller(2)
  spec.__self_mt = {__index = spec}
  classes[#classes + 1] = spec
  return setmetatable(spec, USER_MT)
end

-- ---- inside tasks ----
local function handler(e)
  if CONTROL[e] or getmetatable(e) == ERR_MT then return e end
  local msg = tostring(e)
  return setmetatable({msg = msg, tb = traceback(msg, 2)}, ERR_MT)
end
api.handler = handler

local SPAN_MT = {__index = {}}
function SPAN_MT.__index.set(s, k, v) C.span_set(s.depth, k, v); return s end
function SPAN_MT.__index.error(s, msg) C.span_error(s.depth, msg) end

local function make_span(open)
  return function(name, attrs, fn, ...)
    if type(attrs) == "function" then return make_span(open)(name, nil, attrs, fn, ...) end
    if type(fn) ~= "function" then error("span: expects span(name, [attributes], function)", 2) end
    local depth = open(name, attrs)
    local r = {xpcall(fn, handler, setmetatable({depth = depth}, SPAN_MT), ...)}
    C.span_close(depth, r[1], r[2])
    if not r[1] then error(r[2], 0) end
    return unpack(r, 2, table.maxn(r))
  end
end
span = make_span(C.span_open)
task_span = make_span(C.task_span_open)

local fmt = string.format
local function logger(level)
  local emit, enabled = C.log, C.log_enabled
  return function(m, ...)
    if not enabled(level) then return end
    if select("#", ...) > 0 then m = fmt(m, ...) else m = tostring(m) end
    emit(level, m)
  end
end
log = {debug = logger(0), info = logger(1), warning = logger(2), error = logger(3)}
log.warn = log.warning
baggage = {set = C.baggage_set}
flag = C.flag
sleep = C.sleep
uuid = C.uuid
function reschedule() error(RESCHEDULE, 0) end
-- print() writes to stderr: loadgen's stdout carries --json only.
function print(...)
  local n = select("#", ...)
  local parts = {...}
  for i = 1, n do parts[i] = tostring(parts[i]) end
  io.stderr:write(table.concat(parts, "\t", 1, n), "\n")
end
json = {encode = C.json_encode, decode = C.json_decode}

-- data.json("people.json"): a JSON file relative to the scenario file, read at load time.
local function resolve(path)
  if type(path) ~= "string" then error("data: expects a path", 3) end
  if path:sub(1, 1) == "/" then return path end
  return script_dir .. "/" .. path
end
local function read(path)
  local full = resolve(path)
  local f, err = io.open(full, "rb")
  if not f then error("data: cannot read " .. full .. ": " .. tostring(err), 3) end
  local s = f:read("*a")
  f:close()
  return s
end
data = {}
function data.read(path) return read(path) end
function data.json(path)
  local ok, v = pcall(C.json_decode, read(path))
  if not ok then error("data.json: " .. resolve(path) .. ": " .. tostring(v), 2) end
  return v
end

-- ---- compile: the classes as plain data for the C++ model ----
function api.compile()
  if #classes == 0 then return nil, "no user classes: call user{tasks = {...}}" end
  local gnames = {}
  for k, v in pairs(_G) do
    -- A value under several global names takes the first in byte order (not pairs() order).
    if type(k) == "string" and (gnames[v] == nil or k < gnames[v]) and
        (type(v) == "function" or getmetatable(v) == SET_MT or getmetatable(v) == USER_MT) then
      gnames[v] = k
    end
  end
  local fns = {}
  local function slot(f)
    if f == nil then return 0 end
    fns[#fns + 1] = f
    return #fns
  end
  local function tasks_of(entries, names)
    local out = {}
    for _, e in ipairs(entries) do
      local t = {weight = e.weight, tags = e.tags or {}}
      local target = e.target
      if type(target) == "function" then
        t.name = e.name or names[target] or gnames[target] or ("task@" .. def_line(target))
        t.slot = slot(target)
      else
        t.name = e.name or target.name or names[target] or gnames[target] or
                   ("taskset@" .. target.__line)
        local tags = {}
        for _, x in ipairs(t.tags) do tags[#tags + 1] = x end
        for _, x in ipairs(target.__tags) do tags[#tags + 1] = x end
        t.tags = tags
        t.set = {name = t.name, sequential = target.sequential and true or false,
                 wait = target.wait_time, on_start = slot(target.on_start),
                 on_stop = slot(target.on_stop), tasks = tasks_of(target.__tasks, target.__names)}
      end
      out[#out + 1] = t
    end
    return out
  end
  local out = {}
  for i, c in ipairs(classes) do
    local tasks = tasks_of(c.__tasks, c.__names)
    if #c.__tags > 0 then
      for _, t in ipairs(tasks) do
        local tags = {}
        for _, x in ipairs(t.tags) do tags[#tags + 1] = x end
        for _, x in ipairs(c.__tags) do tags[#tags + 1] = x end
        t.tags = tags
      end
    end
    out[i] = {name = c.name or gnames[c] or ("User" .. i), weight = c.weight or 1,
              fixed_count = c.fixed_count or 0, host = c.host or "", wait = c.wait_time,
              sequential = c.sequential and true or false, on_start = slot(c.on_start),
              on_stop = slot(c.on_stop), tasks = tasks, line = c.__line}
  end
  -- Every slot's function as the C++ side compares it between interpreters (for_thread).
  local sig = {}
  for i, f in ipairs(fns) do
    local c = fn_code(f)
    sig[i] = def_line(f) .. ":" .. c[1] .. ":" .. c[2]
  end
  return out, fns, table.concat(sig, "\n")
end

function api.new_self(i) return setmetatable({}, classes[i].__self_mt) end

return api
