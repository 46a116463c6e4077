#!/usr/bin/env python3
"""Throughput of one Berth node against two nodes on one PostgreSQL database.

Starts `berth` processes on a PostgreSQL database (BERTH_BENCH_DATABASE_URL, which must name an
empty or fresh database), creates a backend and a `Memo` collection through the APIs, then for a
read workload (app API `Collection.find` of 20 items) and a write workload (`Collection.insert`)
runs CLIENTS concurrent clients for SECONDS each, first all against node A, then spread round-robin
over A and B, and prints requests per second. A benchmark, not a test: it asserts nothing.

    BERTH_BENCH_DATABASE_URL=postgres://…/bench BERTH=target/release/berth python3 bench/two_nodes.py
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BERTH = os.environ.get("BERTH", os.path.join(ROOT, "target", "release", "berth"))
DATABASE_URL = os.environ["BERTH_BENCH_DATABASE_URL"]
CLIENTS = int(os.environ.get("CLIENTS", "8"))
SECONDS = float(os.environ.get("SECONDS_EACH", "8"))
TOKEN = "bench-admin-token-" + uuid.uuid4().hex


def start(data_dir):
    env = dict(os.environ, BERTH_ADMIN_TOKEN=TOKEN, BERTH_DATABASE_URL=DATABASE_URL,
               RUST_LOG="warn,berth_server::startup=info")
    proc = subprocess.Popen([BERTH, "--data-dir", data_dir, "serve", "--listen", "127.0.0.1:0"],
                            stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stderr:
        if "listening on http://" in line:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, "http://" + line.split("listening on http://")[1].split()[0]
    raise SystemExit("berth did not start")


def post(url, body, headers):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def setup(base):
    backend = post(base + "/mobile/tools/1.0/mobilebackends", {"name": "Bench" + uuid.uuid4().hex[:8]},
                   {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    manage = {"X-Monaca-Backend-Management-API-Key": backend["managementKey"]["key"],
              "Content-Type": "application/json"}
    post(base + "/manage/json-rpc/" + backend["id"],
         {"jsonrpc": "2.0", "id": 1, "method": "Collection.create",
          "params": {"_id": "Memo", "isInsertable": True}}, manage)
    return backend


def app_call(base, backend, method, params):
    params = dict(params, __api_key=backend["monacaApiKey"], __device=str(uuid.uuid4()))
    answer = post(base + "/json-rpc/" + backend["id"],
                  {"jsonrpc": "2.0", "id": "1", "method": method, "params": params},
                  {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    if "error" in answer:
        raise SystemExit(f"{method} failed: {answer}")


def run(bases, backend, method, params):
    done = [0] * CLIENTS
    stop = time.monotonic() + SECONDS

    def client(number):
        i = number
        while time.monotonic() < stop:
            app_call(bases[i % len(bases)], backend, method, params)
            done[number] += 1
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def main():
    with tempfile.TemporaryDirectory() as a_dir, tempfile.TemporaryDirectory() as b_dir:
        a, a_base = start(a_dir)
        b, b_base = start(b_dir)
        try:
            backend = setup(a_base)
            insert = ("Collection.insert",
                      {"collectionName": "Memo", "item": {"title": "bench", "stars": 3},
                       "permission": {"public": "r"}})
            for _ in range(200):
                app_call(a_base, backend, *insert)
            find = ("Collection.find",
                    {"collectionName": "Memo", "criteria": "stars > ?", "bindParams": [1],
                     "options": {"limit": 20}})
            print(f"{CLIENTS} clients, {SECONDS:.0f} s per run, berth = {BERTH}", file=sys.stderr)
            print("| workload | 1 node (req/s) | 2 nodes (req/s) |")
            print("|---|---|---|")
            for name, (method, params) in [("read: Collection.find, 20 items", find),
                                           ("write: Collection.insert", insert)]:
                one = run([a_base], backend, method, params)
                two = run([a_base, b_base], backend, method, params)
                print(f"| {name} | {one:.0f} | {two:.0f} |", flush=True)
        finally:
            for proc in (a, b):
                proc.terminate()
                proc.wait()


if __name__ == "__main__":
    main()
