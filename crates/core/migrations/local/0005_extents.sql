-- An object completed from a multipart upload keeps its parts' blobs as they are, in order,
-- rather than a copy of them joined: `blob` is part 1's, `extents` the others' (comma-separated),
-- their sizes in `part_sizes`. NULL for an object whose bytes are all in `blob`.
ALTER TABLE objects ADD COLUMN extents TEXT;
