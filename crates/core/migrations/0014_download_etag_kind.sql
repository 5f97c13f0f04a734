-- Whether a download's ETag is made from the object's bytes (an MD5, or the MD5 of its parts'
-- MD5s). It is not for objects encrypted with KMS or a customer's key: those are checked by
-- a checksum or their length, never against the ETag.
ALTER TABLE downloads ADD COLUMN etag_is_digest INTEGER NOT NULL DEFAULT 1;
