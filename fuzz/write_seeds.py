#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/seeds/<target>/ from captures/ and the protocol test vectors.

Run from anywhere: `python3 fuzz/write_seeds.py`. It is deterministic (same inputs, same files,
named by the SHA-1 of their content, as libFuzzer names corpus files) and keeps every target to
a few dozen small files. Files it did not write (regressions, minimised fuzzer finds) are left
alone; pass --clean to remove every seed first.
"""

import base64
import hashlib
import hmac
import json
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "captures"
SEEDS = ROOT / "fuzz" / "seeds"

# A seed larger than this is cut (fuzzing works best on small inputs; -max_len is 4096 by
# default for most targets).
MAX_SEED = 8192


def read_capture(path):
    """The records of a native capture (JSON Lines)."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def capture_frames():
    """Text frames of the bundled captures, in order."""
    frames = []
    for path in sorted(CAPTURES.glob("*.jsonl")):
        for record in read_capture(path):
            if record.get("type") == "frame" and record.get("kind") == "text":
                frames.append(record["data"])
    return frames


def capture_binary_frames():
    frames = []
    for path in sorted(CAPTURES.glob("*.jsonl")):
        for record in read_capture(path):
            if record.get("type") == "frame" and record.get("kind") == "binary":
                frames.append(base64.b64decode(record["data"]))
    return frames


def pick(frames, per_prefix=4, total=24):
    """A small, varied sample: a few frames of each two-character prefix, shortest first."""
    chosen = []
    by_prefix = {}
    for frame in frames:
        by_prefix.setdefault(frame[:2], []).append(frame)
    for prefix in sorted(by_prefix):
        group = sorted(set(by_prefix[prefix]), key=lambda f: (len(f), f))
        # The shortest, the longest and some in between.
        sample = group[:1] + group[-1:] + group[1 : per_prefix - 1]
        chosen.extend(dict.fromkeys(sample))
    return chosen[:total]


def utf16_len(text):
    return len(text.encode("utf-16-le")) // 2


# Engine.IO v4 and Socket.IO v5 examples from the protocol READMEs, and malformed neighbours.
ENGINE_TEXT = [
    '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
    '0{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":5000}',
    '0 {"pingTimeout":1,"sid":"a\\u0062","upgrades":[ "websocket" ],"pingInterval":2,"extra":null}',
    "1", "2", "3", "2probe", "3probe", "4hello", "4\u20ac", "5", "6",
    "", "7", "1x", "0", "0{}", "0[]", '0{"sid":1}',
]
SOCKET_PACKETS = [
    "0", '0{"token":"123"}', '0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}', "1/admin,",
    '2["hello",1]', '2/admin,456["project:delete",123]', '3/admin,456[]', "3456[]",
    '4{"message":"Not authorized"}', '4"Not authorized"', '4/admin,{"message":"x"}',
    '451-["hello",{"_placeholder":true,"num":0}]',
    '61-/admin,456[{"_placeholder":true,"num":0}]',
    '52-["a",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]]',
    '2["on-\\u0065vents","\\ud83d\\ude00"]', '2[1,2.5e-3,-0,true,false,null,{}]',
    "0/admin", "0/admin?token=1", '2["x"', "5", "5-[]", "51[]", "2/" + "a" * 300 + ",[\"x\"]",
    "29007199254740992[]", '2{"a":1}', "9", "",
]
JSON_EDGES = [
    ' [1, 2] ', '{"a":1,"a":2}', '"\\ud83d\\ude00"', '"\\ud800"', '"\\udc00x"', "-0", "0.0e+00", "1E400",
    "01", "1.", ".5", "-", '"\\x"', '"\t"', "[1,]", '{"a" 1}', "tru", "nul", "[" * 130 + "]" * 130,
    '"\u2028"', "\ufeff1", "1 2", "",
]
POLLING_V4 = [
    "4hello\x1e4\u20ac\x1ebAQIDBA==",
    "2\x1e3\x1e6",
    '0{"sid":"x","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3}\x1e40',
    "bAQ=", "bAQID", "b", "\x1e", "4a\x1e", "b====",
]
POLLING_V3 = [
    "6:4hello2:4\u20ac10:b4AQIDBA==",
    "1:21:31:6",
    "3:4\U0001f600",
    "2:4\U0001f600", "0:", "x:1", "99:4short", "18446744073709551616:4", "5:b4AQ==", "2:b5",
]
ATTACHMENT_SCRIPTS = [
    b'p451-["hello",{"_placeholder":true,"num":0}]\xffa\x01\x02\x03\x04',
    b'p62-/admin,7[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]\xffafirst\xffasecond',
    b'p451-["hello",{"_placeholder":true,"num":3}]\xffa\x00',
    b'p451-["x",{"_placeholder":true,"num":0}]\xffp2["y"]\xffa\x00',
    b"azzz\xffr\xffp2[\"y\"]",
    b'p452-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]\xffaA\xffr\xffaB',
]
DEVTOOLS_EXTRA = [
    "2\n3\n",
    "\u2193 13:30:00.100\t0{\"sid\":\"abc\",\"pingInterval\":25000}\n\u2191 13:30:00.250\t40/chatomni,{\"token\":\"secret\"}\n",
    "\u2193\t2\t1\t23:59:59.900\n\u2191\t3\t1\t00:00:00.100\n",
    "\u2193\tBinary Message\t4\t13:30:00.000\n",
    "\u2193 13:30:00.100\n",
]
NORMALIZE_RULES = ["$..sid=sid", "$.Message.Text=text", "$..ChannelId=keep", "$[1]=arg", "$['a b'][*]=x", "$..*=keep", "bad", ""]


class Writer:
    def __init__(self):
        self.counts = {}

    def put(self, target, data, max_len=MAX_SEED):
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = data[:max_len]
        folder = SEEDS / target
        folder.mkdir(parents=True, exist_ok=True)
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
        self.counts[target] = self.counts.get(target, 0) + 1


def inner_event_arguments(frames):
    """The on-events argument literals (the second array element, quotes included)."""
    out = []
    for frame in frames:
        if not frame.startswith("42/chatomni,"):
            continue
        array = json.loads(frame[len("42/chatomni,"):])
        if len(array) == 2 and array[0] == "on-events":
            out.append(json.dumps(array[1], ensure_ascii=False))
    return out


def ws_frame(opcode, payload, fin=True, rsv1=False, mask=None):
    """One RFC 6455 frame, masked when `mask` (4 bytes) is given."""
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    m = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([m | 127]) + n.to_bytes(8, "big")
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def deflate_messages(messages, takeover=True):
    """permessage-deflate payloads: raw deflate, sync flush, the 00 00 ff ff tail stripped."""
    import zlib
    out, c = [], zlib.compressobj(wbits=-15)
    for m in messages:
        data = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
        assert data.endswith(b"\x00\x00\xff\xff")
        out.append(data[:-4])
        if not takeover:
            c = zlib.compressobj(wbits=-15)
    return out


def ws_passive_seeds(sample):
    """Inputs of ws_passive_feed: a settings byte, a chunk-size byte, then a stream of frames."""
    mask = b"\x37\xfa\x21\x3d"
    texts = [f.encode() for f in sample[:6]] or [b"42[\"a\"]"]
    plain = b"".join(ws_frame(1, t) for t in texts)
    masked = b"".join(ws_frame(1, t, mask=mask) for t in texts)
    frag = ws_frame(1, b"42[\"he", fin=False, mask=mask) + ws_frame(9, b"2", mask=mask)
    frag += ws_frame(0, b"llo\"]", mask=mask) + ws_frame(8, b"\x03\xe8bye", mask=mask)
    binary = ws_frame(1, b'451-["upload",{"_placeholder":true,"num":0}]') + ws_frame(2, bytes(range(200)))
    takeover = b"".join(ws_frame(1, p, rsv1=True) for p in deflate_messages(texts))
    fresh = b"".join(ws_frame(1, p, rsv1=True, mask=mask) for p in deflate_messages(texts, False))
    big = ws_frame(2, bytes(70000)[:300]) + ws_frame(2, b"\x00" * 20, fin=False) + ws_frame(0, b"")
    garbage = [b"\x83\x00", b"\xa1\x00", b"\x09\x00", b"\x89\x7e\x00\x7e", b"\x82\x7f" + b"\xff" * 8, b"\x81\x05ab"]
    seeds = [
        (0x00, 0xff, plain), (0x00, 0x00, masked), (0x00, 0x02, frag), (0x08, 0x10, binary),
        (0x01, 0xff, takeover), (0x07, 0x03, fresh), (0x03, 0x00, takeover), (0x01, 0x05, fresh),
        (0x00, 0x07, big), (0x01, 0x01, ws_frame(1, b"\xff\xff\xff", rsv1=True) + takeover[:40]),
    ]
    seeds += [(0x01, 0x00, plain[:20] + g + plain[:20]) for g in garbage]
    return [bytes([s, c]) + stream for s, c, stream in seeds]


def main():
    clean = "--clean" in sys.argv[1:]
    if clean and SEEDS.exists():
        shutil.rmtree(SEEDS)
    w = Writer()
    frames = capture_frames()
    sample = pick(frames)

    for f in ENGINE_TEXT + sample:
        w.put("decode_text_frame", f)
    for f in ["4" + p for p in SOCKET_PACKETS] + sample + ENGINE_TEXT[:12]:
        w.put("decode_message", f)
    for p in SOCKET_PACKETS + [f[1:] for f in sample if f.startswith("4")]:
        w.put("decode_socket_packet", p)

    binary = capture_binary_frames()[:12]
    for b in binary + [b"", b"\x04", b"\x04\x01\x02\x03", b"\x01\x02", bytes(range(256))]:
        w.put("decode_binary_frame", b)

    for p in SOCKET_PACKETS + [f[1:] for f in sample if f.startswith("4")]:
        body = p.lstrip("0123456789-")
        if body.startswith("/"):
            body = body.split(",", 1)[-1]
        w.put("raw_json_new", body.lstrip("0123456789"))
    for j in JSON_EDGES:
        w.put("raw_json_new", j)

    for p in POLLING_V4:
        w.put("decode_polling_payload", p)
    for i in range(0, min(len(sample), 24), 6):
        w.put("decode_polling_payload", "\x1e".join(sample[i : i + 6]))
    for p in POLLING_V3:
        w.put("decode_polling_payload_v3", p)
    for i in range(0, min(len(sample), 24), 6):
        chunk = sample[i : i + 6]
        w.put("decode_polling_payload_v3", "".join(f"{utf16_len(f)}:{f}" for f in chunk))

    for s in ATTACHMENT_SCRIPTS:
        w.put("binary_reassembler", s)
    for p in SOCKET_PACKETS[:16]:
        w.put("binary_reassembler", b"p" + p.encode() + b"\xffa\x01\xffa\x02")

    # The structured round trip reads its input with `arbitrary`; any bytes are a valid
    # start, and longer fuzzer-found inputs are added after a run (see README.md).
    for n in range(8):
        w.put("roundtrip_socket_packet", bytes((i * 37 + n * 11) % 256 for i in range(16 + 24 * n)))

    arguments = inner_event_arguments(frames)
    arg_sample = sorted(set(arguments), key=len)
    arg_sample = arg_sample[:10] + arg_sample[-4:]
    for a in arg_sample:
        w.put("decode_argument", a)
        w.put("decode_argument", '["on-events",' + a + "]")
    for a in arg_sample[:4]:
        w.put("decode_argument", json.loads(a))
    for a in ['"', '""', '"\\u00"', '"\\ud800"', '"\\ud800\\udc00"', '"{}"', ' "{}"', '"\\"EventName\\":1"']:
        w.put("decode_argument", a)

    for i, a in enumerate(arg_sample[:12]):
        w.put("normalize", NORMALIZE_RULES[i % len(NORMALIZE_RULES)] + "\n" + json.loads(a))
    for f in sample[:12]:
        body = f.lstrip("0123456789").split(",", 1)[-1] if f.startswith("4") else f[1:]
        w.put("normalize", "\n" + body)
    for doc in ['{"sid":"abc","t":1767792651,"at":"2026-01-07T13:30:51.329Z","j":"[jwt exp=1767800000]"}', '["{\\"a\\":\\"[1767792651]\\"}"]', "[[[[[[[[[[]]]]]]]]]]", "1e400", "-0.0"]:
        w.put("normalize", "$..a=x\n" + doc)

    for i in range(0, min(len(sample), 24), 4):
        w.put("render_transcript", "\n".join(sample[i : i + 4]))
    w.put("render_transcript", "\n".join(["4" + p for p in SOCKET_PACKETS]))
    w.put("render_transcript", "\n".join(ENGINE_TEXT))

    for path in sorted(CAPTURES.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        w.put("read_capture_record", "".join(lines[:6]))
        w.put("read_capture_record", "".join(lines[:1] + lines[-3:]))
        w.put("read_capture_record", "".join(lines[1:4]))
        w.put("read_capture_record", "".join(lines[:3])[:-20])
    for text in [
        '{"type":"header","format":"sio-replay-capture","version":1,"source":"fuzz"}\n{"type":"frame","t_ms":1.5,"conn":1,"from":"client","kind":"binary","data":"AQID"}\n{"type":"gap","t_ms":2,"conn":1,"reason":"x"}\n',
        '{"type":"header","format":"sio-replay-capture","version":2,"source":"x"}\n',
        '{"type":"header","format":"other","version":1,"source":"x"}\n',
        '{"type":"frame","t_ms":1,"conn":1,"from":"nobody","kind":"text","data":"2"}\r\n\n  \n{"type":"x"}\n[1]\n',
        '{"type":"header","format":"sio-replay-capture","version":0,"source":"x"}\n{"type":"header","format":"sio-replay-capture","version":1,"source":"x"}\n',
    ]:
        w.put("read_capture_record", text)
    w.put("read_capture_record", b'{"type":"header","format":"sio-replay-capture","version":1,"source":"x"}\n{"a":"\xff"}\n')

    for path in sorted(CAPTURES.glob("*.har")):
        har = path.read_text(encoding="utf-8")
        # The whole sample once (the one seed allowed past MAX_SEED), then pieces.
        w.put("import_har", har.encode("utf-8"), max_len=64 * 1024)
        doc = json.loads(har)
        # One entry at a time, compact.
        for entry in doc["log"]["entries"][:6]:
            one = {"log": {"version": "1.2", "creator": doc["log"].get("creator", {}), "entries": [entry]}}
            w.put("import_har", json.dumps(one, ensure_ascii=False, separators=(",", ":")))
        w.put("import_har", har[:2000])
    for text in ['{"log":{"version":"1.2","creator":{"name":"Firefox","version":"1"},"entries":[]}}', "{}", '{"log":{"entries":[{"startedDateTime":"x"}]}}', "\ufeff{\"log\":null}"]:
        w.put("import_har", text)

    for path in sorted(CAPTURES.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for i in range(0, len(lines), 3):
            w.put("import_text", "".join(lines[i : i + 3]))
    for text in DEVTOOLS_EXTRA:
        w.put("import_text", text)

    # verify_token: tokens signed with tpos-chat's documented TEST_SECRET, forged ones, and
    # broken shapes.
    def b64url(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def token(header, claims, secret=b"sio-replay-test-secret-not-for-production", sig=None):
        head = b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
        head += b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
        if sig is None:
            sig = b64url(hmac.new(secret, head.encode(), hashlib.sha256).digest())
        return head + "." + sig

    hs256 = {"alg": "HS256", "typ": "JWT"}
    claims = {"ClientId": "tmtWebApp", "TenantId": "tomato.tpos.vn", "UserId": "u-1", "DisplayName": "Nhân viên", "iat": 1767785442, "exp": 1768390242}
    for text in [
        token(hs256, claims),
        token(hs256, {k: v for k, v in claims.items() if k != "DisplayName"}),
        token(hs256, claims, secret=b"wrong"),
        token({"alg": "none"}, claims, sig=""),
        token({"alg": "HS512"}, claims),
        token(hs256, {"TenantId": "tomato.tpos.vn"}),
        token(hs256, {"ClientId": 1, "TenantId": [], "UserId": None}),
        "a.b", "a.b.c.d", ".e30.", "e30.e30.", "eyJ!.e30.x", token(hs256, claims)[:-3],
    ]:
        w.put("verify_token", text)

    # live_video: the bundled capture's request queries and response pages, and bad queries.
    for path in sorted(CAPTURES.glob("*.jsonl")):
        for record in read_capture(path):
            if record.get("type") == "http" and "livevideo" in record.get("url", ""):
                if "?" in record["url"]:
                    w.put("live_video", record["url"].split("?", 1)[1])
                if isinstance(record.get("body"), str) and record["body"].startswith("{"):
                    w.put("live_video", record["body"])
    for text in ["pageid=1&before=a&after=b", "pageid=&limit=1", "pageid=1&limit=-1", "pageid=%zz", "pageid=a+b%20c&facebook_Type=page&after=QVF%3D", "limit=1", "pageid=1&pageid=2&&x"]:
        w.put("live_video", text)

    # infer_and_validate: lines are frames (">" marks the client's): the bundled sessions in
    # runs of frames, odd traffic (namespaces, event names, acks, binary), and documents.
    for path in sorted(CAPTURES.glob("*.jsonl")):
        lines = [
            (">" if record["from"] == "client" else "") + record["data"]
            for record in read_capture(path)
            if record.get("type") == "frame" and record.get("kind") == "text"
        ]
        for i in range(0, min(len(lines), 48), 8):
            w.put("infer_and_validate", "\n".join(lines[i : i + 8]))
    odd = [
        '0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":20000}',
        ">40", '40{"sid":"b"}', '>40/admin,{"token":"[redacted]","v":2}',
        '>420["chat message","hello",{"to":"x"}]', '430[{"ok":true},"2026-01-07T13:30:51.329Z"]',
        '>42["\u00fcn\u00efcode ev/ent.x",null]', '451-["upload",{"_placeholder":true,"num":0}]',
        '42/admin,["stats",{"n":1.5,"ids":["689763acb11cca3c0b168e77"]}]', '>42/admin,["ping"]',
        '>42/admin,7["get",1,2,3]', "43/admin,7[]", '42["x","{\\"a\\":[1]}"]', "42[", ">43[]",
    ]
    w.put("infer_and_validate", "\n".join(odd))
    for i in range(0, len(odd), 4):
        w.put("infer_and_validate", "\n".join(odd[i : i + 4]))
    document = {
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "0"},
        "channels": {"c": {"address": "/", "messages": {"m": {"$ref": "#/components/messages/m"}},
                           "x-sio-auth": {"type": "object", "required": ["token"]}}},
        "operations": {"o": {"action": "receive", "channel": {"$ref": "#/channels/c"},
                             "messages": [{"$ref": "#/channels/c/messages/m"}]}},
        "components": {"messages": {"m": {"name": "x", "x-sio-payload": "arguments",
            "payload": {"type": "array", "items": [{"type": "string", "contentMediaType": "application/json",
                "contentSchema": {"$ref": "#/components/schemas/s"}}], "minItems": 1},
            "x-ack": {"args": {"type": "array", "maxItems": 0}}}},
            "schemas": {"s": {"type": "object", "properties": {"a": {"items": {"enum": [1, 2.0]}}},
                              "additionalProperties": False}}},
    }
    w.put("infer_and_validate", json.dumps(document))
    document["components"]["schemas"]["s"] = {"$ref": "#/components/schemas/s"}
    w.put("infer_and_validate", json.dumps(document))
    for text in ['{"asyncapi":"2.6.0"}', '{"asyncapi":"3.0.0","operations":{"o":{"action":"send"}}}',
                 '{"asyncapi":"3.0.0","operations":{"o":{"action":"send","channel":{"$ref":"#/x"}}}}']:
        w.put("infer_and_validate", text)
    for seed in ws_passive_seeds(sample):
        w.put("ws_passive_feed", seed)

    total = sum(p.stat().st_size for p in SEEDS.rglob("*") if p.is_file())
    for target in sorted(w.counts):
        files = len(list((SEEDS / target).iterdir()))
        print(f"{target}: {files} files")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
