#!/usr/bin/env python3
"""Reference implementation of the tppverify run plan derivation
(tppverify-run-plan@2, docs/run-plan.md), independent of the TypeScript one,
so anyone can recompute a plan from an attestation's nonce.

usage: run-plan-reference.py NONCE_HEX BACKEND KERNEL,... FORMAT,...
prints the plan's record over those kernels and formats on that backend
("cpu", "cuda", "hip") as JSON
"""
import hashlib
import hmac
import json
import sys

LABEL = "tppverify-run-plan@2"
MIN_TRIALS, MAX_EXTRA_TRIALS = 10, 4
MAX_GAP_MS, GAP_STEP_MS = 200, 10
# Compiled code variants per backend and suite (benchmarks/registry.ts CODE_VARIANTS).
CODE_VARIANTS = {"cpu": {"bandwidth": 3, "throughput": 3}, "cuda": {"bandwidth": 3, "throughput": 3}, "hip": {"bandwidth": 3, "throughput": 1}}
# Formats whose count differs from the backend's throughput count (CODE_VARIANTS.throughputByFormat).
THROUGHPUT_VARIANTS_BY_FORMAT = {}
# Block sizes of the GPU stream kernels (benchmarks/registry.ts THREADS_PER_BLOCK_CHOICES).
THREADS_PER_BLOCK_CHOICES = {"cuda": [256, 512, 1024]}
# Backends that compile kernels at run time under a drawn name (RUNTIME_COMPILATION_BACKENDS).
RUNTIME_COMPILATION_BACKENDS = ["cuda"]
# The throughput operand seed's bound (benchmarks/registry.ts MAX_OPERAND_SEED); drawn on the CPU only.
MAX_OPERAND_SEED = 1023
ARRAY_FACTOR_MIN_PERCENT, ARRAY_FACTOR_STEP_PERCENT, ARRAY_FACTOR_STEPS = 100, 5, 10
STREAM_SCALAR_MIN, STREAM_SCALAR_STEP, STREAM_SCALAR_STEPS = 2, 0.25, 24


def draw(nonce: bytes, *parts: str) -> bytes:
    return hmac.new(nonce, "\0".join((LABEL,) + parts).encode(), hashlib.sha256).digest()


def below(nonce: bytes, n: int, *parts: str) -> int:
    limit = 2**32 - (2**32 % n)
    counter = 0
    while True:
        block = draw(nonce, *parts, str(counter))
        for i in range(0, 32, 4):
            w = int.from_bytes(block[i:i + 4], "big")
            if w < limit:
                return w % n
        counter += 1


def record(nonce: bytes, backend: str, kernels, formats):
    phases = ["bandwidth", "throughput"] if below(nonce, 2, "phase") == 0 else ["throughput", "bandwidth"]
    steps = []
    for suite in phases:
        names = sorted(set(kernels if suite == "bandwidth" else formats), key=lambda n: (draw(nonce, "order", suite, n), n))
        for name in names:
            count = CODE_VARIANTS.get(backend, {}).get(suite, 1)
            if suite == "throughput":
                count = THROUGHPUT_VARIANTS_BY_FORMAT.get(backend, {}).get(name, count)
            gap = below(nonce, MAX_GAP_MS // GAP_STEP_MS + 1, "gap", suite, name) * GAP_STEP_MS
            variant = below(nonce, count, "variant", suite, name)
            steps.append({"suite": suite, "name": name, "idleGapMs": gap, "variant": variant, "variantCount": count})
    return {
        "derivation": LABEL,
        "phaseOrder": phases,
        "bandwidthTrials": MIN_TRIALS + below(nonce, MAX_EXTRA_TRIALS + 1, "trials", "bandwidth"),
        "throughputTrials": MIN_TRIALS + below(nonce, MAX_EXTRA_TRIALS + 1, "trials", "throughput"),
        "steps": steps,
        "backend": backend,
        "arraySizeFactorPercent": ARRAY_FACTOR_MIN_PERCENT + ARRAY_FACTOR_STEP_PERCENT * below(nonce, ARRAY_FACTOR_STEPS + 1, "array-size"),
        "streamScalar": STREAM_SCALAR_MIN + STREAM_SCALAR_STEP * below(nonce, STREAM_SCALAR_STEPS + 1, "stream-scalar"),
        "threadsPerBlock": threads_per_block(nonce, backend),
        "kernelName": "tppv_" + draw(nonce, "kernel-name").hex()[:8] if backend in RUNTIME_COMPILATION_BACKENDS else "",
        "operandSeed": below(nonce, MAX_OPERAND_SEED + 1, "operand-seed") if backend == "cpu" else 0,
    }


def threads_per_block(nonce: bytes, backend: str) -> int:
    choices = THREADS_PER_BLOCK_CHOICES.get(backend, [])
    return choices[below(nonce, len(choices), "threads-per-block")] if choices else 0


if __name__ == "__main__":
    nonce_hex, backend, kernels, formats = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    split = lambda s: [x for x in s.split(",") if x]
    print(json.dumps(record(bytes.fromhex(nonce_hex), backend, split(kernels), split(formats))))
