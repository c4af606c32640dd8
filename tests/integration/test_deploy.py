"""deploy/ without docker or kubectl: the Dockerfile, the Kubernetes manifests and the compose
snippets are parsed and checked against each other, against the demo's load-generator settings,
against the built binary (its shared libraries, its environment variables) and against
docs/deployment.md; deploy/healthcheck.sh is syntax-checked and run against real processes.

What this cannot show (no container runtime here) is listed in docs/deployment.md."""

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import unittest

import yaml  # python3-yaml (scripts/install-deps.sh)

from harness import REPO, free_port, loadgen_bin, run_loadgen, wait_for, port_open, LoadgenProcess

DEPLOY = os.path.join(REPO, "deploy")
DOCKERFILE = os.path.join(DEPLOY, "Dockerfile")
HEALTHCHECK = os.path.join(DEPLOY, "healthcheck.sh")
K8S = os.path.join(DEPLOY, "kubernetes")
COMPOSE = os.path.join(DEPLOY, "compose")
DEPLOYMENT_DOC = os.path.join(REPO, "docs", "deployment.md")

WEB_PORT = 8089
MASTER_PORT = 5557
IMAGE = "loadgen"  # the image every manifest and snippet runs (tag: latest, kustomize may change it)
CHECKED_PREFIXES = ("LOCUST_", "LOADGEN_", "OTEL_", "FLAGD_")

# The demo's load-generator service (../shared/reference/demo.md, the demo's docker-compose.yml,
# .env and Helm values): what the image's defaults and the snippets must keep.
DEMO_ENV = {
    "LOCUST_WEB_HOST": "0.0.0.0",
    "LOCUST_WEB_PORT": "8089",
    "LOCUST_HOST": "http://frontend-proxy:8080",
    "LOCUST_HEADLESS": "false",
    "LOCUST_AUTOSTART": "true",
    "OTEL_SERVICE_NAME": "load-generator",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4317",
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "cumulative",
    "FLAGD_HOST": "flagd",
    "FLAGD_PORT": "8013",
    "FLAGD_OFREP_PORT": "8016",
}

# install-deps.sh packages the image's build does not need: tests, benchmarks, fuzzing, tools.
TEST_ONLY_DEV = {"libgtest-dev", "libgmock-dev", "libbenchmark-dev", "libprotobuf-dev",
                 "libclang-rt-14-dev",
                 "liburing-dev"}  # liburing: bench/uring_probe only
# Sanitizer runtimes appear in `ldd` of an ASan/TSan build, never in the release image.
SANITIZER_LIBS = re.compile(r"^lib(asan|ubsan|tsan|lsan|hwasan)\.so")


# ---- Dockerfile ----------------------------------------------------------------------------

def parse_dockerfile(text):
    """[(INSTRUCTION, arguments, line)] with continuations joined and comment lines dropped
    (inside a continuation too, as Docker does)."""
    out, buf, start = [], "", 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue
        if not buf:
            start = no
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, args = buf.strip().partition(" ")
        out.append((word.upper(), args.strip(), start))
        buf = ""
    if buf:
        raise ValueError(f"Dockerfile ends inside a continuation (line {start})")
    return out


def dockerfile_stages(instructions):
    """[{name, base, ins: [(INSTRUCTION, args, line)]}] (ARGs before the first FROM dropped)."""
    stages = []
    for ins, args, line in instructions:
        if ins == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--platform")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append({"name": name, "base": words[0], "line": line, "ins": []})
        elif stages:
            stages[-1]["ins"].append((ins, args, line))
    return stages


def copy_parts(args):
    """COPY/ADD arguments → (flags, sources, dest)."""
    if args.startswith("["):
        words = json.loads(args)
        flags = {}
    else:
        words, flags = [], {}
        for w in shlex.split(args):
            if w.startswith("--") and not words:
                k, _, v = w[2:].partition("=")
                flags[k] = v
            else:
                words.append(w)
    return flags, words[:-1], words[-1]


def apt_installs(run_args):
    """Packages named by `apt-get install` in a RUN instruction."""
    pkgs = []
    for seg in re.split(r"&&|;|\|\|", run_args):
        words = shlex.split(seg)
        if "apt-get" in words and "install" in words:
            pkgs += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return pkgs


def env_of(stage):
    env = {}
    for ins, args, _ in stage["ins"]:
        if ins != "ENV":
            continue
        words = shlex.split(args)
        if words and "=" not in words[0]:  # legacy ENV KEY value
            env[words[0]] = " ".join(words[1:])
            continue
        for w in words:
            k, _, v = w.partition("=")
            env[k] = v
    return env


def load_dockerfile():
    with open(DOCKERFILE) as f:
        stages = dockerfile_stages(parse_dockerfile(f.read()))
    return stages, stages[-1]


def runtime_uid():
    _, runtime = load_dockerfile()
    users = [args for ins, args, _ in runtime["ins"] if ins == "USER"]
    return users[-1].split(":")[0] if users else None


def install_deps_packages():
    with open(os.path.join(REPO, "scripts", "install-deps.sh")) as f:
        text = f.read()
    body = re.search(r"^pkgs=\((.*?)^\)", text, re.S | re.M).group(1)
    words = []
    for line in body.splitlines():
        words += line.split("#", 1)[0].split()
    return set(words)


def depends_closure(pkgs):
    """The packages apt installs with `pkgs`: their Depends and Pre-Depends, recursively, as
    this machine's dpkg database has them (alternatives: every one named)."""
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        res = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", p],
                             capture_output=True, text=True)
        if res.returncode != 0:
            continue
        for dep in re.split(r"[,|]", res.stdout):
            name = dep.strip().split(" ")[0].split(":")[0]
            if name and name not in seen:
                todo.append(name)
    return seen


def dpkg_package(path):
    """The Debian package that owns a file (merged /usr: /lib and /usr/lib both tried)."""
    cands = [path, os.path.realpath(path)]
    for p in list(cands):
        cands.append(p[4:] if p.startswith("/usr/") else "/usr" + p)
    for p in cands:
        res = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if res.returncode == 0 and res.stdout:
            return res.stdout.split(":", 1)[0].strip()
    return None


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stages, cls.runtime = load_dockerfile()
        cls.by_name = {s["name"]: s for s in cls.stages}

    def ins(self, stage, name):
        return [(args, line) for ins, args, line in stage["ins"] if ins == name]

    def test_stages_are_named_debian_12(self):
        self.assertGreaterEqual(len(self.stages), 2, "multi-stage build expected")
        names = [s["name"] for s in self.stages]
        self.assertNotIn(None, names, "every FROM needs AS <name>")
        self.assertEqual(len(names), len(set(names)), f"duplicate stage names: {names}")
        for s in self.stages:
            self.assertRegex(s["base"], r"^debian:bookworm(-slim)?$",
                             f"line {s['line']}: Debian 12 base expected")
        self.assertEqual(self.runtime["base"], "debian:bookworm-slim")

    def test_copy_from_names_an_earlier_stage_and_sources_exist(self):
        seen = set()
        for s in self.stages:
            for ins, args, line in s["ins"]:
                if ins not in ("COPY", "ADD"):
                    continue
                flags, sources, _ = copy_parts(args)
                if "from" in flags:
                    self.assertIn(flags["from"], seen,
                                  f"line {line}: COPY --from={flags['from']} is not an earlier stage")
                    continue
                for src in sources:
                    self.assertTrue(os.path.exists(os.path.join(REPO, src)),
                                    f"line {line}: {src} is not in the repository")
                    self.assertFalse(src.startswith(("build", "web/node_modules")),
                                     f"line {line}: {src} is a build product")
            seen.add(s["name"])

    def test_build_stage_builds_release_without_tests_and_strips(self):
        build = self.stages[0]
        runs = " ".join(args for args, _ in self.ins(build, "RUN"))
        self.assertIn("scripts/web-deps.sh", runs, "the web UI's assets (uPlot) are needed")
        self.assertRegex(runs, r"cmake --preset release\b[^&]*-DLOADGEN_BUILD_TESTS=OFF")
        self.assertRegex(runs, r"cmake --build --preset release --target loadgen")
        self.assertRegex(runs, r"strip [^&]*build/release/src/app/loadgen")

    def test_build_stage_has_every_build_dependency_of_install_deps(self):
        build_pkgs = set()
        for args, _ in self.ins(self.stages[0], "RUN"):
            build_pkgs.update(apt_installs(args))
        wanted = {p for p in install_deps_packages() if p.endswith("-dev")} - TEST_ONLY_DEV
        wanted |= {"cmake", "ninja-build", "pkg-config", "build-essential", "nodejs", "npm"}
        self.assertEqual(sorted(wanted - build_pkgs), [],
                         "scripts/install-deps.sh build dependencies missing from the build stage "
                         "(a test-only one belongs in TEST_ONLY_DEV)")

    def runtime_packages(self):
        pkgs = []
        for args, _ in self.ins(self.runtime, "RUN"):
            pkgs += apt_installs(args)
        return pkgs

    def test_runtime_packages_exist_in_debian_12(self):
        pkgs = self.runtime_packages()
        self.assertTrue(pkgs, "the runtime stage installs no packages")
        self.assertEqual(len(pkgs), len(set(pkgs)), f"duplicates: {pkgs}")
        self.assertFalse([p for p in pkgs if p.endswith("-dev")], "no -dev package at runtime")
        if shutil.which("dpkg-query") is None:
            self.skipTest("dpkg-query not available: package names not checked")
        # This machine is Debian 12 and runs loadgen: each runtime package is installed here.
        for p in pkgs:
            res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p],
                                 capture_output=True, text=True)
            self.assertIn("install ok installed", res.stdout, f"{p}: not a known Debian 12 package")

    def test_runtime_packages_cover_ldd_of_the_binary(self):
        binary = loadgen_bin()
        if binary is None:
            self.skipTest("loadgen binary not built (set LOADGEN_BIN): the runtime packages "
                          "cannot be compared with ldd")
        if shutil.which("ldd") is None or shutil.which("dpkg") is None:
            self.skipTest("ldd or dpkg missing: the runtime packages cannot be compared")
        res = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30)
        self.assertEqual(res.returncode, 0, res.stderr)
        if any(SANITIZER_LIBS.match(os.path.basename(w)) for w in res.stdout.split()):
            # An ASan/TSan build links more than the image's release build does (libatomic,
            # the sanitizer runtimes): the release build's run of this test is the check.
            self.skipTest("a sanitizer build: not the binary the image ships")
        # What the runtime stage names, and what apt installs with it (libzmq5 brings libsodium,
        # libpgm, libnorm and Kerberos, for example).
        pkgs = depends_closure(self.runtime_packages())
        missing, seen = [], []
        for line in res.stdout.splitlines():
            line = line.strip()
            m = re.match(r"^(\S+) => (/\S+)", line) or re.match(r"^((/\S+))\s+\(", line)
            if not m:
                continue  # linux-vdso.so.1
            soname, path = m.group(1), m.group(2)
            if SANITIZER_LIBS.match(os.path.basename(soname)):
                continue
            pkg = dpkg_package(path)
            self.assertIsNotNone(pkg, f"{path}: no Debian package owns it")
            seen.append(pkg)
            if pkg not in pkgs:
                missing.append(f"{soname} ({pkg})")
        self.assertTrue(seen, res.stdout)
        self.assertEqual(missing, [], "libraries the binary needs that the runtime stage does "
                         "not install")

    def test_runtime_stage(self):
        rt = self.runtime
        exposed = set()
        for args, _ in self.ins(rt, "EXPOSE"):
            exposed.update(int(w.split("/")[0]) for w in args.split())
        self.assertLessEqual({WEB_PORT, MASTER_PORT}, exposed)

        users = self.ins(rt, "USER")
        self.assertTrue(users, "the runtime stage must set USER")
        user = users[-1][0].split(":")[0]
        self.assertRegex(user, r"^[0-9]+$", "a numeric USER lets Kubernetes check runAsNonRoot")
        self.assertNotEqual(int(user), 0, "USER must not be root")

        entry = self.ins(rt, "ENTRYPOINT")
        self.assertEqual(len(entry), 1)
        self.assertEqual(json.loads(entry[0][0]), ["loadgen"], "exec-form ENTRYPOINT [\"loadgen\"]")
        dests = {}
        for args, line in self.ins(rt, "COPY"):
            flags, sources, dest = copy_parts(args)
            dests[dest] = (flags, sources)
        self.assertIn("/usr/local/bin/loadgen", dests, "the binary goes on PATH")
        self.assertEqual(dests["/usr/local/bin/loadgen"][1],
                         ["/src/build/release/src/app/loadgen"])

        checks = self.ins(rt, "HEALTHCHECK")
        self.assertEqual(len(checks), 1, "one HEALTHCHECK")
        cmd = checks[0][0]
        self.assertNotIn("python", cmd.lower())
        m = re.search(r"CMD\s+(\[.*\])\s*$", cmd)
        self.assertIsNotNone(m, f"exec-form HEALTHCHECK CMD expected: {cmd}")
        script = json.loads(m.group(1))[0]
        self.assertIn(script, dests, f"{script} is not copied into the image")
        self.assertEqual(dests[script][1], ["deploy/healthcheck.sh"])

        # Scenario files with the customers file they name relative to themselves.
        self.assertIn("/usr/share/loadgen/examples/", dests)
        for name in os.listdir(os.path.join(REPO, "examples")):
            with open(os.path.join(REPO, "examples", name)) as f:
                for ref in re.findall(r"\.\./[\w./-]+\.(?:json|csv)", f.read()):
                    target = os.path.normpath(os.path.join("/usr/share/loadgen/examples", ref))
                    self.assertIn(target, dests, f"examples/{name} needs {ref}")

    def test_examples_load_from_the_image_layout(self):
        """The runtime stage's COPY --from=build of sources (/src = the repository) replayed into
        a temporary root: every scenario file there loads (`--list`), data files included."""
        if loadgen_bin() is None:
            self.skipTest("loadgen binary not built (set LOADGEN_BIN)")
        root = tempfile.mkdtemp(prefix="loadgen-image-")
        self.addCleanup(shutil.rmtree, root, True)
        for args, line in self.ins(self.runtime, "COPY"):
            flags, sources, dest = copy_parts(args)
            if flags.get("from") != self.stages[0]["name"]:
                continue
            for src in sources:
                rel = os.path.relpath(src, "/src")
                if rel.startswith("build"):
                    continue  # the binary
                here = os.path.join(REPO, rel)
                target = root + dest
                if os.path.isdir(here):
                    shutil.copytree(here, target, dirs_exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    shutil.copy(here, target)
        examples = os.path.join(root, "usr/share/loadgen/examples")
        names = sorted(os.listdir(examples))
        self.assertTrue(names)
        for name in names:
            res = run_loadgen(["-f", os.path.join(examples, name), "--list"], timeout=30)
            self.assertEqual(res.returncode, 0, f"{name}\n{res.describe()}")

    def test_env_defaults_match_the_demo(self):
        env = env_of(self.runtime)
        for k, v in DEMO_ENV.items():
            self.assertEqual(env.get(k), v, k)
        self.assertEqual(env.get("OTEL_EXPORTER_OTLP_PROTOCOL"), "grpc",
                         "the demo's endpoint is its collector's gRPC port")
        self.assertIn("service.criticality=low", env.get("OTEL_RESOURCE_ATTRIBUTES", ""))
        self.assertRegex(env.get("LOCUST_USERS", ""), r"^[1-9][0-9]*$")

    def test_dockerignore_keeps_build_products_out(self):
        with open(DOCKERFILE + ".dockerignore") as f:
            rules = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        self.assertIn("web/node_modules", rules)
        self.assertIn(".git", rules)
        self.assertTrue(any(r.startswith("build") or r == "**/build" for r in rules), rules)


# ---- deploy/healthcheck.sh -----------------------------------------------------------------

def shell_scripts():
    found = []
    for root, _, files in os.walk(DEPLOY):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                head = f.read(64)
            if name.endswith(".sh") or head.startswith(b"#!/bin/bash") or head.startswith(b"#!/bin/sh"):
                found.append(path)
    return found


class HealthcheckTest(unittest.TestCase):
    def run_check(self, pid, env):
        full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOADGEN_HEALTHCHECK_PID": str(pid)}
        full.update(env)
        res = subprocess.run(["bash", HEALTHCHECK], env=full, capture_output=True, text=True,
                             timeout=20)
        return res.returncode, res.stderr

    def test_shell_syntax(self):
        scripts = shell_scripts()
        self.assertIn(HEALTHCHECK, scripts)
        for path in scripts:
            res = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
            self.assertEqual(res.returncode, 0, f"{path}: {res.stderr}")
        self.assertTrue(os.access(HEALTHCHECK, os.X_OK),
                        "the HEALTHCHECK runs the script directly: it must be executable")

    def listener(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        self.addCleanup(s.close)
        return s, s.getsockname()[1]

    def test_worker_needs_its_master_connection(self):
        srv, port = self.listener()
        env = {"LOCUST_MODE_WORKER": "true", "LOCUST_MASTER_NODE_PORT": str(port)}
        rc, err = self.run_check(os.getpid(), env)
        self.assertEqual(rc, 1, "no connection to the master yet: unhealthy")
        self.assertIn("no connection to its master", err)
        c = socket.create_connection(("127.0.0.1", port))
        self.addCleanup(c.close)
        peer, _ = srv.accept()
        self.addCleanup(peer.close)
        rc, err = self.run_check(os.getpid(), env)
        self.assertEqual(rc, 0, err)

    def test_headless_master_needs_its_port_listening(self):
        _, port = self.listener()
        env = {"LOCUST_MODE_MASTER": "true", "LOCUST_HEADLESS": "true",
               "LOCUST_MASTER_BIND_PORT": str(port)}
        rc, err = self.run_check(os.getpid(), env)
        self.assertEqual(rc, 0, err)
        env["LOCUST_MASTER_BIND_PORT"] = str(free_port())
        rc, err = self.run_check(os.getpid(), env)
        self.assertEqual(rc, 1)

    def test_headless_single_node_needs_a_live_process(self):
        rc, err = self.run_check(os.getpid(), {"LOCUST_HEADLESS": "1"})
        self.assertEqual(rc, 0, err)
        child = subprocess.Popen(["sleep", "0"])
        child.wait()
        rc, err = self.run_check(child.pid, {"LOCUST_HEADLESS": "1"})
        self.assertEqual(rc, 1)

    def test_web_mode_connects_to_the_web_port(self):
        rc, err = self.run_check(os.getpid(), {"LOCUST_WEB_PORT": str(free_port())})
        self.assertEqual(rc, 1, "nothing listens on the web port: unhealthy")
        if loadgen_bin() is None:
            self.skipTest("loadgen binary not built (set LOADGEN_BIN)")
        port = free_port()
        # --web-port on the command line wins over LOCUST_WEB_PORT, as in loadgen.
        proc = LoadgenProcess(["--web-host", "127.0.0.1", "--web-port", port,
                               "-H", "http://127.0.0.1:1", "--scenario", "get"],
                              extra_env={"OTEL_SDK_DISABLED": "true", "OTEL_METRICS_EXPORTER": "none",
                                         "OTEL_LOGS_EXPORTER": "none"})
        try:
            wait_for(lambda: port_open(port), 15, what="loadgen's web port")
            rc, err = self.run_check(proc.proc.pid, {"LOCUST_WEB_PORT": str(free_port())})
            self.assertEqual(rc, 0, err)
        finally:
            proc.send_signal(15)
            proc.wait(15)


# ---- Kubernetes -----------------------------------------------------------------------------

DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def kustomizations():
    dirs = []
    for root, _, files in os.walk(K8S):
        if "kustomization.yaml" in files:
            dirs.append(root)
    return sorted(dirs)


def load_kustomization(d):
    with open(os.path.join(d, "kustomization.yaml")) as f:
        kust = yaml.safe_load(f)
    docs = []
    for res in kust.get("resources", []):
        with open(os.path.join(d, res)) as f:
            docs += [(res, doc) for doc in yaml.safe_load_all(f) if doc is not None]
    return kust, docs


def container_env(container, base=None):
    """The container's effective environment: the image's ENV overlaid with its env list,
    $(VAR) references expanded, fieldRefs as placeholders."""
    env = dict(base or {})
    for e in container.get("env", []):
        if "value" in e:
            value = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                           lambda m: env.get(m.group(1), m.group(0)), str(e["value"]))
        else:
            value = {"metadata.name": "load-generator-0", "metadata.namespace": "default"}.get(
                e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath"), "x")
        env[e["name"]] = value
    return env


def quantity(q):
    """CPU cores or memory bytes of a Kubernetes quantity."""
    q = str(q)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    for u, f in sorted(units.items(), key=lambda kv: -len(kv[0])):
        if q.endswith(u):
            return float(q[:-len(u)]) * f
    return float(q)


def labels_match(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


class KubernetesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dirs = kustomizations()
        cls.image_env = env_of(load_dockerfile()[1])

    def test_variants_exist(self):
        names = {os.path.relpath(d, K8S) for d in self.dirs}
        self.assertLessEqual({"single", "distributed"}, names)

    def test_kustomizations_list_every_manifest(self):
        for d in self.dirs:
            kust, _ = load_kustomization(d)
            self.assertEqual(kust.get("kind"), "Kustomization", d)
            listed = set(kust.get("resources", []))
            present = {f for f in os.listdir(d) if f.endswith((".yaml", ".yml"))} - {"kustomization.yaml"}
            self.assertEqual(listed, present, f"{d}: resources vs files")
            self.assertEqual([i.get("name") for i in kust.get("images", [])], [IMAGE], d)

    def each_doc(self):
        for d in self.dirs:
            _, docs = load_kustomization(d)
            for res, doc in docs:
                yield d, res, doc

    def test_every_document_is_named(self):
        n = 0
        for d, res, doc in self.each_doc():
            n += 1
            where = f"{os.path.relpath(d, REPO)}/{res}"
            self.assertIsInstance(doc, dict, where)
            for key in ("apiVersion", "kind"):
                self.assertTrue(doc.get(key), f"{where}: no {key}")
            name = (doc.get("metadata") or {}).get("name")
            self.assertTrue(name, f"{where}: no metadata.name")
            self.assertRegex(name, DNS1123, where)
            self.assertIn((doc["apiVersion"], doc["kind"]),
                          {("apps/v1", "Deployment"), ("v1", "Service")}, where)
        self.assertGreater(n, 0)

    def test_deployments(self):
        uid = int(runtime_uid())
        for d, res, doc in self.each_doc():
            if doc["kind"] != "Deployment":
                continue
            where = f"{os.path.relpath(d, REPO)}/{res}: {doc['metadata']['name']}"
            spec = doc["spec"]
            tmpl = spec["template"]
            sel = spec["selector"]["matchLabels"]
            self.assertTrue(sel, where)
            self.assertTrue(labels_match(sel, tmpl["metadata"]["labels"]),
                            f"{where}: selector does not match the pod labels")
            pod = tmpl["spec"]
            psc = pod.get("securityContext", {})
            self.assertTrue(psc.get("runAsNonRoot"), where)
            self.assertEqual(psc.get("runAsUser"), uid, f"{where}: the image's USER")
            volumes = {v["name"] for v in pod.get("volumes", [])}
            for c in pod["containers"]:
                cw = f"{where}/{c['name']}"
                self.assertEqual(c["image"].split(":")[0], IMAGE, cw)
                ports = c.get("ports", [])
                names = [p.get("name") for p in ports if p.get("name")]
                self.assertEqual(len(names), len(set(names)), cw)
                for p in ports:
                    self.assertIsInstance(p["containerPort"], int, cw)
                declared = set(names) | {p["containerPort"] for p in ports}
                env_names = [e["name"] for e in c.get("env", [])]
                self.assertEqual(len(env_names), len(set(env_names)), f"{cw}: duplicate env")
                defined = set()
                for e in c.get("env", []):
                    self.assertTrue(("value" in e) != ("valueFrom" in e), f"{cw}: {e['name']}")
                    if "value" in e:
                        self.assertIsInstance(e["value"], str, f"{cw}: {e['name']} must be a string")
                        for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", e["value"]):
                            self.assertIn(ref, defined, f"{cw}: {e['name']} uses $({ref}) before "
                                          "it is defined")
                    defined.add(e["name"])
                res_ = c.get("resources", {})
                for kind in ("cpu", "memory"):
                    req, lim = res_.get("requests", {}).get(kind), res_.get("limits", {}).get(kind)
                    self.assertIsNotNone(req, f"{cw}: requests.{kind}")
                    self.assertIsNotNone(lim, f"{cw}: limits.{kind}")
                    self.assertLessEqual(quantity(req), quantity(lim), f"{cw}: {kind}")
                env = container_env(c, self.image_env)
                threads = env.get("LOADGEN_THREADS")
                self.assertIsNotNone(threads, f"{cw}: LOADGEN_THREADS (the default is every core "
                                     "of the node, not the CPU limit)")
                self.assertLessEqual(int(threads), max(1, round(quantity(res_["limits"]["cpu"]))), cw)
                for m in c.get("volumeMounts", []):
                    self.assertIn(m["name"], volumes, cw)
                for probe_kind in ("readinessProbe", "livenessProbe", "startupProbe"):
                    probe = c.get(probe_kind)
                    if not probe:
                        continue
                    if "httpGet" in probe or "tcpSocket" in probe:
                        port = (probe.get("httpGet") or probe.get("tcpSocket"))["port"]
                        self.assertIn(port, declared, f"{cw}: {probe_kind} port {port} undeclared")
                    else:
                        self.assertEqual(probe["exec"]["command"], ["/usr/local/bin/loadgen-healthcheck"],
                                         cw)
                worker = env.get("LOCUST_MODE_WORKER") == "true"
                if worker:
                    self.assertFalse(ports, f"{cw}: a worker serves nothing")
                    self.assertIn("livenessProbe", c, cw)
                else:
                    # The web UI: the demo's port, probed with GET /.
                    self.assertIn(WEB_PORT, {p["containerPort"] for p in ports}, cw)
                    self.assertEqual(env.get("LOCUST_WEB_PORT"), str(WEB_PORT), cw)
                    for probe_kind in ("readinessProbe", "livenessProbe"):
                        get = c.get(probe_kind, {}).get("httpGet")
                        self.assertIsNotNone(get, f"{cw}: {probe_kind} httpGet")
                        self.assertEqual(get.get("path"), "/", cw)
                        port = get["port"]
                        num = port if isinstance(port, int) else \
                            next(p["containerPort"] for p in ports if p.get("name") == port)
                        self.assertEqual(num, WEB_PORT, cw)
                # The demo's settings.
                for k, v in DEMO_ENV.items():
                    if worker and k.startswith("LOCUST_WEB") or worker and k in (
                            "LOCUST_AUTOSTART", "LOCUST_HEADLESS"):
                        continue
                    self.assertEqual(env.get(k), v, f"{cw}: {k}")

    def services_and_deployments(self, d):
        _, docs = load_kustomization(d)
        svcs = [doc for _, doc in docs if doc["kind"] == "Service"]
        deps = [doc for _, doc in docs if doc["kind"] == "Deployment"]
        return svcs, deps

    def selected(self, svc, deps):
        return [dep for dep in deps
                if labels_match(svc["spec"]["selector"], dep["spec"]["template"]["metadata"]["labels"])]

    def test_services_select_one_deployment_and_its_ports(self):
        for d in self.dirs:
            svcs, deps = self.services_and_deployments(d)
            self.assertTrue(svcs, d)
            for svc in svcs:
                where = f"{os.path.relpath(d, REPO)}: Service {svc['metadata']['name']}"
                self.assertTrue(svc["spec"].get("selector"), where)
                chosen = self.selected(svc, deps)
                self.assertEqual(len(chosen), 1, f"{where} selects {len(chosen)} Deployments")
                ports = [p for c in chosen[0]["spec"]["template"]["spec"]["containers"]
                         for p in c.get("ports", [])]
                for sp in svc["spec"]["ports"]:
                    target = sp.get("targetPort", sp["port"])
                    match = [p for p in ports if target in (p.get("name"), p["containerPort"])]
                    self.assertEqual(len(match), 1, f"{where}: targetPort {target}")
                    self.assertEqual(sp["port"], match[0]["containerPort"],
                                     f"{where}: port {sp['port']} (the same number inside and out)")
            # The demo's frontend-proxy reaches the UI at load-generator:8089.
            web = [s for s in svcs if s["metadata"]["name"] == "load-generator"]
            self.assertEqual(len(web), 1, d)
            self.assertIn(WEB_PORT, [p["port"] for p in web[0]["spec"]["ports"]], d)

    def test_workers_point_at_the_master_service(self):
        d = os.path.join(K8S, "distributed")
        svcs, deps = self.services_and_deployments(d)

        def env(dep):
            return container_env(dep["spec"]["template"]["spec"]["containers"][0], self.image_env)

        masters = [dep for dep in deps if env(dep).get("LOCUST_MODE_MASTER") == "true"]
        workers = [dep for dep in deps if env(dep).get("LOCUST_MODE_WORKER") == "true"]
        self.assertEqual(len(masters), 1)
        self.assertEqual(len(workers), 1)
        master, worker = masters[0], workers[0]
        self.assertEqual(master["spec"]["replicas"], 1, "one master")
        menv, wenv = env(master), env(worker)
        self.assertNotIn("LOCUST_MODE_WORKER", menv)
        self.assertNotIn("LOCUST_MODE_MASTER", wenv)
        svc = [s for s in svcs if s["metadata"]["name"] == wenv.get("LOCUST_MASTER_NODE_HOST")]
        self.assertEqual(len(svc), 1, "LOCUST_MASTER_NODE_HOST must name a Service")
        self.assertEqual(self.selected(svc[0], deps), [master], "that Service selects the master")
        bind = int(menv.get("LOCUST_MASTER_BIND_PORT", MASTER_PORT))
        node = int(wenv.get("LOCUST_MASTER_NODE_PORT", MASTER_PORT))
        self.assertEqual(bind, MASTER_PORT)
        svc_port = [p for p in svc[0]["spec"]["ports"] if p["port"] == node]
        self.assertEqual(len(svc_port), 1, f"the master Service has no port {node}")
        cports = master["spec"]["template"]["spec"]["containers"][0]["ports"]
        target = svc_port[0].get("targetPort", node)
        self.assertEqual([p["containerPort"] for p in cports
                          if target in (p.get("name"), p["containerPort"])], [bind])
        self.assertEqual(int(menv["LOCUST_EXPECT_WORKERS"]), worker["spec"]["replicas"],
                         "the autostarted run waits for the workers the manifest starts")
        self.assertEqual(wenv.get("LOCUST_AUTOSTART"), "false", "a worker has no web UI")


# ---- compose --------------------------------------------------------------------------------

INTERP = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value, env=None):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $$ with env (default:
    nothing set, so the snippet's own defaults)."""
    env = env or {}

    def sub(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3)
        val = env.get(name)
        if op in (":-", "-"):
            return val if val or (op == "-" and val is not None) else arg
        if op in (":?", "?"):
            if not val:
                raise ValueError(f"{name}: {arg}")
            return val
        return val or ""

    return INTERP.sub(sub, str(value))


def compose_env(service, base=None):
    env = dict(base or {})
    items = service.get("environment", [])
    if isinstance(items, dict):
        items = [f"{k}={v}" for k, v in items.items()]
    for item in items:
        k, sep, v = str(item).partition("=")
        if sep:
            env[k] = interpolate(v)
    return env


def load_compose(name):
    with open(os.path.join(COMPOSE, name)) as f:
        return yaml.safe_load(f)


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.image_env = env_of(load_dockerfile()[1])
        cls.single = load_compose("load-generator.yaml")
        cls.dist = load_compose("load-generator-distributed.yaml")

    def check_service(self, name, svc):
        self.assertEqual(interpolate(svc["image"]).split(":")[0], IMAGE, name)
        items = svc.get("environment", [])
        self.assertIsInstance(items, list, name)
        keys = [str(i).partition("=")[0] for i in items]
        self.assertEqual(len(keys), len(set(keys)), f"{name}: duplicate environment entries")
        for i in items:
            self.assertIn("=", str(i), f"{name}: {i} (pass-through entries depend on the shell)")
        for dep in ("frontend", "flagd"):
            self.assertIn(dep, svc.get("depends_on", {}), f"{name}: the demo's depends_on")
        self.assertEqual(svc.get("restart"), "unless-stopped", name)
        self.assertIn("memory", svc["deploy"]["resources"]["limits"], name)

    def test_single_replaces_the_demo_service(self):
        services = self.single["services"]
        self.assertEqual(list(services), ["load-generator"])
        svc = services["load-generator"]
        self.check_service("load-generator", svc)
        self.assertEqual(svc.get("container_name"), "load-generator")
        self.assertEqual([interpolate(p) for p in svc["ports"]], [str(WEB_PORT)])
        env = compose_env(svc, self.image_env)
        for k, v in DEMO_ENV.items():
            self.assertEqual(env.get(k), v, k)
        self.assertEqual(env.get("OTEL_EXPORTER_OTLP_PROTOCOL"), "grpc")
        self.assertNotIn("LOCUST_MODE_MASTER", env)

    def test_distributed_master_and_scalable_workers(self):
        services = self.dist["services"]
        self.assertEqual(set(services), {"load-generator", "load-generator-worker"})
        master, worker = services["load-generator"], services["load-generator-worker"]
        for name, svc in services.items():
            self.check_service(name, svc)
        menv = compose_env(master, self.image_env)
        wenv = compose_env(worker, self.image_env)
        self.assertEqual(menv.get("LOCUST_MODE_MASTER"), "true")
        self.assertEqual(wenv.get("LOCUST_MODE_WORKER"), "true")
        self.assertEqual(master.get("container_name"), "load-generator")
        self.assertEqual([interpolate(p) for p in master["ports"]], [str(WEB_PORT)])
        bind = menv.get("LOCUST_MASTER_BIND_PORT", str(MASTER_PORT))
        self.assertEqual(bind, str(MASTER_PORT))
        self.assertIn(bind, [str(p) for p in master.get("expose", [])])
        # --scale needs: no fixed container name, no fixed host port.
        self.assertNotIn("container_name", worker)
        self.assertNotIn("ports", worker)
        self.assertEqual(wenv.get("LOCUST_MASTER_NODE_HOST"), "load-generator")
        self.assertEqual(wenv.get("LOCUST_MASTER_NODE_PORT", str(MASTER_PORT)), bind)
        self.assertIn("load-generator", worker["depends_on"])
        self.assertEqual(int(menv["LOCUST_EXPECT_WORKERS"]), worker["deploy"]["replicas"])
        self.assertEqual(wenv.get("LOCUST_AUTOSTART"), "false")
        for k, v in DEMO_ENV.items():
            self.assertEqual(menv.get(k), v, f"master: {k}")
            if not k.startswith("LOCUST_WEB") and k not in ("LOCUST_AUTOSTART", "LOCUST_HEADLESS"):
                self.assertEqual(wenv.get(k), v, f"worker: {k}")


# ---- every variable the deployment sets is one loadgen knows ------------------------------

def deployment_envs():
    """{where: effective environment} of every container the deploy files describe."""
    image_env = env_of(load_dockerfile()[1])
    out = {"Dockerfile": dict(image_env)}
    for d in kustomizations():
        _, docs = load_kustomization(d)
        for res, doc in docs:
            if doc["kind"] != "Deployment":
                continue
            for c in doc["spec"]["template"]["spec"]["containers"]:
                out[f"{os.path.relpath(d, REPO)}/{res}:{c['name']}"] = container_env(c, image_env)
    for name in sorted(os.listdir(COMPOSE)):
        for sname, svc in load_compose(name)["services"].items():
            out[f"deploy/compose/{name}:{sname}"] = compose_env(svc, image_env)
    return out


def loopback_only(env, port):
    """The same variables with every host made 127.0.0.1 and every listening/connecting port of
    loadgen's own a free one: the check runs `--list`, which contacts nothing, but stays safe."""
    out = {}
    for k, v in env.items():
        if k in ("FLAGD_HOST", "LOCUST_WEB_HOST", "LOCUST_MASTER_NODE_HOST", "LOCUST_MASTER_BIND_HOST"):
            v = "127.0.0.1"
        elif k in ("LOCUST_WEB_PORT", "LOCUST_MASTER_NODE_PORT", "LOCUST_MASTER_BIND_PORT"):
            v = str(port)
        else:
            v = re.sub(r"://[^/:@]+", "://127.0.0.1", v)
        out[k] = v
    return out


class EnvVarsKnownTest(unittest.TestCase):
    def test_documented_in_deployment_md(self):
        with open(DEPLOYMENT_DOC) as f:
            doc = f.read()
        for where, env in deployment_envs().items():
            for k in env:
                if k.startswith(CHECKED_PREFIXES):
                    self.assertIn(f"`{k}`", doc, f"{where}: {k} is not in docs/deployment.md")

    def test_loadgen_knows_them(self):
        binary = loadgen_bin()
        if binary is None:
            self.skipTest("loadgen binary not built (set LOADGEN_BIN)")
        help_res = run_loadgen(["--help"], timeout=30)
        self.assertEqual(help_res.returncode, 0, help_res.describe())
        self.assertRegex(help_res.stdout, r"--master\b")  # the distributed options exist
        for where, env in deployment_envs().items():
            checked = {k: v for k, v in env.items() if k.startswith(CHECKED_PREFIXES)}
            run_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            run_env.update(loopback_only(checked, free_port()))
            res = run_loadgen(["--list"], env=run_env, timeout=30)
            self.assertFalse(res.timed_out, f"{where}\n{res.describe()}")
            self.assertEqual(res.returncode, 0, f"{where}\n{res.describe()}")
            self.assertIn("WebsiteUser", res.stdout, f"{where}\n{res.describe()}")
            for line in res.stderr.splitlines():
                named = [k for k in checked if re.search(rf"\b{k}\b", line)]
                if not named:
                    continue
                self.fail(f"{where}: loadgen complains about {named}:\n{line}\n{res.describe()}")


if __name__ == "__main__":
    unittest.main()
