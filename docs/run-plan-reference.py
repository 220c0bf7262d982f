#!/usr/bin/env python3
"""Reference implementation of the tppverify run plan derivation
(tppverify-run-plan@1, docs/run-plan.md), independent of the TypeScript one,
so anyone can recompute a plan from an attestation's nonce.

usage: run-plan-reference.py NONCE_HEX KERNEL,... FORMAT,...
prints the plan's record over those kernels and formats as JSON
"""
import hashlib
import hmac
import json
import sys

LABEL = "tppverify-run-plan@1"
MIN_TRIALS, MAX_EXTRA_TRIALS = 10, 4
MAX_GAP_MS, GAP_STEP_MS = 200, 10


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


def record(nonce: bytes, kernels, formats):
    phases = ["bandwidth", "throughput"] if below(nonce, 2, "phase") == 0 else ["throughput", "bandwidth"]
    steps = []
    for suite in phases:
        names = sorted(set(kernels if suite == "bandwidth" else formats), key=lambda n: (draw(nonce, "order", suite, n), n))
        for name in names:
            gap = below(nonce, MAX_GAP_MS // GAP_STEP_MS + 1, "gap", suite, name) * GAP_STEP_MS
            steps.append({"suite": suite, "name": name, "idleGapMs": gap})
    return {
        "derivation": LABEL,
        "phaseOrder": phases,
        "bandwidthTrials": MIN_TRIALS + below(nonce, MAX_EXTRA_TRIALS + 1, "trials", "bandwidth"),
        "throughputTrials": MIN_TRIALS + below(nonce, MAX_EXTRA_TRIALS + 1, "trials", "throughput"),
        "steps": steps,
    }


if __name__ == "__main__":
    nonce_hex, kernels, formats = sys.argv[1], sys.argv[2], sys.argv[3]
    split = lambda s: [x for x in s.split(",") if x]
    print(json.dumps(record(bytes.fromhex(nonce_hex), split(kernels), split(formats))))
