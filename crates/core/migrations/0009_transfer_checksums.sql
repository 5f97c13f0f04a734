-- Transfers verify with the server's whole-object CRC where it keeps one (S3 computes a
-- CRC64NVME of every object), which is many times faster to compute than an MD5.

-- The CRC the download checks against (`crc64nvme:BASE64`), read when it began; none when
-- the server gave none and the ETag's MD5 is checked instead.
ALTER TABLE downloads ADD COLUMN checksum TEXT;
-- Each part's digest: its CRC (16 hex digits) when the download checks a CRC, else its MD5
-- (nothing for a range, whose MD5 proves nothing: the whole file's is taken at the end).
ALTER TABLE download_parts RENAME COLUMN md5 TO digest;
-- A large object the server sends whole comes in ranges of this size, recorded as its parts
-- are; 0 for parts fetched by their number.
ALTER TABLE downloads ADD COLUMN range_size INTEGER NOT NULL DEFAULT 0;

-- Each part's CRC64NVME (16 hex digits), combined at the end into the object's, which is
-- compared with the server's. Parts recorded before this column have none.
ALTER TABLE transfer_parts ADD COLUMN crc64nvme TEXT;
