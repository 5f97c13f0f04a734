-- What proves each part of an upload arrived intact: 'crc64nvme' when the server took that
-- algorithm at CreateMultipartUpload (the parts then carry their CRC64NVME and no MD5, and
-- their `md5` is ''), none when they carry a Content-MD5.
ALTER TABLE transfers ADD COLUMN part_check TEXT;
