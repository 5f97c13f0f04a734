"""moto's S3 server, changed in one way: an object encrypted with SSE-KMS has an ETag that is
not the MD5 of its bytes, as on S3 (moto keeps the MD5 for every object). Everything else is
moto's own. Started by the testkit's `Moto::start_sse_kms`."""

import hashlib
import sys

from moto.s3 import models
from moto.server import main

md5_etag = models.FakeKey.etag


def opaque_etag(key):
    etag = md5_etag.fget(key)
    if key.encryption not in ("aws:kms", "aws:kms:dsse"):
        return etag
    digest, dash, parts = etag.strip('"').partition("-")
    opaque = hashlib.md5(("kms:" + digest).encode()).hexdigest()
    return f'"{opaque}{dash}{parts}"'


models.FakeKey.etag = property(opaque_etag)
sys.exit(main())
