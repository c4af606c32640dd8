"""shopsim against python's http.client: every shop route's answers and rejections, the
payment service's card checks, trace-header counting, the OFREP endpoint and flag-file
reloading, latency and error injection, and a clean exit on SIGTERM/SIGINT."""

import http.client
import json
import os
import signal
import socket
import tempfile
import time
import unittest

from harness import wait_for
from shopsim_harness import Shopsim, elapsed, int_flag, shopsim_bin, write_flags

PRODUCT_IDS = ["0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ",
               "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z", "HQTGWGPNH4"]
CATEGORIES = {"binoculars", "telescopes", "accessories", "assembly", "travel", "books"}
VISA = "4432-8015-6152-0454"
MASTERCARD = "5555 5555 5555 4444"
MASTERCARD_2 = "2223003122003222"
AMEX = "378282246310005"
BAD_LUHN = "4432-8015-6152-0455"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def person(user_id, number=VISA, year=None, month=12, **overrides):
    body = {
        "userId": user_id,
        "userCurrency": "USD",
        "email": "ada@example.org",
        "address": {"streetAddress": "1 Observatory Road", "city": "Greenwich",
                    "state": "London", "country": "United Kingdom", "zipCode": "SE10 8XJ"},
        "creditCard": {"creditCardNumber": number, "creditCardCvv": 672,
                       "creditCardExpirationYear": year or time.gmtime().tm_year + 3,
                       "creditCardExpirationMonth": month},
    }
    body.update(overrides)
    return body


def add_item(user, product="2ZYFJ3GM2N", quantity=2):
    return {"item": {"productId": product, "quantity": quantity}, "userId": user}


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class ShopRoutes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.flags_dir = tempfile.TemporaryDirectory(prefix="shopsim-flags-")
        cls.flags_path = os.path.join(cls.flags_dir.name, "flags.json")
        write_flags(cls.flags_path, {
            "loadGeneratorFloodHomepage": int_flag("off", on=100, off=0),
            "disabledFlag": {"state": "DISABLED", "variants": {"on": True}, "defaultVariant": "on"},
        })
        cls.s = Shopsim("--seed", "7", flags=cls.flags_path).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.flags_dir.cleanup()

    def setUp(self):
        self.s.reset()

    def assert_rejected(self, status, body, field, route):
        self.assertEqual(status, 400, body)
        self.assertTrue(body["error"].startswith(field + ":"), body)
        self.assertGreaterEqual(self.s.stats()["routes"][route]["rejected"], 1)

    def test_index(self):
        status, headers, body = self.s.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn(b"<html", body)

    def test_products(self):
        status, products = self.s.json("GET", "/api/products")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(p["id"] for p in products), sorted(PRODUCT_IDS))
        seen = set()
        for p in products:
            self.assertEqual(set(p), {"id", "name", "description", "picture", "priceUsd",
                                      "categories"})
            self.assertEqual(set(p["priceUsd"]), {"currencyCode", "units", "nanos"})
            self.assertEqual(p["priceUsd"]["currencyCode"], "USD")
            seen.update(p["categories"])
        self.assertEqual(seen, CATEGORIES)
        status, products = self.s.json("GET", "/api/products?currencyCode=EUR")
        self.assertEqual({p["priceUsd"]["currencyCode"] for p in products}, {"EUR"})
        status, body = self.s.json("GET", "/api/products?currencyCode=XXX")
        self.assert_rejected(status, body, "currencyCode", "products")

    def test_product(self):
        status, headers, raw = self.s.request("GET", "/api/products/2ZYFJ3GM2N")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        p = json.loads(raw)
        self.assertEqual(p["id"], "2ZYFJ3GM2N")
        self.assertEqual(p["name"], "Roof Binoculars")
        self.assertEqual(p["picture"], "RoofBinoculars.jpg")
        status, _ = self.s.json("GET", "/api/products/NOPE000000")
        self.assertEqual(status, 404)
        self.assertEqual(self.s.stats()["routes"]["product"],
                         {"requests": 2, "rejected": 1, "errors": 0})

    def test_recommendations(self):
        status, recs = self.s.json("GET", "/api/recommendations?productIds=2ZYFJ3GM2N"
                                   "&sessionId=abc&currencyCode=USD")
        self.assertEqual(status, 200)
        self.assertTrue(0 < len(recs) <= 4)
        self.assertNotIn("2ZYFJ3GM2N", [p["id"] for p in recs])
        status, recs = self.s.json("GET", "/api/recommendations?productIds=2ZYFJ3GM2N"
                                   "&productIds=0PUK6V6EV0")
        self.assertTrue(set(p["id"] for p in recs).isdisjoint({"2ZYFJ3GM2N", "0PUK6V6EV0"}))
        status, body = self.s.json("GET", "/api/recommendations")
        self.assert_rejected(status, body, "productIds", "recommendations")
        status, body = self.s.json("GET", "/api/recommendations?productIds=BOGUS")
        self.assert_rejected(status, body, "productIds", "recommendations")

    def test_ads(self):
        for path in ("/api/data?contextKeys=telescopes", "/api/data/?contextKeys=None",
                     "/api/data/?contextKeys=unknown", "/api/data/?contextKeys=books,travel",
                     "/api/data/?contextKeys=books&contextKeys=travel", "/api/data/"):
            status, ads = self.s.json("GET", path)
            self.assertEqual(status, 200, path)
            self.assertTrue(ads, path)
            for ad in ads:
                self.assertEqual(set(ad), {"redirectUrl", "text"})
        _, ads = self.s.json("GET", "/api/data/?contextKeys=books,travel")
        self.assertEqual(len(ads), 4)
        self.assertEqual(self.s.stats()["routes"]["ads"]["requests"], 7)

    def test_cart_roundtrip(self):
        status, cart = self.s.json("POST", "/api/cart", json_body=add_item("u1", quantity=2))
        self.assertEqual(status, 200)
        self.assertEqual(cart["userId"], "u1")
        self.assertEqual([(i["productId"], i["quantity"]) for i in cart["items"]],
                         [("2ZYFJ3GM2N", 2)])
        self.s.json("POST", "/api/cart", json_body=add_item("u1", quantity=3))
        status, cart = self.s.json("GET", "/api/cart?sessionId=u1&currencyCode=CHF")
        self.assertEqual(status, 200)
        self.assertEqual(cart["items"][0]["quantity"], 5)
        self.assertEqual(cart["items"][0]["product"]["priceUsd"]["currencyCode"], "CHF")
        status, cart = self.s.json("GET", "/api/cart")
        self.assertEqual((status, cart), (200, {"userId": "", "items": []}))
        status, _, body = self.s.request("DELETE", "/api/cart", json_body={"userId": "u1"})
        self.assertEqual((status, body), (204, b""))
        _, cart = self.s.json("GET", "/api/cart?sessionId=u1")
        self.assertEqual(cart["items"], [])

    def test_cart_rejections(self):
        cases = [
            ({"item": {"productId": "NOPE", "quantity": 1}, "userId": "u"}, "item.productId"),
            ({"item": {"productId": "2ZYFJ3GM2N", "quantity": 0}, "userId": "u"}, "item.quantity"),
            ({"item": {"productId": "2ZYFJ3GM2N", "quantity": 101}, "userId": "u"},
             "item.quantity"),
            ({"item": {"productId": "2ZYFJ3GM2N", "quantity": "2"}, "userId": "u"},
             "item.quantity"),
            ({"item": {"productId": "2ZYFJ3GM2N", "quantity": 1.5}, "userId": "u"},
             "item.quantity"),
            ({"item": {"productId": "2ZYFJ3GM2N", "quantity": 1}}, "userId"),
            ({"item": {"productId": "2ZYFJ3GM2N", "quantity": 1}, "userId": ""}, "userId"),
            ({"userId": "u"}, "item"),
            ([1, 2], "body"),
        ]
        for body, field in cases:
            status, answer = self.s.json("POST", "/api/cart", json_body=body)
            self.assert_rejected(status, answer, field, "cart_post")
        status, answer = self.s.json("POST", "/api/cart", body="{not json",
                                     headers={"Content-Type": "application/json"})
        self.assert_rejected(status, answer, "body", "cart_post")
        status, answer = self.s.json("POST", "/api/cart", body=json.dumps(add_item("u")),
                                     headers={"Content-Type": "text/plain"})
        self.assert_rejected(status, answer, "Content-Type", "cart_post")
        status, answer = self.s.json("DELETE", "/api/cart", json_body={"user": "u"})
        self.assert_rejected(status, answer, "userId", "cart_delete")
        self.assertEqual(self.s.stats()["routes"]["cart_post"]["rejected"], len(cases) + 2)
        _, rejections = self.s.json("GET", "/__last_rejections")
        self.assertEqual(len(rejections), len(cases) + 3)
        self.assertEqual(rejections[-1]["route"], "cart_delete")
        self.assertIn('"user"', rejections[-1]["body"])

    def checkout(self, user, card=VISA, prefill=True, query="", **kw):
        if prefill:
            self.s.json("POST", "/api/cart", json_body=add_item(user, "2ZYFJ3GM2N", 2))
            self.s.json("POST", "/api/cart", json_body=add_item(user, "HQTGWGPNH4", 1))
        return self.s.json("POST", "/api/checkout" + query, json_body=person(user, card, **kw))

    def test_checkout_valid_cards(self):
        for i, card in enumerate((VISA, MASTERCARD, MASTERCARD_2)):
            status, order = self.checkout(f"buyer{i}", card, query="?currencyCode=EUR")
            self.assertEqual(status, 200, order)
            self.assertEqual(set(order), {"orderId", "shippingTrackingId", "shippingCost",
                                          "shippingAddress", "items"})
            self.assertEqual(order["shippingCost"]["currencyCode"], "EUR")
            self.assertEqual(order["shippingAddress"]["zipCode"], "SE10 8XJ")
            self.assertEqual(sorted((l["item"]["productId"], l["item"]["quantity"])
                                    for l in order["items"]),
                             [("2ZYFJ3GM2N", 2), ("HQTGWGPNH4", 1)])
            for line in order["items"]:
                self.assertEqual(line["cost"]["currencyCode"], "EUR")
            # The cart is emptied: a second checkout fails.
            status, body = self.checkout(f"buyer{i}", card, prefill=False)
            self.assert_rejected(status, body, "userId", "checkout")
        status, order = self.checkout("buyer-usd", VISA)
        self.assertEqual(order["shippingCost"]["currencyCode"], "USD")

    def test_checkout_card_rejections(self):
        year = time.gmtime().tm_year
        cases = [
            (dict(card=BAD_LUHN), "creditCard.creditCardNumber", "Luhn"),
            (dict(card=AMEX), "creditCard.creditCardNumber", "Visa or MasterCard"),
            (dict(card="4432x8015"), "creditCard.creditCardNumber", "digits"),
            (dict(year=year - 1, month=12), "creditCard.creditCardExpirationYear", "expired"),
            (dict(month=13), "creditCard.creditCardExpirationMonth", ""),
        ]
        if time.gmtime().tm_mon > 1:
            cases.append((dict(year=year, month=time.gmtime().tm_mon - 1),
                          "creditCard.creditCardExpirationYear", "expired"))
        for i, (kw, field, words) in enumerate(cases):
            status, body = self.checkout(f"card{i}", **kw)
            self.assert_rejected(status, body, field, "checkout")
            self.assertIn(words, body["error"])
        # This month is still valid.
        status, _ = self.checkout("card-now", year=year, month=time.gmtime().tm_mon)
        self.assertEqual(status, 200)

    def test_checkout_field_rejections(self):
        def with_card(**fields):
            p = person("u")
            p["creditCard"].update(fields)
            return p["creditCard"]

        cases = [
            ({"userId": ""}, "userId"),
            ({"userCurrency": "XYZ"}, "userCurrency"),
            ({"email": "nobody"}, "email"),
            ({"address": {"streetAddress": "x", "city": "y", "state": "z", "country": "c",
                          "zipCode": 94043}}, "address.zipCode"),
            ({"address": {"city": "y", "state": "z", "country": "c", "zipCode": "1"}},
             "address.streetAddress"),
            ({"creditCard": with_card(creditCardCvv="672")}, "creditCard.creditCardCvv"),
            ({"creditCard": with_card(creditCardExpirationYear="2030")},
             "creditCard.creditCardExpirationYear"),
            ({"creditCard": with_card(creditCardNumber=4432801561520454)},
             "creditCard.creditCardNumber"),
        ]
        for i, (override, field) in enumerate(cases):
            user = f"field{i}"
            self.s.json("POST", "/api/cart", json_body=add_item(user))
            body = person(user)
            body.update(override)
            if "userId" in override:
                body["userId"] = override["userId"]
            status, answer = self.s.json("POST", "/api/checkout", json_body=body)
            self.assert_rejected(status, answer, field, "checkout")
        status, answer = self.checkout("emptycart", prefill=False)
        self.assert_rejected(status, answer, "userId", "checkout")
        self.assertIn("empty", answer["error"])
        status, answer = self.checkout("badq", query="?currencyCode=ABC")
        self.assert_rejected(status, answer, "currencyCode", "checkout")

    def test_405_and_404(self):
        for method, path, allow in (("POST", "/", "GET"), ("DELETE", "/api/products", "GET"),
                                    ("PUT", "/api/cart", "GET, POST, DELETE"),
                                    ("GET", "/api/checkout", "POST"),
                                    ("POST", "/api/products/2ZYFJ3GM2N", "GET")):
            status, headers, _ = self.s.request(method, path, body="{}" if method != "GET" else None)
            self.assertEqual(status, 405, (method, path))
            self.assertEqual(headers["allow"], allow)
        for path in ("/nope", "/api", "/api/products/a/b", "/api/cart/x"):
            status, _, _ = self.s.request("GET", path)
            self.assertEqual(status, 404, path)
        other = self.s.stats()["routes"]["other"]
        self.assertEqual(other, {"requests": 9, "rejected": 9, "errors": 0})

    def test_trace_headers(self):
        good_baggage = "session.id=3f2e0c1a-1111-4222-8333-444455556666,synthetic_request=true"
        sends = [
            ({"traceparent": TRACEPARENT, "baggage": good_baggage}, True, True),
            # future version with extra fields: parsed leniently (Trace Context §3.2.4)
            ({"traceparent": "01-" + "a" * 32 + "-" + "b" * 16 + "-01-extra"}, True, None),
            ({"traceparent": TRACEPARENT.upper()}, False, None),
            ({"traceparent": "00-" + "0" * 32 + "-b7ad6b7169203331-01"}, False, None),
            ({"traceparent": "00-0af7651916cd43dd8448eb211c80319c-" + "0" * 16 + "-01"}, False, None),
            ({"traceparent": "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}, False,
             None),
            ({"traceparent": TRACEPARENT + "-00"}, False, None),  # version 00 is exactly 55
            ({"baggage": "session.id=abc;prop=1;flag, synthetic_request=false"}, None, True),
            ({"baggage": "bad key=1"}, None, False),
            ({"baggage": "novalue"}, None, False),
            ({"baggage": "k=v,,k2=v2"}, None, False),
            ({"baggage": "k=100%"}, None, False),
            ({"baggage": ",".join(f"k{i}=v" for i in range(65))}, None, False),
            ({"baggage": "k=" + "v" * 8200}, None, False),
            ({}, None, None),
        ]
        for headers, _, _ in sends:
            status, _, _ = self.s.request("GET", "/api/products/2ZYFJ3GM2N", headers=headers)
            self.assertEqual(status, 200)
        st = self.s.stats()
        tp = [s[1] for s in sends if s[1] is not None]
        bg = [s[2] for s in sends if s[2] is not None]
        self.assertEqual(st["traceparent"], {"present": len(tp), "valid": sum(tp)})
        self.assertEqual(st["baggage"], {"present": len(bg), "valid": sum(bg), "synthetic": 1,
                                         "session_id": 2})
        self.assertEqual(st["sessions"], 2)
        self.assertEqual(st["trace_ids"], 2)
        self.assertEqual(st["requests_total"], len(sends))
        _, ids = self.s.json("GET", "/__trace_ids")
        self.assertEqual(ids, ["0af7651916cd43dd8448eb211c80319c", "a" * 32])
        # Two traceparent field lines cannot be combined: invalid.
        conn = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=5)
        conn.putrequest("GET", "/")
        conn.putheader("traceparent", TRACEPARENT)
        conn.putheader("traceparent", TRACEPARENT)
        conn.endheaders()
        conn.getresponse().read()
        conn.close()
        st = self.s.stats()
        self.assertEqual(st["traceparent"]["present"] - st["traceparent"]["valid"], len(tp) - 1)

    def test_keep_alive_pipelining_and_limits(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=5)
        for _ in range(5):
            conn.request("GET", "/api/products/2ZYFJ3GM2N")
            self.assertEqual(conn.getresponse().read()[:1], b"{")
        conn.close()
        # Pipelined requests on a raw socket, the last one chunked, then Connection: close.
        with socket.create_connection(("127.0.0.1", self.s.port), timeout=5) as sock:
            body = json.dumps(add_item("pipe"))
            sock.sendall((
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                "POST /api/cart HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Transfer-Encoding: chunked\r\n\r\n{len(body):x}\r\n{body}\r\n0\r\n\r\n"
                "GET /api/cart?sessionId=pipe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            ).encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        self.assertEqual(data.count(b"HTTP/1.1 200 OK"), 3, data)
        # 1 MiB + 1 body → 413; malformed head → 400; oversized head → 431.
        status, _, _ = self.s.request("POST", "/api/cart", body=b"x" * (1024 * 1024 + 1),
                                      headers={"Content-Type": "application/json"})
        self.assertEqual(status, 413)
        for raw, code in ((b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", b"400"),
                          (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 70000 + b"\r\n\r\n",
                           b"431"),
                          (b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", b"505")):
            with socket.create_connection(("127.0.0.1", self.s.port), timeout=5) as sock:
                try:
                    sock.sendall(raw)
                except OSError:
                    pass
                first = sock.recv(64)
            self.assertTrue(first.startswith(b"HTTP/1.1 " + code), first)

    # --- OFREP --------------------------------------------------------------------------
    def test_ofrep(self):
        status, ans = self.s.ofrep("loadGeneratorFloodHomepage")
        self.assertEqual(status, 200)
        self.assertEqual(ans, {"key": "loadGeneratorFloodHomepage", "value": 0, "variant": "off",
                               "reason": "STATIC", "metadata": {}})
        status, ans = self.s.ofrep("loadGeneratorFloodHomepage", body=b"")
        self.assertEqual(status, 200)
        status, ans = self.s.ofrep("missing")
        self.assertEqual((status, ans["key"], ans["errorCode"]), (404, "missing", "FLAG_NOT_FOUND"))
        status, ans = self.s.ofrep("disabledFlag")
        self.assertEqual((status, ans["errorCode"]), (404, "FLAG_NOT_FOUND"))
        self.assertIn("disabled", ans["errorDetails"])
        for bad in (b"{", b"[1]", b'{"context": 3}'):
            status, ans = self.s.ofrep("loadGeneratorFloodHomepage", body=bad)
            self.assertEqual((status, ans["errorCode"]), (400, "INVALID_CONTEXT"), bad)
        _, st = self.s.json("GET", "/__stats", port=self.s.ofrep_port)
        self.assertGreaterEqual(st["evaluations"]["loadGeneratorFloodHomepage"], 2)
        self.assertEqual(st["evaluations"]["missing"], 1)

    def test_ofrep_post_flags_replaces(self):
        try:
            status, _ = self.s.json("POST", "/__flags", port=self.s.ofrep_port,
                                    json_body={"flags": {"x": int_flag("on", on=7, off=0)}})
            self.assertEqual(status, 200)
            self.assertEqual(self.s.ofrep("x")[1]["value"], 7)
            self.assertEqual(self.s.ofrep("loadGeneratorFloodHomepage")[0], 404)
            status, _ = self.s.json("POST", "/__flags", port=self.s.ofrep_port,
                                    json_body={"flags": {"x": {"state": "ON"}}})
            self.assertEqual(status, 400)
            self.assertEqual(self.s.ofrep("x")[1]["value"], 7)
        finally:
            write_flags(self.flags_path, {
                "loadGeneratorFloodHomepage": int_flag("off", on=100, off=0),
                "disabledFlag": {"state": "DISABLED", "variants": {"on": True},
                                 "defaultVariant": "on"},
            })
            wait_for(lambda: self.s.ofrep("loadGeneratorFloodHomepage")[0] == 200, 5,
                     what="flag file reload")


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class ShopOptions(unittest.TestCase):
    def test_flag_file_change_is_picked_up(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "flags.json")
            write_flags(path, {"loadGeneratorFloodHomepage": int_flag("off", on=100, off=0)})
            with Shopsim(flags=path) as s:
                self.assertEqual(s.ofrep("loadGeneratorFloodHomepage")[1]["value"], 0)
                write_flags(path, {"loadGeneratorFloodHomepage": int_flag("on", on=100, off=0)})
                wait_for(lambda: s.ofrep("loadGeneratorFloodHomepage")[1].get("value") == 100, 5,
                         what="flag value 100")
                write_flags(path, "{ not json")
                wait_for(lambda: "keeping the previous flags" in s.stderr_text(), 5,
                         what="malformed-file log line")
                self.assertEqual(s.ofrep("loadGeneratorFloodHomepage")[1]["value"], 100)

    def test_default_flag_file(self):
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "tools", "shopsim", "flags.json")
        with Shopsim(flags=path) as s:
            self.assertEqual(s.ofrep("loadGeneratorFloodHomepage")[1]["value"], 0)
            self.assertEqual(s.ofrep("loadGeneratorTraffic")[1]["value"], 1)
            self.assertEqual(s.ofrep("loadGeneratorVUs")[1]["value"], 0)

    def test_latency(self):
        with Shopsim("--latency", "product=400ms", "--latency", "index=0s") as s:
            s.request("GET", "/")  # warm-up
            self.assertGreaterEqual(elapsed(lambda: s.request("GET", "/api/products/2ZYFJ3GM2N")),
                                    0.39)
            self.assertLess(elapsed(lambda: s.request("GET", "/")), 0.3)

    def test_latency_does_not_block_other_connections(self):
        with Shopsim("--latency", "checkout=1s") as s:
            conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
            conn.request("POST", "/api/checkout", body="{}",
                         headers={"Content-Type": "application/json"})
            self.assertLess(elapsed(lambda: s.request("GET", "/")), 0.5)
            self.assertEqual(conn.getresponse().status, 400)
            conn.close()

    def test_error_rate(self):
        with Shopsim("--error-rate", "products=1.0", "--error-rate", "index=0", "--seed", "3") as s:
            for _ in range(5):
                self.assertEqual(s.request("GET", "/api/products")[0], 500)
            self.assertEqual(s.request("GET", "/")[0], 200)
            self.assertEqual(s.stats()["routes"]["products"],
                             {"requests": 5, "rejected": 0, "errors": 5})

    def test_bad_options(self):
        import subprocess
        for args in (["--latency", "nowhere=1s"], ["--latency", "index=abc"],
                     ["--error-rate", "index=1.5"], ["--threads", "0"]):
            r = subprocess.run([shopsim_bin()] + args, capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn("shopsim:", r.stderr)
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            f.write("{}")
            f.flush()
            r = subprocess.run([shopsim_bin(), "--flags", f.name], capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(r.returncode, 1, r.stderr)

    def test_sigterm_and_sigint_exit_zero_quickly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            s = Shopsim("--threads", "2").start()
            idle = socket.create_connection(("127.0.0.1", s.port))  # an open keep-alive conn
            self.assertEqual(s.request("GET", "/")[0], 200)
            t0 = time.monotonic()
            code = s.stop(sig, timeout=5)
            idle.close()
            self.assertEqual(code, 0, sig)
            self.assertLess(time.monotonic() - t0, 2.0)


if __name__ == "__main__":
    unittest.main()
