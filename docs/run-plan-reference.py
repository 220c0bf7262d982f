#!/usr/bin/env python3
"""Reference implementation of the tppverify run plan derivation
(tppverify-run-plan@1, docs/run-plan.md), independent of the TypeScript one,
so anyone can recompute a plan from an attestation's nonce.

usage: run-plan-reference.py NONCE_HEX KERNEL,... FORMAT,...   (prints the plan as JSON)
"""
import hashlib
import hmac
import json
import sys

LABEL = b"tppverify-run-plan@1"
MIN_TRIALS, MAX_EXTRA_TRIALS = 10, 4
MAX_GAP_MS, GAP_STEP_MS = 200, 10


class Stream:
    def __init__(self, nonce: bytes):
        self.nonce, self.counter, self.words = nonce, 0, []

    def word(self) -> int:
        if not self.words:
            block = hmac.new(self.nonce, LABEL + self.counter.to_bytes(4, "big"), hashlib.sha256).digest()
            self.counter += 1
            self.words = [int.from_bytes(block[i:i + 4], "big") for i in range(0, 32, 4)]
        return self.words.pop(0)

    def below(self, n: int) -> int:
        limit = 2**32 - (2**32 % n)
        while True:
            w = self.word()
            if w < limit:
                return w % n

    def shuffled(self, items):
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.below(i + 1)
            out[i], out[j] = out[j], out[i]
        return out


def plan(nonce: bytes, kernels, formats):
    s = Stream(nonce)
    phase_order = ["bandwidth", "throughput"] if s.below(2) == 0 else ["throughput", "bandwidth"]
    k = s.shuffled(sorted(set(kernels)))
    f = s.shuffled(sorted(set(formats)))
    bw_trials = MIN_TRIALS + s.below(MAX_EXTRA_TRIALS + 1)
    tp_trials = MIN_TRIALS + s.below(MAX_EXTRA_TRIALS + 1)
    steps = MAX_GAP_MS // GAP_STEP_MS + 1
    return {
        "derivation": LABEL.decode(),
        "phaseOrder": phase_order,
        "bandwidthKernels": k,
        "throughputFormats": f,
        "bandwidthTrials": bw_trials,
        "throughputTrials": tp_trials,
        "bandwidthIdleGapsMs": [s.below(steps) * GAP_STEP_MS for _ in k],
        "throughputIdleGapsMs": [s.below(steps) * GAP_STEP_MS for _ in f],
    }


if __name__ == "__main__":
    nonce_hex, kernels, formats = sys.argv[1], sys.argv[2], sys.argv[3]
    print(json.dumps(plan(bytes.fromhex(nonce_hex), [x for x in kernels.split(",") if x], [x for x in formats.split(",") if x])))
