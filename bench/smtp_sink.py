"""An SMTP sink for benchmark 5: aiosmtpd on 127.0.0.1:<port> in its own process, accepting and counting every message.

`python -m bench.smtp_sink PORT` serves until SIGTERM, then prints {"messages": n, "bytes": n}
as its last line. Messages are counted, not parsed or kept, so the sink costs as little as it can.
"""
from __future__ import annotations

import json
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class CountingHandler:
    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001  (aiosmtpd's hook signature)
        self.messages += 1
        self.bytes += len(envelope.original_content or envelope.content or b"")
        return "250 Message accepted"


def main() -> None:
    port = int(sys.argv[1])
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller.start()
    print("ready", flush=True)
    # Bounded: a sink left behind by a crashed benchmark ends by itself after an hour.
    stop.wait(3600)
    controller.stop()
    print(json.dumps({"messages": handler.messages, "bytes": handler.bytes}), flush=True)


if __name__ == "__main__":
    main()
