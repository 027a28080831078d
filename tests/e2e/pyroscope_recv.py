#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for Grafana Pyroscope's HTTP ingest API, for tests: 127.0.0.1 only.

  pyroscope_recv.py PORT DIR [REFUSE] [--tls CERT KEY] [--auth USER:PASSWORD]

Accepts POST /ingest?name=..&from=..&until=..&format=pprof&sampleRate=.. with a
multipart/form-data body whose "profile" part is a gzip pprof; stores each profile as
DIR/NNNN.pb.gz and appends "NNNN name from until sampleRate" to DIR/index.txt. Anything else
(a missing parameter, another format, no profile part, a profile that is not one whole gzip
stream) is answered 400 and logged to DIR/errors.txt, so a test can require that file to stay
empty. With REFUSE, the first REFUSE well-formed requests are answered 400 on purpose (counted
in DIR/refused.txt), as a backend that rejects a profile would.

With --tls, it speaks HTTPS with that certificate and key (an authenticating proxy's front);
with --auth, a request without that basic-auth pair is answered 401 and counted in
DIR/unauthorized.txt. Each accepted request appends "NNNN AUTH ORGID" to DIR/headers.txt: AUTH
is the user name it authenticated as ("-" without an Authorization header), ORGID the
X-Scope-OrgID header ("-" without one). A request in a proxy's form (an absolute URL on the
request line) is taken too: "NNNN HOST:PORT" of its URL goes to DIR/targets.txt ("NNNN -" for
one sent directly).
"""
import argparse
import base64
import email.parser
import email.policy
import gzip
import http.server
import os
import ssl
import urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("dir")
ap.add_argument("refuse", type=int, nargs="?", default=0)
ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
ap.add_argument("--auth")
args = ap.parse_args()
PORT, DIR, REFUSE = args.port, args.dir, args.refuse
os.makedirs(DIR, exist_ok=True)
count = refused = 0


def note(name, line):
    with open(os.path.join(DIR, name), "a") as f:
        f.write(line + "\n")


def basic_user(header):
    """The user of a well-formed "Basic" Authorization header, or None."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except ValueError:
        return None
    return (user, password)


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
        who = basic_user(self.headers.get("Authorization"))
        if args.auth and who != tuple(args.auth.split(":", 1)):
            note("unauthorized.txt", who[0] if who else "-")
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="pyroscope"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
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
        note("headers.txt", f"{name} {who[0] if who else '-'} {self.headers.get('X-Scope-OrgID', '-')}")
        note("targets.txt", f"{name} {url.netloc or '-'}")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
if args.tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*args.tls)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
