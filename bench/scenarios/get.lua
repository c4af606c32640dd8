-- bench/vs-wrk --files: the built-in `--scenario get --path /index.html` loop in Lua (each user
-- requests /index.html without waiting; the body is discarded).
local function step(self)
  self.client:get("/index.html")
end

user{
  name = "PathLoopUser",
  wait_time = constant(0),
  tasks = {step},
}
