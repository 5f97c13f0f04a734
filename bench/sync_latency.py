"""Writes files one at a time into a folder `strata sync watch` is watching, and measures how
long after each file's last write its object exists in the pair's bucket (`watched`, at the
folder's root). Prints the median in seconds. Usage: sync_latency.py FOLDER ENDPOINT COUNT;
the key pair comes from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY."""
import os
import statistics
import sys
import time

import boto3
from botocore.exceptions import ClientError

folder, endpoint, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def exists(key):
    try:
        s3.head_object(Bucket="watched", Key=key)
        return True
    except ClientError:
        return False


latencies = []
for n in range(count):
    name = f"export-{n:03}.jpg"
    with open(os.path.join(folder, name), "wb") as file:
        file.write(os.urandom(256 * 1024))
    written = time.monotonic()
    deadline = written + 120
    while not exists(name):
        if time.monotonic() > deadline:
            sys.exit(f"{name} never arrived")
        time.sleep(0.02)
    latencies.append(time.monotonic() - written)
print(f"{statistics.median(latencies):.2f}")
