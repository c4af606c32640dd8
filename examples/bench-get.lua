-- The benchmark's GET loop (bench/vs-wrk): every user requests / in a loop, without waiting.
-- loadgen -f examples/bench-get.lua -H http://127.0.0.1:8080 -u 50 -t 30s --headless

local function get_root(self)
  self.client:get("/")
end

user{
  name = "PathLoopUser",
  wait_time = constant(0),
  tasks = {get_root},
}
