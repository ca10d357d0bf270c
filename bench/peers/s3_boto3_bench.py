"""Peer for bench/object_store.sh: the same put/get workload as object_store_benchmark, through
boto3 (the AWS SDK for Python) against the same S3 endpoint, printing the same JSON lines."""

import argparse
import json
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--object-bytes", type=int, default=4096)
    p.add_argument("--objects", type=int, default=1000)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--prefix", default="bench-boto3")
    a = p.parse_args()

    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT"],
        region_name=os.environ.get("S3_REGION", "us-east-1"),
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=a.threads * 2),
    )
    bucket = os.environ["STORAGE_CONTAINER"]
    payload = random.Random(42).randbytes(a.object_bytes)
    prefix = f"{a.prefix}/{a.object_bytes}-{os.getpid()}"
    keys = [f"{prefix}/{i:06d}" for i in range(a.objects)]

    def report(phase, seconds):
        print(json.dumps({
            "store": "aws", "client": "boto3", "phase": phase, "object_bytes": a.object_bytes,
            "objects": a.objects, "threads": a.threads, "seconds": round(seconds, 4),
            "ops_per_s": round(a.objects / seconds, 1),
            "mib_per_s": round(a.objects * a.object_bytes / 2**20 / seconds, 2),
        }), flush=True)

    with ThreadPoolExecutor(a.threads) as pool:
        start = time.perf_counter()
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=payload), keys))
        report("put", time.perf_counter() - start)

        def get(k):
            body = s3.get_object(Bucket=bucket, Key=k)["Body"].read()
            assert len(body) == a.object_bytes
        start = time.perf_counter()
        list(pool.map(get, keys))
        report("get", time.perf_counter() - start)

        list(pool.map(lambda k: s3.delete_object(Bucket=bucket, Key=k), keys))


if __name__ == "__main__":
    main()
