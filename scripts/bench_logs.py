"""Throughput and peak memory of ``fastapi-medic logs`` on a large generated log, next to grep.

    .venv/bin/python scripts/bench_logs.py [--size-mb 1024] [--small-mb N] [--keep DIR]

Generates a realistic mixed log in a temporary directory (uvicorn access and error lines,
gunicorn error and access logs, Python ``logging`` defaults, JSON lines from structlog and the
runtime probes, docker-compose prefixes, ANSI colours; tracebacks of several causes, some
interleaved between workers or inside JSON fields, about one in 400 requests failing), then
runs, each in a fresh process on one core:

* ``fastapi-medic``'s triage (``fastapi_medic.logs.scan``) on the file;
* ``grep -c Traceback`` on the same file, the reference for raw scanning speed.

It does that for the requested size and for a smaller one (``--small-mb``, default a quarter)
to show that peak memory does not grow with the log. Wall time, CPU time and peak RSS come
from ``os.wait4``. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK_EVENTS = 20000
#: share of requests that fail with a traceback
FAILURE_RATE = 1 / 400
ROUTES = ["/items", "/items/{id}", "/orders", "/users/me", "/health", "/search"]

SP = "/usr/local/lib/python3.12/site-packages"

TB_POOL = """Traceback (most recent call last):
  File "{SP}/sqlalchemy/pool/impl.py", line 170, in _do_get
    raise exc.TimeoutError(
sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, timeout 30.00

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "{SP}/uvicorn/protocols/http/httptools_impl.py", line 409, in run
    result = await app(  # type: ignore[func-returns-value]
  File "{SP}/starlette/routing.py", line 76, in app
    response = await f(request)
  File "/app/app/api/items.py", line 42, in list_items
    rows = await session.execute(select(Item))
  File "{SP}/sqlalchemy/ext/asyncio/session.py", line 461, in exec
    result = await greenlet_spawn(
  File "{SP}/sqlalchemy/pool/impl.py", line 170, in _do_get
    raise exc.TimeoutError(
sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, timeout 30.00
""".replace("{SP}", SP)

TB_KEYERROR = """Traceback (most recent call last):
  File "{SP}/starlette/middleware/errors.py", line 164, in __call__
    await self.app(scope, receive, _send)
  File "{SP}/fastapi/routing.py", line 212, in run_endpoint_function
    return await dependant.call(**values)
  File "/app/app/api/prices.py", line 17, in price
    return {"price": PRICES[item_id]}
                     ~~~~~~^^^^^^^^^
KeyError: 4711
""".replace("{SP}", SP)

TB_GREENLET = """Traceback (most recent call last):
  File "/app/app/api/users.py", line 30, in me
    return user.orders
  File "{SP}/sqlalchemy/orm/attributes.py", line 566, in __get__
    return self.impl.get(state, dict_)
  File "{SP}/sqlalchemy/util/_concurrency_py3k.py", line 123, in await_only
    raise exc.MissingGreenlet(
sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called; can't call await_only() here.
""".replace("{SP}", SP)

TRACEBACKS = [TB_POOL, TB_KEYERROR, TB_GREENLET]


def _ts(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1e6) % 1000000:06d}Z"


def _access(rng: random.Random, status: int) -> str:
    route = rng.choice(ROUTES).replace("{id}", str(rng.randint(1, 99999)))
    reason = {200: "OK", 201: "Created", 404: "Not Found", 422: "Unprocessable Entity"}
    text = reason.get(status, "Internal Server Error")
    client = f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}:{rng.randint(32768, 60999)}"
    return f'INFO:     {client} - "GET {route} HTTP/1.1" {status} {text}'


def _event(rng: random.Random, t: float) -> str:
    r = rng.random()
    status = rng.choices([200, 201, 404, 422], [80, 10, 7, 3])[0]
    if r < 0.45:
        return _access(rng, status) + "\n"
    if r < 0.60:
        clf = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))
        client = f"10.1.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        size = rng.randint(2, 9000)
        return f'{client} - - [{clf}] "POST /orders HTTP/1.1" {status} {size} "-" "httpx/0.28.1"\n'
    if r < 0.75:
        record = {
            "ts": _ts(t),
            "level": "info",
            "logger": "fastapi_medic.runtime",
            "message": "request finished",
            "request_id": f"{rng.getrandbits(128):032x}",
            "route": rng.choice(ROUTES),
            "method": "GET",
            "status": status,
            "duration_ms": round(rng.random() * 80, 2),
        }
        return json.dumps(record) + "\n"
    if r < 0.88:
        return f"api-{rng.randint(1, 3)}  | {_access(rng, status)}\n"
    if r < 0.95:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
        cart = rng.randint(1, 10**6)
        return f"{stamp},{rng.randint(0, 999):03d} INFO app.services.cart: cart {cart} updated\n"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(t))
    pid = rng.randint(7, 99)
    return f"\x1b[32m[{stamp}] [{pid}] [INFO]\x1b[0m Booting worker with pid: {pid}\n"


def _failure(rng: random.Random, t: float) -> tuple[str, int]:
    """A failing request as logged, and how many tracebacks that wrote."""
    tb = rng.choice(TRACEBACKS)
    kind = rng.random()
    if kind < 0.5:
        return _access(rng, 500) + "\nERROR:    Exception in ASGI application\n" + tb, 1
    if kind < 0.75:  # two compose replicas failing at once: their lines interleave
        other = rng.choice(TRACEBACKS).splitlines()
        mine = tb.splitlines()
        out = []
        for i in range(max(len(mine), len(other))):
            if i < len(mine):
                out.append(f"api-1  | {mine[i]}")
            if i < len(other):
                out.append(f"api-2  | {other[i]}")
        return "\n".join(out) + "\n", 2
    record = {"ts": _ts(t), "level": "error", "message": "failed", "status": 500, "exception": tb}
    return json.dumps(record) + "\n", 1


def generate(path: Path, size_mb: int, seed: int = 7) -> int:
    """Write a log of about ``size_mb`` MiB; returns the tracebacks written."""
    rng = random.Random(seed)
    target = size_mb << 20
    written = tracebacks = 0
    t = 1_767_225_600.0
    unique: list[tuple[bytes, int]] = []
    with path.open("wb") as out:
        while written < target:
            if len(unique) < 32:  # 32 distinct chunks of a few MiB, then reuse them
                parts = []
                failures = 0
                for _ in range(CHUNK_EVENTS):
                    t += rng.random() * 0.02
                    if rng.random() < FAILURE_RATE:
                        text, n = _failure(rng, t)
                        parts.append(text)
                        failures += n
                    else:
                        parts.append(_event(rng, t))
                unique.append(("".join(parts).encode(), failures))
                chunk, failures = unique[-1]
            else:
                chunk, failures = unique[rng.randrange(len(unique))]
            out.write(chunk)
            written += len(chunk)
            tracebacks += failures
    return tracebacks


_TRIAGE = (
    "import sys, time\n"
    "from fastapi_medic.logs import scan\n"
    "t = time.perf_counter()\n"
    "r = scan([sys.argv[1]])\n"
    "took = time.perf_counter() - t\n"
    "hwm = 0\n"
    "for line in open('/proc/self/status'):\n"
    "    if line.startswith('VmHWM:'):\n"
    "        hwm = int(line.split()[1])\n"
    "print(len(r.groups), r.stats.tracebacks, r.stats.lines, took, hwm)\n"
)


def _measure(cmd: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds, peak RSS in KiB (from ``wait4``) and stdout of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed with exit code {code}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out.strip()


def _one_core(cmd: list[str]) -> list[str]:
    return ["taskset", "-c", "0", *cmd] if shutil.which("taskset") else cmd


def _grep(log: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in KiB and the count of ``grep -c Traceback``."""
    timer = shutil.which("time") or "/usr/bin/time"
    if os.path.exists(timer):  # GNU time reports grep's own peak, not the forked parent's
        cmd = _one_core([timer, "-f", "%M", "grep", "-c", "Traceback", str(log)])
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        return wall, int(done.stderr.split()[-1]), int(done.stdout.split()[0])
    wall, _, rss, out = _measure(_one_core(["grep", "-c", "Traceback", str(log)]))
    return wall, rss, int(out)


def run(size_mb: int, directory: Path) -> dict[str, object]:
    """Generate a log of ``size_mb`` MiB and time both tools on it."""
    log = directory / f"bench-{size_mb}.log"
    started = time.perf_counter()
    # generated in a child process, so this process stays small: a child forked from a big
    # parent would inherit its peak memory in the kernel's accounting
    made = subprocess.run(
        [sys.executable, __file__, "--generate", str(log), str(size_mb)],
        capture_output=True,
        text=True,
        check=True,
    )
    tracebacks = int(made.stdout.split()[0])
    generated = time.perf_counter() - started
    size = log.stat().st_size
    subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)  # warm the cache
    wall, cpu, _, out = _measure(_one_core([sys.executable, "-c", _TRIAGE, str(log)]))
    groups, found, lines, _, hwm = out.split()
    gwall, grss, gcount = _grep(log)
    log.unlink()
    mb = size / 1e6
    return {
        "size_mb": round(mb, 1),
        "generated_s": round(generated, 1),
        "tracebacks_written": tracebacks,
        "tracebacks_found": int(found),
        "groups": int(groups),
        "lines": int(lines),
        "medic_wall_s": round(wall, 2),
        "medic_mb_per_s": round(mb / wall, 1),
        "medic_cpu_mb_per_s": round(mb / cpu, 1),
        "medic_peak_rss_mb": round(int(hwm) / 1024, 1),
        "grep_wall_s": round(gwall, 2),
        "grep_mb_per_s": round(mb / gwall, 1),
        "grep_lines_with_traceback": gcount,
        "grep_peak_rss_mb": round(grss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run both sizes, print a Markdown table (or JSON)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--generate"]:
        _say(str(generate(Path(argv[1]), int(argv[2]))))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the large log")
    parser.add_argument("--small-mb", type=int, help="size of the small log [size/4]")
    parser.add_argument("--keep", type=Path, help="generate into this directory")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    small = args.small_mb or max(1, args.size_mb // 4)
    with tempfile.TemporaryDirectory(prefix="medic-bench-logs-") as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        results = [run(small, directory), run(args.size_mb, directory)]
    if args.json:
        _say(json.dumps(results, indent=2))
        return
    _say(
        "| log MB | tracebacks written / found | groups | medic MB/s wall / CPU "
        "| medic peak RSS MB | grep -c MB/s | grep peak RSS MB |"
    )
    _say("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        _say(
            f"| {r['size_mb']} | {r['tracebacks_written']} / {r['tracebacks_found']} "
            f"| {r['groups']} | {r['medic_mb_per_s']} / {r['medic_cpu_mb_per_s']} "
            f"| {r['medic_peak_rss_mb']} | {r['grep_mb_per_s']} | {r['grep_peak_rss_mb']} |"
        )
    _say("Target: >= 150 MB/s on one core; peak RSS the same for both sizes.")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
