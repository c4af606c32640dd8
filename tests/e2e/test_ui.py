"""The web UI in headless Chromium against loadgen in web mode and shopsim: (a) a run started
from the form fills the table and draws the charts; (b) the edit form changes the user count and
shopsim's session count follows; (c) the stop button stops it and the downloaded CSV equals
/stats/requests; a refused start in #message, the failures tab against a host that refuses
connections; rows link to a slow trace with --trace-link; the thresholds table (--threshold)."""
import os
import tempfile
import unittest

from e2e_harness import E2ETestCase, free_port


class Page(E2ETestCase):
    def test_run_from_the_form_fills_the_table_and_the_charts(self):
        lg = self.web()
        self.run_scenario("run_from_form", lg.url, users=3)

    def test_edit_form_changes_the_users_and_shopsim_follows(self):
        lg = self.web()
        self.run_scenario("resize", lg.url)

    def test_stop_then_the_downloaded_csv_equals_the_api(self):
        lg = self.web()
        self.run_scenario("stop_download", lg.url)

    def test_failures_tab_against_a_refusing_host(self):
        refused = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        lg = self.web(host=refused)
        self.run_scenario("failures", lg.url, refused_url=refused)

    def test_rows_link_to_a_slow_trace(self):
        tmp = tempfile.TemporaryDirectory(prefix="loadgen-e2e-")
        self.addCleanup(tmp.cleanup)
        link = "http://jaeger.test:16686/trace/{trace_id}"
        # Spans to a file: a trace is known only for a request whose span was exported.
        lg = self.web("--trace-link", link, extra_env={
            "OTEL_TRACES_EXPORTER": "otlp", "OTEL_BSP_SCHEDULE_DELAY": "300",
            "LOADGEN_OTLP_TRACES_FILE": os.path.join(tmp.name, "spans.jsonl")})
        self.run_scenario("trace_links", lg.url, trace_link=link)

    def test_thresholds_table(self):
        lg = self.web("--threshold", "p99<60s", "--threshold", "count<1")
        self.run_scenario("thresholds", lg.url)


if __name__ == "__main__":
    unittest.main()
