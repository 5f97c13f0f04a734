-- The size of each part of an object completed from a multipart upload, comma-separated, so
-- GetObject and HeadObject answer `partNumber` with that part's bytes (parallel downloads by
-- part, and a client's check of each part's MD5).
ALTER TABLE objects ADD COLUMN part_sizes TEXT;
