#!/usr/bin/env python3
"""Concurrent AdmissionReview client for the crash test.

Each of THREADS keep-alive HTTPS connections posts the sample review with a fresh request UID,
until the server dies or SECONDS pass. Every UID for which a complete 200 response arrived is
printed to stdout, one per line, as soon as it arrives (flushed), so the test knows exactly which
admissions a client saw answered, even if this process is killed too.

usage: admission_load.py URL CA_FILE REVIEW_FILE THREADS SECONDS
"""
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

url, ca_file, review_file, threads, seconds = sys.argv[1:6]
parsed = urllib.parse.urlparse(url)
template = json.load(open(review_file))
deadline = time.monotonic() + float(seconds)
print_lock = threading.Lock()


def worker():
    context = ssl.create_default_context(cafile=ca_file)
    connection = None
    while time.monotonic() < deadline:
        try:
            if connection is None:
                connection = http.client.HTTPSConnection(parsed.hostname, parsed.port, context=context, timeout=5)
            uid = str(uuid.uuid4())
            body = json.dumps({**template, "request": {**template["request"], "uid": uid}})
            connection.request("POST", parsed.path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            data = response.read()
            if response.status == 200 and json.loads(data)["response"]["uid"] == uid:
                with print_lock:
                    sys.stdout.write(uid + "\n")
                    sys.stdout.flush()
        except (OSError, http.client.HTTPException, ValueError):
            # The server was killed: stop this worker.
            return


workers = [threading.Thread(target=worker) for _ in range(int(threads))]
for w in workers:
    w.start()
for w in workers:
    w.join()
