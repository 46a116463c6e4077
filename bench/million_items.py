#!/usr/bin/env python3
"""How CollectionItem.list behaves on a collection of a million items (SQLite store).

Starts a release `berth` on a fresh data folder, creates a backend and a `GameScore` collection
(with `score` indexed) through the APIs, bulk-loads N items straight into the collection's table
(loading a million items through JSON-RPC would take minutes and is not what is measured), then
times Management API list calls over HTTP (first call, repeated, right after a write) and prints a
table. A benchmark, not a test: it asserts nothing about time.

    cargo build --release && python3 bench/million_items.py [N]
"""

import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BERTH = os.path.join(ROOT, "target", "release", "berth")
TOKEN = "bench-admin-token-" + uuid.uuid4().hex


def start(data_dir):
    env = dict(os.environ, BERTH_ADMIN_TOKEN=TOKEN, RUST_LOG="warn,berth_server::startup=info")
    proc = subprocess.Popen([BERTH, "--data-dir", data_dir, "serve", "--listen", "127.0.0.1:0"],
                            stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stderr:
        if "listening on http://" in line:
            return proc, "http://" + line.split("listening on http://")[1].split()[0]
    raise SystemExit("berth did not start")


def request(url, body, headers):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"null")


def main():
    if not os.path.exists(BERTH):
        raise SystemExit("build first: cargo build --release")
    data_dir = tempfile.mkdtemp(prefix="berth-bench-")
    proc, base = start(data_dir)
    try:
        backend = request(base + "/mobile/tools/1.0/mobilebackends", {"name": "Bench"},
                          {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
        rpc_url = base + "/manage/json-rpc/" + backend["id"]
        key = {"X-Monaca-Backend-Management-API-Key": backend["managementKey"]["key"]}

        def rpc(method, params):
            answer = request(rpc_url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, key)
            if "error" in answer:
                raise SystemExit(f"{method}: {answer['error']}")
            return answer["result"]

        rpc("Collection.create", {"_id": "GameScore", "isInsertable": True, "indexedProperties": ["score"]})
        db = sqlite3.connect(os.path.join(data_dir, "berth.db"), timeout=60)
        (collection_id,) = db.execute("SELECT id FROM collections WHERE name = 'GameScore'").fetchone()
        table = "items_" + collection_id.replace("-", "")
        print(f"loading {N:,} items into {table} ...", flush=True)
        started = time.time()
        now = int(time.time() * 1000)
        batch = []
        for i in range(N):
            item_id = str(uuid.uuid4())
            data = {"playerName": f"player{i % 5000}", "score": random.randint(0, 1_000_000),
                    "cheatMode": random.random() < 0.1}
            batch.append((item_id, backend["id"], now + i, now + i, "{}", json.dumps(data)))
            if len(batch) == 50_000 or i == N - 1:
                db.executemany(f'INSERT INTO "{table}" (id, backend_id, created_at, updated_at, permission, data) '
                               "VALUES (?, ?, ?, ?, ?, ?)", batch)
                db.commit()
                batch.clear()
                print(f"  {i + 1:,} ({time.time() - started:.0f} s)", flush=True)
        db.execute("UPDATE collections SET item_count = ? WHERE id = ?", (N, collection_id))
        db.commit()
        db.execute("ANALYZE")
        db.close()

        cases = [
            ("page 1 of 10, sorted by score desc (indexed), with totalItems",
             {"collectionName": "GameScore", "page": 1, "itemsInPage": 10, "sortProperty": "score", "sortOrder": "desc"}),
            ("page 500 of 10, sorted by score desc",
             {"collectionName": "GameScore", "page": 500, "itemsInPage": 10, "sortProperty": "score", "sortOrder": "desc"}),
            ("score > 900000, sorted by score desc, with totalItems (index range count)",
             {"collectionName": "GameScore", "itemsInPage": 10, "sortProperty": "score", "sortOrder": "desc",
              "criteria": "score > ?", "bindParams": [900000]}),
            ("score > 900000, sorted by score desc, withTotal false",
             {"collectionName": "GameScore", "itemsInPage": 10, "sortProperty": "score", "sortOrder": "desc",
              "criteria": "score > ?", "bindParams": [900000], "withTotal": False}),
            ("page 1 of 10 in id order", {"collectionName": "GameScore", "itemsInPage": 10}),
            ("cheatMode == true (not indexed), withTotal false",
             {"collectionName": "GameScore", "itemsInPage": 10, "criteria": "cheatMode == true", "withTotal": False}),
        ]
        # "first": the first call (nothing cached); "repeat": the median of 20 more (a filtered total
        # is then remembered); "after a write": the median of 5 calls each right after an insert
        # into the collection (which forgets the remembered totals).
        print(f"\n{'CollectionItem.list on ' + format(N, ',') + ' items':<78} {'first':>9} {'repeat':>9} "
              f"{'after a write':>14}")

        def timed(params):
            started = time.perf_counter()
            rpc("CollectionItem.list", params)
            return (time.perf_counter() - started) * 1000

        for label, params in cases:
            first = timed(params)
            repeat = sorted(timed(params) for _ in range(20))
            after_write = []
            for n in range(5):
                rpc("CollectionItem.create", {"collectionName": "GameScore",
                                              "item": {"playerName": "new", "score": n, "cheatMode": False}})
                after_write.append(timed(params))
            after_write.sort()
            print(f"{label:<78} {first:>7.1f}ms {repeat[len(repeat) // 2]:>7.1f}ms {after_write[2]:>12.1f}ms")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
