# An example policy a lab's client runs over a tppverify result, in Rego v1
# (Open Policy Agent, Conftest, Kyverno's JSON policies). It accepts a board
# only if the attestation was verified and signed by the lab's key, the
# verdict is consistent, the board is eligible for the 2026 case-by-case
# review, and TPP stays at least data.min_tpp_margin below the 21,000 line,
# declared and measured at every clock.
#
# input:
#   verification  the output of `tppverify verify FILE --json` (tppverify.verify.v1)
#   statement     the in-toto Statement: the payload of FILE's .intoto.json
#                 envelope, base64-decoded (docs/predicate-spec.md)
# data:
#   lab_keyids      hex key ids (SHA-256 of the SPKI DER) of the lab's keys
#   min_tpp_margin  the least margin below the TPP line that is accepted
#
#   opa eval -d docs/policy/accept.rego -d docs/policy/data.example.json \
#     -i input.json 'data.tppverify.accept'
package tppverify.accept

import rego.v1

predicate_type := "https://tppverify.dev/attestation/v1"

default allow := false

allow if count(deny) == 0

file := input.verification.files[0]

predicate := input.statement.predicate

# proto3 JSON leaves a field at its default out: a missing number is 0, a missing flag false.
results_field(name, fallback) := object.get(predicate.results, name, fallback)

deny contains "the verification output is not tppverify.verify.v1 for exactly one file" if {
	not input.verification.schema == "tppverify.verify.v1"
}

deny contains "the verification output is not tppverify.verify.v1 for exactly one file" if {
	count(input.verification.files) != 1
}

deny contains "tppverify verify did not accept the attestation" if {
	not file.valid == true
}

deny contains "no signature from a lab key" if {
	count({k | some k in file.keyids; k in data.lab_keyids}) == 0
}

deny contains sprintf("predicate type %v is not %v", [input.statement.predicateType, predicate_type]) if {
	input.statement.predicateType != predicate_type
}

deny contains "the statement is not the one verify checked (report ids differ)" if {
	predicate.report.reportId != file.summary.reportId
}

deny contains sprintf("verdict %v, not consistent", [object.get(predicate.verdict, "outcome", "")]) if {
	object.get(predicate.verdict, "outcome", "") != "consistent"
}

deny contains "not eligible for the case-by-case review" if {
	not results_field("caseByCaseEligible", false)
}

deny contains sprintf("declared TPP margin %v is below %v", [results_field("tppMargin", 0), data.min_tpp_margin]) if {
	results_field("tppMargin", 0) < data.min_tpp_margin
}

deny contains sprintf("TPP at the %v clock leaves a margin of %v, below %v", [object.get(c, "clock", ""), object.get(c, "tppMargin", 0), data.min_tpp_margin]) if {
	some c in object.get(predicate.results, "measuredAtClocks", [])
	object.get(c, "tppMargin", 0) < data.min_tpp_margin
}

deny contains "a demonstration signature (ephemeral key), not a lab signature" if {
	object.get(predicate.report, "demo", false)
}
