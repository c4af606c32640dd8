"""(e) --web-auth user:pass: 401 without credentials, the page works with them."""
import unittest

from e2e_harness import E2ETestCase

AUTH = "e2e-user:s3cret pass"


class WebAuth(E2ETestCase):
    def test_basic_auth(self):
        lg = self.web("--web-auth", AUTH)
        self.run_scenario("auth", lg.url, auth=AUTH)


if __name__ == "__main__":
    unittest.main()
