#!/usr/bin/env python3
"""Push fan-out (issue #6): devices per second from `Push.send` to the local provider endpoints.

Builds `berth` (release) and the `provider_servers` example of berth-push (local APNs and FCM servers
speaking the real protocols: HTTP/2 over TLS with ES256 provider tokens, OAuth JWT-bearer plus
`messages:send`), starts both, points a fresh `berth serve` at them, creates a backend through the
tools API, gives it push credentials with `Push.setConfig`, registers DEVICES devices (half iOS, half
Android) through the Monaca runtime's `POST /v1/push/register/{pushProjectId}`, then times one
`Push.send` per platform (together they reach every device) until `Push.status` says `finish` for
both. Prints a table and writes bench/results/push_fanout-<UTC timestamp>.json. A benchmark, not a
test: it asserts nothing beyond the run completing.

    python3 bench/push_fanout.py               20,000 devices
    python3 bench/push_fanout.py --quick       2,000 devices (checks that the harness still works)
    python3 bench/push_fanout.py --devices N

The server uses its embedded SQLite unless BERTH_DATABASE_URL is set; BERTH_PUSH_* settings in the
environment (batch, concurrency, poll interval) reach the server unchanged. The provider servers run
on the same machine and take CPU from berth.
"""

import argparse
import collections
import concurrent.futures
import datetime
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
TOKEN = "bench-admin-token-" + uuid.uuid4().hex


def build():
    for args in (["-p", "berth-server"],
                 ["-p", "berth-push", "--example", "provider_servers", "--features", "testing"]):
        print("building (release):", " ".join(args), "...", file=sys.stderr, flush=True)
        subprocess.run(["cargo", "build", "--release", *args], cwd=ROOT, check=True)


def start_providers(binary, ca_file):
    proc = subprocess.Popen([binary, ca_file], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("provider_servers did not start")
    return proc, json.loads(line)


def start_berth(binary, data_dir, providers):
    env = dict(os.environ, BERTH_ADMIN_TOKEN=TOKEN,
               BERTH_APNS_URL=providers["apnsUrl"], BERTH_FCM_URL=providers["fcmUrl"],
               BERTH_FCM_TOKEN_URL=providers["fcmTokenUrl"], BERTH_PUSH_CA_FILE=providers["caFile"],
               RUST_LOG=os.environ.get("RUST_LOG", "warn,berth_server::startup=info"))
    proc = subprocess.Popen([binary, "--data-dir", data_dir, "serve", "--listen", "127.0.0.1:0"],
                            stderr=subprocess.PIPE, text=True, env=env)
    tail = collections.deque(maxlen=40)
    for line in proc.stderr:
        tail.append(line)
        if "listening on http://" in line:
            # Keep draining the log (a full pipe would stall the server); keep the end for errors.
            threading.Thread(target=lambda: [tail.append(rest) for rest in proc.stderr],
                             daemon=True).start()
            return proc, "http://" + line.split("listening on http://")[1].split()[0], tail
    raise SystemExit("berth did not start:\n" + "".join(tail))


def post_json(url, body, headers):
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers=dict(headers, **{"Content-Type": "application/json"}))
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


class Manage:
    """The Management API of one backend."""

    def __init__(self, base, backend):
        self.url = base + "/manage/json-rpc/" + backend["id"]
        self.headers = {"X-Monaca-Backend-Management-API-Key": backend["managementKey"]["key"]}

    def call(self, method, params):
        answer = post_json(self.url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                           self.headers)
        if "error" in answer:
            raise SystemExit(f"{method} failed: {answer['error']}")
        return answer["result"]


def device(number):
    """Form fields of device `number`: even numbers iOS (64 hex digits), odd numbers Android."""
    device_id = f"bench-device-{number:08d}"
    if number % 2 == 0:
        return [("platform", "ios"), ("deviceId", device_id), ("deviceToken", f"{number:064x}"),
                ("buildType", "release"), ("version", "1.0")]
    return [("platform", "android"), ("deviceId", device_id),
            ("registrationId", f"bench-fcm-{number:08d}-{uuid.uuid4().hex}"), ("buildType", "release")]


def register_all(base, project, devices, workers):
    """Registers the devices from `workers` threads, one kept-alive connection each."""
    address = urllib.parse.urlsplit(base)
    path = "/v1/push/register/" + urllib.parse.quote(project, safe="")
    local = threading.local()

    def register(number):
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        body = urllib.parse.urlencode(device(number))
        local.connection.request("POST", path, body=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = local.connection.getresponse()
        answer = response.read()
        if response.status != 200 or json.loads(answer).get("status") != "ok":
            raise SystemExit(f"register {number}: {response.status} {answer[:200]!r}")

    started = time.monotonic()
    step = max(devices // 10, 1)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for done, _ in enumerate(pool.map(register, range(devices)), start=1):
            if done % step == 0 or done == devices:
                print(f"  registered {done}/{devices}", file=sys.stderr, flush=True)
    return time.monotonic() - started


def memory_kb(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def fan_out(manage, project, pid, timeout):
    """Sends to every iOS and every Android device; returns seconds until both finished and statuses."""
    started = time.monotonic()
    queues = {}
    for platform_name in ("ios", "android"):
        result = manage.call("Push.send", {"pushProjectId": project, "platform": platform_name,
                                           "title": "Bench", "message": "push fan-out bench"})
        queues[platform_name] = result["queueIdList"][0]
    statuses = {}
    last_report = started
    while True:
        for platform_name, queue in queues.items():
            if statuses.get(platform_name, {}).get("status") != "finish":
                statuses[platform_name] = manage.call("Push.status",
                                                      {"pushProjectId": project, "queueId": queue})
        now = time.monotonic()
        if all(status["status"] == "finish" for status in statuses.values()):
            finished = now
            break
        if now - last_report >= 2:
            last_report = now
            progress = ", ".join(f"{name} {s['status']} {s['numPushed']}+{s['numFailed']}/{s['numTarget']}"
                                 for name, s in statuses.items())
            print(f"  {now - started:5.1f} s: {progress}; berth RSS {memory_kb(pid, 'VmRSS') // 1024} MB",
                  file=sys.stderr, flush=True)
        if now - started > timeout:
            raise SystemExit(f"the sends did not finish in {timeout} s: {statuses}")
        time.sleep(0.1)
    # Monaca's status carries the server's own start and finish times (ms); report them too.
    server_started = min(s["createdAt"] for s in statuses.values())
    server_finished = max(s["pushFinishedAt"] or 0 for s in statuses.values())
    return finished - started, (server_finished - server_started) / 1000, statuses


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=20000, help="devices to register (default 20000)")
    parser.add_argument("--quick", action="store_true", help="2000 devices")
    parser.add_argument("--workers", type=int, default=8, help="registration threads (default 8)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the sends")
    parser.add_argument("--no-build", action="store_true", help="use the binaries already built")
    args = parser.parse_args()
    devices = 2000 if args.quick else args.devices
    if not args.no_build:
        build()
    berth_binary = os.path.join(TARGET, "release", "berth")
    providers_binary = os.path.join(TARGET, "release", "examples", "provider_servers")

    with tempfile.TemporaryDirectory(prefix="berth-push-fanout-") as work:
        data_dir = os.path.join(work, "data")
        os.mkdir(data_dir)
        providers, endpoints = start_providers(providers_binary, os.path.join(work, "apns-ca.pem"))
        berth = None
        try:
            berth, base, log_tail = start_berth(berth_binary, data_dir, endpoints)
            print(f"berth {base}, data {data_dir}; APNs {endpoints['apnsUrl']}, FCM {endpoints['fcmUrl']}",
                  file=sys.stderr, flush=True)
            backend = post_json(base + "/mobile/tools/1.0/mobilebackends",
                                {"name": "PushBench" + uuid.uuid4().hex[:8]},
                                {"Authorization": "Bearer " + TOKEN})
            manage = Manage(base, backend)
            project = manage.call("Push.setConfig", endpoints["pushConfig"])["config"]["pushProjectId"]
            print(f"registering {devices} devices ({args.workers} threads) ...", file=sys.stderr, flush=True)
            register_seconds = register_all(base, project, devices, args.workers)
            rss_before_kb = memory_kb(berth.pid, "VmRSS")
            load_before = os.getloadavg()
            print("sending (Push.send ios + android) ...", file=sys.stderr, flush=True)
            seconds, server_seconds, statuses = fan_out(manage, project, berth.pid, args.timeout)
            load_after = os.getloadavg()
            peak_kb = memory_kb(berth.pid, "VmHWM")
        except BaseException:
            if berth is not None:
                sys.stderr.write("".join(log_tail))
            raise
        finally:
            for proc in (berth, providers):
                if proc is not None:
                    proc.terminate()
                    proc.wait()

    pushed = sum(s["numPushed"] for s in statuses.values())
    failed = sum(s["numFailed"] for s in statuses.values())
    targets = sum(s["numTarget"] for s in statuses.values())
    rate = pushed / seconds if seconds else 0.0
    print("| devices | seconds | devices/s | numPushed/numFailed | berth peak RSS |")
    print("|---|---|---|---|---|")
    print(f"| {targets} | {seconds:.1f} | {rate:,.0f} | {pushed}/{failed} | {peak_kb / 1024:.0f} MB |")
    print(f"(registration: {devices} devices in {register_seconds:.1f} s, {devices / register_seconds:,.0f}/s;"
          f" load average {load_before[0]:.1f} before the sends, {load_after[0]:.1f} after)", file=sys.stderr)

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(results_dir, exist_ok=True)
    path = os.path.join(results_dir, f"push_fanout-{stamp}.json")
    with open(path, "w") as out:
        json.dump({
            "bench": "push_fanout",
            "utc": stamp,
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        "load_average_before": load_before, "load_average_after": load_after},
            "store": "postgres" if os.environ.get("BERTH_DATABASE_URL") else "sqlite",
            "push_settings": {name: value for name, value in os.environ.items()
                              if name.startswith("BERTH_PUSH_")},
            "devices": devices,
            "registration_seconds": register_seconds,
            "send_seconds": seconds,
            "server_seconds": server_seconds,
            "devices_per_second": rate,
            "num_target": targets,
            "num_pushed": pushed,
            "num_failed": failed,
            "berth_rss_before_send_kb": rss_before_kb,
            "berth_peak_rss_kb": peak_kb,
            "status": statuses,
        }, out, indent=2)
    print(f"results: {os.path.relpath(path, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
