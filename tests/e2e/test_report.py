"""(g) The HTML report (GET /stats/report) after a run, opened in Chromium: no console errors,
tables present, self-contained; the page's links (a#open-report, a#dl-report) open and download
it."""
import json
import unittest
import urllib.error
import urllib.parse
import urllib.request

from e2e_harness import E2ETestCase, wait_for


def get(url, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Report(E2ETestCase):
    def stopped_run(self):
        """loadgen in web mode after a short run (started and stopped through the API)."""
        lg = self.web()
        status, _ = get(lg.url + "stats/report")
        if status == 404:
            self.skipTest("GET /stats/report is not served by this build (issue 11, h-report)")
        status, body = get(lg.url + "swarm", {"user_count": 3, "spawn_rate": 100,
                                              "host": self.shop.url, "run_time": "180s"})
        self.assertEqual(status, 200, body)

        def requests():
            stats = json.loads(get(lg.url + "stats/requests")[1])
            return next(r for r in stats["stats"] if r["name"] == "Aggregated")["num_requests"]
        wait_for(lambda: requests() >= 30, 45, interval=0.2, what="30 requests")
        self.assertEqual(get(lg.url + "stop")[0], 200)
        wait_for(lambda: json.loads(get(lg.url + "stats/requests")[1])["state"] == "stopped",
                 45, interval=0.2, what="stopped")
        return lg

    def test_report_in_chromium(self):
        self.run_scenario("report", self.stopped_run().url)

    def test_the_page_opens_and_downloads_the_report(self):
        self.run_scenario("report_links", self.stopped_run().url)


if __name__ == "__main__":
    unittest.main()
