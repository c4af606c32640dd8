"""(d) The web UI behind nginx under /loadgen/ (as the OpenTelemetry Demo's frontend proxy
serves it): the page works and every request it makes stays under the prefix."""
import unittest

from e2e_harness import E2ETestCase, Nginx

LOCATION = """location /loadgen/ {{
            proxy_pass http://127.0.0.1:{port}/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }}"""


class BehindNginx(E2ETestCase):
    def test_page_under_loadgen_prefix(self):
        lg = self.web()
        nginx = Nginx(server_conf=LOCATION.format(port=lg.port)).start()
        self.addCleanup(nginx.stop)
        self.run_scenario("proxy", nginx.url("/loadgen/"))


if __name__ == "__main__":
    unittest.main()
