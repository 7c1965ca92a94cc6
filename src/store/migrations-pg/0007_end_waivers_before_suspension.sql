-- A suspension or revocation issued after a gate waiver ends the waiver (as SQLite migration 0016).
-- Waivers granted before such a decision, recorded while that rule was not yet kept, end now.
DELETE FROM "gate_waivers" WHERE EXISTS (SELECT 1 FROM "trust_marks" m WHERE m."supplier_id" = "gate_waivers"."supplier_id" AND m."state" IN ('suspended', 'revoked') AND m."state_changed_at" > "gate_waivers"."created_at");
