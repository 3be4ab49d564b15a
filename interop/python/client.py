"""A real python-socketio 5.x client, driven by the Rust integration tests
(crates/rt2-mock/tests/mock/interop_python.rs). The Python twin of ../client.mjs: a second,
independent Socket.IO client implementation (python-socketio on python-engineio, with
websocket-client and requests underneath), pinned by requirements.txt.

Usage: .venv/bin/python client.py '<JSON options>'

Options:
  url          base URL of the server, e.g. "http://127.0.0.1:3000" (required)
  namespace    namespace to join (default "/chatomni")
  room         the `room` query parameter (rt-2's tenant); omitted when absent
  token        sent as the CONNECT auth payload {"token": ...}; omitted when absent
  transports   e.g. ["websocket"]; default python-socketio's ["polling", "websocket"]
  events       stop once this many events arrived
  acks         stop once this many acks arrived
  connects     stop once connected this many times (for reconnect tests)
  stay_ms      stop after being connected this long (heartbeat tests)
  emit         events to emit once connected, in order: [{"event": NAME, "args": [...],
               "ack": true}]; with "ack", the server's answer is printed as an "ack" record.
               An argument {"bytes_hex": "00ff"} is sent as binary (bytes).
  stop_on_connect_error  stop at the first connect_error (default true)
  stop_on_disconnect     stop at the first disconnect (default false)
  max_decode_packets     python-engineio's limit on packets in one polling payload (default
               16: a longer payload aborts the session with "transport error")
  reconnection python-socketio's `reconnection` (default true)
  timeout_ms   give up (exit 2) after this long (default 10000)

When several counts (events, acks, connects) are given, the run stops once all are reached.

Every line on stdout is one JSON object, flushed as it is written:
  {"type":"open","transport":...}            the Engine.IO session opened (first transport)
  {"type":"connect","namespace":...,"id":...,"transport":...}
  {"type":"ready"}                           connect() returned (see below)
  {"type":"event","name":...,"args":[...],"payload":<the first argument JSON-parsed when it
   is a string holding JSON, else null>}
  {"type":"ack","event":...,"args":[...]}
  {"type":"connect_error","message":...}
  {"type":"disconnect","reason":...}
  {"type":"done","reason":...}
"ready" comes from the main thread, so events may come before it. python-socketio acts on a
server's DISCONNECT or a dropped connection only once connect() has returned ("ready"); one
arriving between "connect" and "ready" is lost. Binary arguments are printed as {"bytes_hex": "..."}. The process exits
0 when a stop condition was met, 2 on timeout, 64 on bad options.
"""

import faulthandler
import json
import os
import sys
import threading

import engineio
import socketio

_print_lock = threading.Lock()

# How long the process may take to exit after the done record.
EXIT_GRACE_S = 3


def record(fields):
    """Prints one JSON line and flushes it, so the reader sees it at once."""
    line = json.dumps(fields, separators=(",", ":"))
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def to_json(value):
    """Makes received arguments printable: bytes become {"bytes_hex": ...}."""
    if isinstance(value, (bytes, bytearray)):
        return {"bytes_hex": bytes(value).hex()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def from_json(value):
    """Turns {"bytes_hex": ...} option values into bytes, recursively."""
    if isinstance(value, dict):
        if set(value) == {"bytes_hex"}:
            return bytes.fromhex(value["bytes_hex"])
        return {key: from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value


def parsed_payload(args):
    """rt-2 sends its payloads as a JSON string: the first argument parsed, if it is one."""
    if args and isinstance(args[0], str):
        try:
            return json.loads(args[0])
        except ValueError:
            return None
    return None


class InOrderEngineIO(engineio.Client):
    """python-engineio runs the handler of every received message on a new thread, so two
    handlers can run out of arrival order; the tests compare the order of events with the
    server's. Each handler still runs on its own thread (python-socketio relies on that: its
    DISCONNECT handling joins the reading thread), but only after the handlers of the messages
    that arrived before it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._order = threading.Condition()
        self._arrived = 0
        self._handled = 0

    def _trigger_event(self, event, *args, **kwargs):
        if event == "disconnect":
            # The transport dropped, on the reading thread: let the handlers of the messages
            # that arrived before it run first (a server DISCONNECT packet followed by the
            # close, or the last events before a cut), as a single-threaded client would.
            # Bounded, because python-socketio's own DISCONNECT handling may wait for this
            # thread.
            with self._order:
                self._order.wait_for(lambda: self._handled == self._arrived, timeout=1.0)
            return super()._trigger_event(event, *args, **kwargs)
        if event != "message" or not kwargs.get("run_async"):
            return super()._trigger_event(event, *args, **kwargs)
        # Called on the reading thread, one message after the other: the ticket is the
        # message's place in arrival order.
        ticket = self._arrived
        self._arrived += 1
        handler = self.handlers[event]

        def in_turn(*message):
            with self._order:
                self._order.wait_for(lambda: self._handled == ticket)
            try:
                handler(*message)
            finally:
                with self._order:
                    self._handled += 1
                    self._order.notify_all()

        return self.start_background_task(in_turn, *args)


class RecordingClient(socketio.Client):
    """A socketio.Client on InOrderEngineIO that also reports the transport the Engine.IO
    session opened on (python-socketio has no upgrade event: comparing it with the transport at
    connect shows whether the session upgraded)."""

    def _engineio_client_class(self):
        return InOrderEngineIO

    def _handle_eio_connect(self):
        record({"type": "open", "transport": self.eio.transport()})
        super()._handle_eio_connect()


class Run:
    """The stop conditions and the counters they watch."""

    def __init__(self, options):
        self.options = options
        self.events = 0
        self.acks = 0
        self.connects = 0
        self.connect_errors = 0
        self.done = threading.Event()
        self.reason = None
        self.code = 0
        self.lock = threading.Lock()

    def finish(self, reason, code=0):
        """Prints the done record (once) and wakes the main thread."""
        with self.lock:
            if self.reason is not None:
                return
            self.reason = reason
            self.code = code
            record({"type": "done", "reason": reason})
        self.done.set()
        # The main thread exits once it sees `done`, unless it is stuck inside python-socketio
        # (say, in connect() tearing down a refused session): then this exits anyway, after
        # printing every thread's stack to stderr so the test log shows where it hung.
        watchdog = threading.Timer(EXIT_GRACE_S, self.exit_stuck)
        watchdog.daemon = True
        watchdog.start()

    def exit_stuck(self):
        print(
            f"client.py: still running {EXIT_GRACE_S} s after done; the threads:",
            file=sys.stderr,
        )
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(self.code)

    def counted(self, fields):
        """Prints an event or ack record unless the run is over; False when it is."""
        with self.lock:
            if self.reason is not None:
                return False
            record(fields)
            return True

    def check_counts(self):
        """Stops once every count given in the options is reached."""
        wanted = [
            (self.options.get("events"), self.events, "events"),
            (self.options.get("acks"), self.acks, "acks"),
            (self.options.get("connects"), self.connects, "connects"),
        ]
        given = [(limit, seen, name) for limit, seen, name in wanted if limit is not None]
        if given and all(seen >= limit for limit, seen, _ in given):
            self.finish("+".join(name for _, _, name in given))


def main():
    try:
        options = json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}")
    except ValueError as err:
        print(f"client.py: the options are not JSON: {err}", file=sys.stderr)
        return 64
    if not isinstance(options, dict) or not options.get("url"):
        print("client.py: the `url` option is required", file=sys.stderr)
        return 64

    namespace = options.get("namespace", "/chatomni")
    url = options["url"]
    if options.get("room") is not None:
        url += "?room=" + options["room"]
    auth = {"token": options["token"]} if options.get("token") is not None else None
    run = Run(options)

    if options.get("max_decode_packets") is not None:
        # The workaround python-engineio's maintainer gives for that limit: a class attribute.
        engineio.payload.Payload.max_decode_packets = options["max_decode_packets"]

    sio = RecordingClient(
        reconnection=options.get("reconnection", True),
        reconnection_delay=0.1,
        reconnection_delay_max=0.2,
        randomization_factor=0,
        request_timeout=5,
    )

    def on_connect():
        run.connects += 1
        record(
            {
                "type": "connect",
                "namespace": namespace,
                "id": sio.get_sid(namespace),
                "transport": sio.transport(),
            }
        )
        run.check_counts()
        if run.connects == 1:
            for emit in options.get("emit", []):
                send(emit)
            if options.get("stay_ms") is not None:
                timer = threading.Timer(options["stay_ms"] / 1000, run.finish, ("stayed",))
                timer.daemon = True
                timer.start()

    def send(emit):
        name = emit["event"]
        args = tuple(from_json(emit.get("args", [])))
        callback = None
        if emit.get("ack"):

            def callback(*answer):
                if run.counted({"type": "ack", "event": name, "args": to_json(list(answer))}):
                    run.acks += 1
                    run.check_counts()

        sio.emit(name, args, namespace=namespace, callback=callback)

    def on_connect_error(data=None):
        # A namespace refusal carries the server's {"message": ...}; a failed Engine.IO
        # connection carries a text.
        message = data.get("message") if isinstance(data, dict) else data
        run.connect_errors += 1
        record({"type": "connect_error", "message": message})
        if options.get("stop_on_connect_error", True):
            run.finish("connect_error")

    def on_disconnect(reason=None):
        record({"type": "disconnect", "reason": reason})
        if options.get("stop_on_disconnect", False):
            run.finish("disconnect")

    def on_event(name, *args):
        fields = {
            "type": "event",
            "name": name,
            "args": to_json(list(args)),
            "payload": parsed_payload(args),
        }
        if run.counted(fields):
            run.events += 1
            run.check_counts()

    sio.on("connect", on_connect, namespace=namespace)
    sio.on("connect_error", on_connect_error, namespace=namespace)
    sio.on("disconnect", on_disconnect, namespace=namespace)
    sio.on("*", on_event, namespace=namespace)

    timeout = options.get("timeout_ms", 10000) / 1000
    timer = threading.Timer(timeout, run.finish, ("timeout", 2))
    timer.daemon = True
    timer.start()

    try:
        sio.connect(
            url,
            auth=auth,
            transports=options.get("transports"),
            namespaces=[namespace],
            wait_timeout=5,
        )
        # python-socketio sets its `connected` flag only here, after the namespace answered:
        # a server DISCONNECT that arrives before this line is ignored by the client.
        record({"type": "ready"})
    except socketio.exceptions.ConnectionError as err:
        # The first attempt failed and python-socketio does not retry it: the run is over.
        # Its handler printed the connect_error unless the failure came before any answer.
        if run.connect_errors == 0:
            record({"type": "connect_error", "message": str(err)})
        run.finish("connect_error")

    run.done.wait()

    def goodbye():
        try:
            sio.disconnect()
        except Exception:  # noqa: BLE001 - the run is over; a failed goodbye changes nothing
            pass

    # Say goodbye so the server sees a client disconnect, but never let it hold the exit up
    # (after a refused connect python-socketio may still be tearing the session down).
    farewell = threading.Thread(target=goodbye, daemon=True)
    farewell.start()
    farewell.join(2)
    sys.stdout.flush()
    # python-socketio's reconnect and heartbeat threads may still be sleeping: do not wait
    # for them, everything the run had to say is printed and flushed.
    os._exit(run.code)


if __name__ == "__main__":
    sys.exit(main())
