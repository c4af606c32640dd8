// The generic `get` scenario: every user requests its paths in order, in a loop, waiting
// the configured wait time between requests. The request name is the path.
#include <memory>

#include "scenario/scenario.hpp"

namespace loadgen::scenario {

namespace {

class PathLoopUser final : public User {
 public:
  explicit PathLoopUser(std::shared_ptr<const GetScenarioSettings> s) : s_(std::move(s)) {}

  core::Task<> step() {
    const std::string& path = s_->paths[next_];
    next_ = next_ + 1 == s_->paths.size() ? 0 : next_ + 1;
    client::RequestOptions opts;
    opts.response_body = client::ResponseBody::kDiscard;  // nobody reads it: stream it away
    if (s_->json_body)
      opts.json = s_->body;
    else
      opts.body = s_->body;
    co_await client().request(s_->method, path, opts);
  }

 private:
  std::shared_ptr<const GetScenarioSettings> s_;
  std::size_t next_ = 0;
};

}  // namespace

Scenario make_get_scenario(const GetScenarioSettings& settings) {
  auto s = std::make_shared<const GetScenarioSettings>(settings);
  UserClass cls;
  cls.name = "PathLoopUser";
  cls.weight = 1;
  cls.wait_time = settings.wait_time;
  cls.tasks.push_back(task<PathLoopUser>("step", 1, &PathLoopUser::step));
  cls.tasks.back().tags = {"step"};  // -T/-E: the one task, tagged with its name
  cls.make = [s] { return std::make_unique<PathLoopUser>(s); };
  Scenario sc;
  sc.name = "get";
  sc.user_classes.push_back(std::move(cls));
  return sc;
}

}  // namespace loadgen::scenario
