"""A tiny MJPEG-over-HTTP camera for the live tests: serves a video file, looped, in real time, as
``multipart/x-mixed-replace`` JPEG frames (how many IP cameras stream). Run as a script; prints ``ready PORT`` on
stdout once listening, so that a test knows from when the camera is up.

    python mjpeg_server.py VIDEO PORT [FPS [STALL_AFTER_S]]

With ``STALL_AFTER_S`` each connection stops sending after that many seconds but stays open (a hung camera).
"""

from __future__ import annotations

import http.server
import socketserver
import sys
import time

import cv2

BOUNDARY = "frameboundary"


def _frames(video: str, fps: float):
    """JPEG bytes of the video's frames, looped forever, paced to ``fps`` frames per wall-clock second."""
    period = 1.0 / fps
    due = time.monotonic()
    while True:
        cap = cv2.VideoCapture(video)
        while True:
            ok, image = cap.read()
            if not ok:
                break
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
            due += period
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            yield jpeg.tobytes()
        cap.release()


def main() -> None:
    video, port = sys.argv[1], int(sys.argv[2])
    fps = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    stall_after_s = float(sys.argv[4]) if len(sys.argv) > 4 else None

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.end_headers()
            t0 = time.monotonic()
            try:
                for jpeg in _frames(video, fps):
                    if stall_after_s is not None and time.monotonic() - t0 > stall_after_s:
                        time.sleep(3600)
                    self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                                     f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                return

        def log_message(self, *args) -> None:
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    with Server(("127.0.0.1", port), Handler) as server:
        print(f"ready {port}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
