#!/usr/bin/env python3
"""A small upstream for the gateway tests, on Python's standard library only.

Listens on 127.0.0.1 at the port given as the first argument (0: a free
one) and prints the port on the first line of its standard output, so the
test that started it knows where it is without a race.

  any method, any path    echo: {"method", "path", "query", "headers"} as JSON,
                          headers as {lower-case name: [values]}
  POST .../upload         reads the body in 64 KiB chunks (Content-Length or
                          chunked) without keeping it: {"bytes": n, "sha256": hex}
  GET .../events?id=X     Server-Sent Events: event "one", then waits until
                          GET .../release?id=X arrives (at most 30 s), then
                          event "two", then ends
  GET .../release?id=X    releases the second event of the stream X
  GET .../ws              WebSocket echo (RFC 6455): text and binary frames
                          back as they came, ping answered, close echoed

Each connection has its own thread (ThreadingHTTPServer), with a small stack
so that a thousand idle WebSocket connections stay cheap.
"""

import base64
import hashlib
import http.server
import json
import sys
import threading
import urllib.parse

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CHUNK = 64 * 1024

releases = {}  # stream id -> threading.Event
releases_lock = threading.Lock()


def release_event(stream_id):
    with releases_lock:
        return releases.setdefault(stream_id, threading.Event())


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # each SSE event and frame leaves at once

    def log_message(self, format, *args):  # quiet: the tests read answers, not logs
        pass

    def do_GET(self):
        self.route()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        last = url.path.rsplit("/", 1)[-1]
        query = urllib.parse.parse_qs(url.query)
        if last == "upload" and self.command == "POST":
            return self.upload()
        if last == "events" and self.command == "GET":
            return self.events(query.get("id", [""])[0])
        if last == "release" and self.command == "GET":
            release_event(query.get("id", [""])[0]).set()
            return self.reply(200, {"released": True})
        if last == "ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            return self.websocket()
        self.discard_body()
        headers = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        self.reply(200, {"method": self.command, "path": url.path, "query": url.query, "headers": headers})

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body_chunks(self):
        """Yields the request body in pieces of at most CHUNK bytes."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                while size > 0:
                    piece = self.rfile.read(min(size, CHUNK))
                    if not piece:
                        raise ConnectionError("body ended early")
                    size -= len(piece)
                    yield piece
                self.rfile.readline()  # CRLF after the chunk
        left = int(self.headers.get("Content-Length") or 0)
        while left > 0:
            piece = self.rfile.read(min(left, CHUNK))
            if not piece:
                raise ConnectionError("body ended early")
            left -= len(piece)
            yield piece

    def discard_body(self):
        for _ in self.body_chunks():
            pass

    def upload(self):
        digest, count = hashlib.sha256(), 0
        for piece in self.body_chunks():
            digest.update(piece)
            count += len(piece)
        self.reply(200, {"bytes": count, "sha256": digest.hexdigest()})

    def events(self, stream_id):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.chunk(b"event: one\ndata: 1\n\n")
        release_event(stream_id).wait(30)
        self.chunk(b"event: two\ndata: 2\n\n")
        self.chunk(b"")
        with releases_lock:
            releases.pop(stream_id, None)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        if self.headers.get("Sec-WebSocket-Version") != "13" or len(base64.b64decode(key, validate=False)) != 16:
            return self.reply(400, {"error": "bad WebSocket handshake"})
        accept = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        try:
            while True:
                fin_opcode, payload = self.read_frame()
                opcode = fin_opcode & 0x0F
                if opcode == 0x8:  # close: echo its status, then end
                    self.write_frame(0x88, payload[:2])
                    return
                if opcode == 0x9:  # ping
                    self.write_frame(0x8A, payload)
                elif opcode in (0x0, 0x1, 0x2):  # continuation, text, binary
                    self.write_frame(fin_opcode, payload)
        except (ConnectionError, OSError):
            return

    def read_frame(self):
        head = self.read_exact(2)
        fin_opcode, length = head[0], head[1] & 0x7F
        if not head[1] & 0x80:
            raise ConnectionError("client frame not masked")
        if length == 126:
            length = int.from_bytes(self.read_exact(2), "big")
        elif length == 127:
            length = int.from_bytes(self.read_exact(8), "big")
        if length > 1 << 20:
            raise ConnectionError("frame too large")
        mask = self.read_exact(4)
        data = self.read_exact(length)
        return fin_opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    def read_exact(self, n):
        data = self.rfile.read(n)
        if len(data) != n:
            raise ConnectionError("connection closed")
        return data

    def write_frame(self, fin_opcode, payload):
        n = len(payload)
        if n < 126:
            head = bytes([fin_opcode, n])
        elif n < 1 << 16:
            head = bytes([fin_opcode, 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([fin_opcode, 127]) + n.to_bytes(8, "big")
        self.wfile.write(head + payload)
        self.wfile.flush()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096  # a thousand connections may arrive at once


def main():
    threading.stack_size(256 * 1024)
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = Server(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
