#!/usr/bin/env python3
"""Where Berth spends its instructions on the benchmark's workloads: runs a release `berth` under
callgrind (instruction counts do not depend on how busy the machine is), loads the same data set as
bench/versus_pocketbase.py, drives each workload with wrk for a few seconds, and leaves
`callgrind.out.<workload>` files in bench/results/ for `callgrind_annotate` (or KCachegrind).

    cargo build --release -p berth-server && bench/profile_berth.py [--items N] [--seconds S] [workload ...]
"""

import argparse
import os
import subprocess
import tempfile

import versus_pocketbase as bench


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--berth", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(bench.ROOT, "target")), "release", "berth"))
    parser.add_argument("workloads", nargs="*", default=["create", "list+total", "get", "list", "login"])
    args = parser.parse_args()
    out_dir = os.path.join(bench.ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    for name in args.workloads:
        work_dir = tempfile.mkdtemp(prefix="berth-profile-")
        out = os.path.join(out_dir, "callgrind.out." + name.replace("+", "-"))
        berth = bench.Berth(args.berth, os.path.join(work_dir, "berth"),
                            wrapper=["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"])
        try:
            berth.setup(args.items)
            wrk_args = argparse.Namespace(connections=4, duration=args.seconds)
            result = bench.run_wrk(berth, berth.workloads()[name], wrk_args, work_dir)
            print(f"{name}: {result['requests']} requests under callgrind", flush=True)
        finally:
            berth.stop()
        summary = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], capture_output=True, text=True).stdout
        print("\n".join(summary.splitlines()[:40]))


if __name__ == "__main__":
    main()
