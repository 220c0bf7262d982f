#!/usr/bin/env python3
"""PyTorch peer of tppverify's GPU kernels, measured in the same device call.

Runs what a well-kept library does at the same jobs: a bf16 8192^3 matmul, an
FP8 scaled matmul (torch._scaled_mm), a device-to-device copy, a read-only
reduction and a write-only fill on >= 4 GiB arrays. Every case checks its
result against a known value (all-ones inputs make every matmul element equal
K), reports median, spread and run count like tppverify's benchmarks, and a
case that fails its check reports no figure. Prints one JSON object.

  python3 benchmarks/peer/torch_peer.py --device cuda:0 [--quick] [--deadline-s S]
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

SCHEMA = "tppverify.torch-peer.v1"
# tppverify's own floor of timed trials (benchmarks/registry.ts MIN_TRIALS).
MIN_RUNS = 10
GIB = 1 << 30
MIB = 1 << 20
# Full size: the peer (8192^3 matmuls, >= 4 GiB per streaming array).
FULL = {"matmul_n": 8192, "stream_bytes": 4 * GIB, "runs": 20, "seconds_per_run": 0.02}
# --quick: small enough for the CPU dry run of the device check.
QUICK = {"matmul_n": 256, "stream_bytes": 32 * MIB, "runs": MIN_RUNS, "seconds_per_run": 0.002}
# A run repeats the operation until it lasts seconds_per_run; never more than this.
MAX_REPEATS_PER_RUN = 1000
# Test-only: "peer:<case>" corrupts that case's result before its check.
FAULT_ENV = "TPPVERIFY_PEER_TEST_FAULT"
MAX_ERROR_CHARS = 300


def one_line(text):
    """An error as one bounded line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_ERROR_CHARS else flat[: MAX_ERROR_CHARS - 1] + "…"


def summarize(values):
    """Median, best, spread and count of per-run rates, as tppverify's statistics.ts does."""
    n = len(values)
    mid = statistics.median(values)
    return {
        "runs": n,
        "median": mid,
        "best": max(values),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "stddev": statistics.stdev(values) if n > 1 else 0.0,
        "spreadPercent": (max(values) - min(values)) / mid * 100 if mid else 0.0,
        "values": values,
    }


class Timer:
    """Seconds of a callable on the device: CUDA events on a GPU, the wall clock on the CPU."""

    def __init__(self, torch, device):
        self.torch = torch
        self.cuda = device.type == "cuda"

    def sync(self):
        if self.cuda:
            self.torch.cuda.synchronize()

    def seconds(self, fn, repeats):
        if self.cuda:
            start = self.torch.cuda.Event(enable_timing=True)
            end = self.torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(repeats):
                fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / 1e3
        begin = time.perf_counter()
        for _ in range(repeats):
            fn()
        return time.perf_counter() - begin


def timed_runs(timer, fn, work_per_call, settings):
    """One discarded warm-up, a calibration, then settings['runs'] timed runs: rates in work units per second."""
    fn()
    timer.sync()
    single = max(timer.seconds(fn, 1), 1e-9)
    repeats = max(1, min(MAX_REPEATS_PER_RUN, math.ceil(settings["seconds_per_run"] / single)))
    rates = []
    for _ in range(settings["runs"]):
        seconds = timer.seconds(fn, repeats)
        rates.append(work_per_call * repeats / seconds)
    return rates, repeats


def fault_for(name):
    return os.environ.get(FAULT_ENV, "") == "peer:" + name


def case_result(name, what, unit, rates, repeats, verified, check):
    result = {"name": name, "what": what, "unit": unit, "available": True, "verified": verified, "check": check,
              "repeatsPerRun": repeats}
    if verified:
        result.update(summarize(rates))
    else:
        result["error"] = "result check failed: " + check
    return result


def matmul_bf16(torch, device, timer, settings):
    n = settings["matmul_n"]
    a = torch.ones(n, n, dtype=torch.bfloat16, device=device)
    b = torch.ones(n, n, dtype=torch.bfloat16, device=device)
    c = torch.empty(n, n, dtype=torch.bfloat16, device=device)
    rates, repeats = timed_runs(timer, lambda: torch.mm(a, b, out=c), 2 * n**3 / 1e12, settings)
    if fault_for("bf16-matmul"):
        c[0, 0] = 0
    # K ones summed in fp32 and rounded to bf16: n = 8192 = 2^13 is exact.
    verified = bool(torch.all(c == n).item())
    return case_result("bf16-matmul", f"C = A·B, {n}×{n}×{n}, bf16 in and out, all-ones inputs", "TFLOP/s", rates,
                       repeats, verified, f"every element of C equals {n}")


def matmul_fp8(torch, device, timer, settings):
    name = "fp8-scaled-matmul"
    if not hasattr(torch, "float8_e4m3fn") or not hasattr(torch, "_scaled_mm"):
        return {"name": name, "available": False, "reason": f"torch {torch.__version__} has no float8_e4m3fn/_scaled_mm"}
    n = settings["matmul_n"]
    a = torch.ones(n, n, device=device).to(torch.float8_e4m3fn)
    # _scaled_mm wants its second operand column-major.
    b = torch.ones(n, n, device=device).to(torch.float8_e4m3fn).t()
    one = torch.tensor(1.0, device=device)
    out = {}

    def run():
        r = torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
        # Older releases returned (out, amax).
        out["c"] = r[0] if isinstance(r, tuple) else r

    rates, repeats = timed_runs(timer, run, 2 * n**3 / 1e12, settings)
    c = out["c"]
    if fault_for(name):
        c[0, 0] = 0
    verified = bool(torch.all(c == n).item())
    return case_result(name, f"C = A·B, {n}×{n}×{n}, e4m3 in (scales 1), bf16 out, all-ones inputs", "TFLOP/s", rates,
                       repeats, verified, f"every element of C equals {n}")


def streaming(torch, device, timer, settings):
    """Copy, read-only reduction and write-only fill over the same two float32 arrays."""
    elements = settings["stream_bytes"] // 4
    # Rows of 2^20 ones: every partial sum is an integer below 2^24, exact in fp32 whatever the order.
    row = 1 << 20 if elements >= 1 << 20 else elements
    elements -= elements % row
    nbytes = elements * 4
    src = torch.ones(elements, dtype=torch.float32, device=device)
    dst = torch.full((elements,), float("nan"), dtype=torch.float32, device=device)
    results = []

    rates, repeats = timed_runs(timer, lambda: dst.copy_(src), 2 * nbytes / 1e9, settings)
    if fault_for("d2d-copy"):
        dst[-1] = 0
    results.append(case_result("d2d-copy", f"dst.copy_(src), {nbytes / GIB:.2f} GiB each, bytes read + written",
                               "GB/s", rates, repeats, bool(torch.all(dst == 1).item()),
                               "every element of dst equals 1 (poisoned with NaN before)"))

    sums = torch.empty(elements // row, dtype=torch.float32, device=device)
    rates, repeats = timed_runs(timer, lambda: torch.sum(src.view(-1, row), dim=1, out=sums), nbytes / 1e9, settings)
    if fault_for("read-reduction"):
        sums[0] = 0
    results.append(case_result("read-reduction", f"row sums of {nbytes / GIB:.2f} GiB (rows of {row} floats), bytes read",
                               "GB/s", rates, repeats, bool(torch.all(sums == row).item()), f"every row sum equals {row}"))

    rates, repeats = timed_runs(timer, lambda: dst.fill_(2.0), nbytes / 1e9, settings)
    if fault_for("write-fill"):
        dst[0] = 0
    results.append(case_result("write-fill", f"dst.fill_(2), {nbytes / GIB:.2f} GiB, bytes written", "GB/s", rates,
                               repeats, bool(torch.all(dst == 2).item()), "every element of dst equals 2"))
    return results


CASES = [("bf16-matmul", matmul_bf16), ("fp8-scaled-matmul", matmul_fp8), ("streaming", streaming)]
STREAMING_CASES = ["d2d-copy", "read-reduction", "write-fill"]


def main():
    parser = argparse.ArgumentParser(description="PyTorch peer of tppverify's GPU kernels (one JSON object on stdout)")
    parser.add_argument("--device", default="cuda:0", help="cuda:N or cpu")
    parser.add_argument("--quick", action="store_true", help="small sizes (the CPU dry run)")
    parser.add_argument("--deadline-s", type=float, default=0, help="skip cases not started within this many seconds")
    args = parser.parse_args()
    began = time.monotonic()
    report = {"schema": SCHEMA, "device": args.device, "quick": args.quick, "cases": []}
    try:
        import torch
    except Exception as error:  # noqa: BLE001: any import failure means no peer
        report["error"] = one_line(f"cannot import torch with {sys.executable}: {error}")
        print(json.dumps(report))
        return 3
    report.update({"python": sys.version.split()[0], "torch": torch.__version__, "torchCuda": torch.version.cuda})
    settings = QUICK if args.quick else FULL
    report["settings"] = settings
    try:
        device = torch.device(args.device)
        if device.type == "cuda":
            if not torch.cuda.is_available():
                raise RuntimeError("torch sees no CUDA device")
            torch.cuda.set_device(device)
            report["deviceName"] = torch.cuda.get_device_name(device)
        else:
            report["deviceName"] = "cpu"
        timer = Timer(torch, device)
    except Exception as error:  # noqa: BLE001
        report["error"] = one_line(f"{type(error).__name__}: {error}")
        print(json.dumps(report))
        return 3
    for name, run in CASES:
        names = STREAMING_CASES if name == "streaming" else [name]
        if args.deadline_s and time.monotonic() - began > args.deadline_s:
            report["cases"] += [{"name": n, "available": False, "reason": "skipped: the peer's deadline passed"} for n in names]
            continue
        try:
            result = run(torch, device, timer, settings)
            report["cases"] += result if isinstance(result, list) else [result]
        except Exception as error:  # noqa: BLE001: one case's failure must not lose the others
            report["cases"] += [{"name": n, "available": True, "verified": False,
                                 "error": one_line(f"{type(error).__name__}: {error}")} for n in names]
        finally:
            if device.type == "cuda":
                torch.cuda.empty_cache()
    report["seconds"] = time.monotonic() - began
    print(json.dumps(report))
    failed = [c for c in report["cases"] if c.get("available") and not c.get("verified")]
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
