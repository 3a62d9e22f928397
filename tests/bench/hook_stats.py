#!/usr/bin/python3
"""Per-program BPF run time of each captureHook, from the kernel's bpf_stats.

    tests/bench/hook_stats.py [--n 20000] [auto|tracepoint|exit-only ...]

For each hook choice: start the real agent with one trail whose data events
select a private directory, then time three workloads in one process each:
an unselected open+close, a selected open+close, and a chmod (a management
call every trail records). bpf_stats (kernel.bpf_stats_enabled) gives each
program's run count and run time; the figure is the kernel's time in
hostrail's programs per operation, so it is comparable under TCG too (the
programs' instructions, not the emulated clock, dominate it). Needs root.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "root"))
from conftest import bpf_prog_stats as prog_stats, start_agent  # noqa: E402

WORKLOADS = {
    "unselected open+close": "os.close(os.open('/etc/hostname', 0))",
    "selected open+close": "os.close(os.open(sel, 0))",
    "chmod": "os.chmod(sel, 0o644)",
}


def measure(hook, n):
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="hostrail-hookstats-"))
    data = tmp / "data"
    data.mkdir()
    sel = data / "f"
    sel.write_text("x\n")
    cfg = tmp / "hostrail.json"
    cfg.write_text(json.dumps({
        "accountId": "123456789012", "region": "bench", "stateDir": str(tmp / "state"),
        "captureHook": hook,
        "trails": [{"name": "main", "bucketDir": str(tmp / "bucket"), "batchSeconds": 3600,
                    "eventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                        "DataResources": [{"Type": "Linux::File",
                                                           "Values": [f"{data}/"]}]}]}]}))
    agent = start_agent(tmp, state=tmp / "state", extra_args=["--config", str(cfg)],
                        ready_timeout=300)  # loading is slow under TCG
    rows = {}
    try:
        for name, op in WORKLOADS.items():
            def run(count):
                before = prog_stats(agent.proc.pid)
                subprocess.run(["/usr/bin/python3", "-c",
                                f"import os\nsel = {str(sel)!r}\nfor _ in range({count}):\n {op}"],
                               check=True)
                after = prog_stats(agent.proc.pid)
                return {k: (after[k][0] - before.get(k, (0, 0))[0],
                            after[k][1] - before.get(k, (0, 0))[1]) for k in after}
            base, full = run(0), run(n)  # the interpreter's own start-up, then n more
            progs = {k: (full[k][0] - base[k][0], full[k][1] - base[k][1]) for k in full}
            if os.environ.get("HOOK_STATS_DEBUG"):
                print(name, progs, file=sys.stderr)
            progs = {k: v for k, v in progs.items() if v[0] > n // 2}
            rows[name] = progs
    finally:
        agent.stop()
    return rows


def main():
    args = sys.argv[1:]
    n = 20000
    if args[:1] == ["--n"]:
        n, args = int(args[1]), args[2:]
    hooks = args or ["auto", "tracepoint", "exit-only"]
    path = "/proc/sys/kernel/bpf_stats_enabled"
    old = open(path).read().strip()
    with open(path, "w") as f:
        f.write("1")
    try:
        print(f"kernel {os.uname().release}, {n} operations per workload")
        print(f"{'captureHook':12} {'workload':24} {'program':18} {'runs/op':>8} "
              f"{'ns/run':>8} {'ns/op':>8}")
        for hook in hooks:
            for name, progs in measure(hook, n).items():
                total = sum(t for _, t in progs.values())
                for prog, (cnt, t) in sorted(progs.items()):
                    print(f"{hook:12} {name:24} {prog:18} {cnt / n:8.2f} {t / cnt:8.0f} "
                          f"{t / n:8.0f}")
                print(f"{hook:12} {name:24} {'(all programs)':18} {'':8} {'':8} "
                      f"{total / n:8.0f}")
    finally:
        with open(path, "w") as f:
            f.write(old)


if __name__ == "__main__":
    main()
