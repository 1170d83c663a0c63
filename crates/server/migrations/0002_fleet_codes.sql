-- Fleet codes: one enrollment code for many devices, as an MDM policy
-- carries one code for a whole fleet. Codes already used have none left.
ALTER TABLE enrollment_codes ADD COLUMN uses_left BIGINT NOT NULL DEFAULT 1;
UPDATE enrollment_codes SET uses_left = 0 WHERE used_ms IS NOT NULL;
