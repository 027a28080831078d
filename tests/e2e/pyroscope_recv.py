#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for Grafana Pyroscope's HTTP ingest API, for tests: 127.0.0.1 only.

  pyroscope_recv.py PORT DIR [REFUSE]

Accepts POST /ingest?name=..&from=..&until=..&format=pprof&sampleRate=.. with a
multipart/form-data body whose "profile" part is a gzip pprof; stores each profile as
DIR/NNNN.pb.gz and appends "NNNN name from until sampleRate" to DIR/index.txt. Anything else
(a missing parameter, another format, no profile part, a profile that is not one whole gzip
stream) is answered 400 and logged to DIR/errors.txt, so a test can require that file to stay
empty. With REFUSE, the first REFUSE well-formed requests are answered 400 on purpose (counted
in DIR/refused.txt), as a backend that rejects a profile would.
"""
import email.parser
import email.policy
import gzip
import http.server
import os
import sys
import urllib.parse

PORT, DIR = int(sys.argv[1]), sys.argv[2]
REFUSE = int(sys.argv[3]) if len(sys.argv) > 3 else 0
os.makedirs(DIR, exist_ok=True)
count = refused = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reject(self, why):
        with open(os.path.join(DIR, "errors.txt"), "a") as f:
            f.write(why + "\n")
        self.send_response(400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        global count, refused
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query, strict_parsing=True)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if url.path != "/ingest":
            return self.reject(f"path {url.path}")
        for key in ("name", "from", "until", "format", "sampleRate"):
            if len(q.get(key, [])) != 1:
                return self.reject(f"parameter {key}: {q.get(key)}")
        if q["format"][0] != "pprof":
            return self.reject(f"format {q['format'][0]}")
        if not (q["from"][0].isdigit() and q["until"][0].isdigit()
                and int(q["from"][0]) <= int(q["until"][0])):
            return self.reject(f"from/until {q['from'][0]} {q['until'][0]}")
        ctype = self.headers.get("Content-Type", "")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        profile = None
        if msg.is_multipart():
            for part in msg.iter_parts():
                if part.get_param("name", header="content-disposition") == "profile":
                    profile = part.get_payload(decode=True)
        if not profile or profile[:2] != b"\x1f\x8b":
            return self.reject("no gzip profile part")
        try:
            gzip.decompress(profile)
        except (OSError, EOFError) as e:
            return self.reject(f"profile is not a whole gzip stream: {e}")
        if refused < REFUSE:
            refused += 1
            with open(os.path.join(DIR, "refused.txt"), "a") as f:
                f.write(f"{q['from'][0]}\n")
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        count += 1
        name = f"{count:04d}"
        with open(os.path.join(DIR, name + ".pb.gz"), "wb") as f:
            f.write(profile)
        with open(os.path.join(DIR, "index.txt"), "a") as f:
            f.write(f"{name} {q['name'][0]} {q['from'][0]} {q['until'][0]} {q['sampleRate'][0]}\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
