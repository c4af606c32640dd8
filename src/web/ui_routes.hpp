// The web UI's own routes beside Locust's API (docs/web-ui.md): the page (GET /), its embedded
// files (GET /assets/<file>), the run's time series (GET /stats/history?since=N) and facts
// about this loadgen (GET /stats/loadgen: version, target, who controls the user count).
// Thread: the handlers run on the server's loop thread.
#pragma once

#include <memory>
#include <string>

#include "engine/runner.hpp"
#include "server/router.hpp"
#include "stats/history.hpp"
#include "web/api.hpp"

namespace loadgen::web {

// `runner` must outlive the router.
void add_ui_routes(server::Router& router, engine::Runner& runner,
                   std::shared_ptr<const ApiSettings> settings);

// The body of GET /stats/history: {"next", "replace", "points": [...]} (percentiles null when
// there was no request).
std::string history_json(const stats::History::Slice& slice);

// The body of GET /stats/loadgen for a snapshot.
std::string loadgen_json(const engine::RunnerSnapshot& snap, const ApiSettings& s);

}  // namespace loadgen::web
