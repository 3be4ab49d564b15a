//! Decoding a text frame performs zero heap allocations.
//!
//! A counting global allocator counts the allocations made by this thread while a closure
//! runs. It is its own test binary because a `#[global_allocator]` applies to the whole
//! binary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use sio_wire::engine::{EnginePacket, PollingPacket, decode_polling_payload, decode_text_frame};
use sio_wire::json::JsonKind;
use sio_wire::socket::{SocketPacketType, decode_socket_packet};
use sio_wire::{DecodedFrame, RawJson, decode_message, decode_message_bytes};

struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if counting {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every method forwards to the system allocator unchanged; counting touches only
// const-initialised thread-locals, which never allocate.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` and returns how many allocations this thread made meanwhile.
fn allocations_during(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

/// An rt-2 `on-events` frame: the event object stringified into the argument, so its inner
/// JSON arrives escaped, with Vietnamese text.
fn on_events_frame(n: usize) -> String {
    let names = [
        "Thảo Tây",
        "Nguyễn Văn Anh",
        "Trần Thị Bích Ngọc",
        "Lê Hoàng",
    ];
    let texts = [
        "Nu",
        "Shop ơi, còn size M không ạ? Mình muốn đặt 2 cái màu đỏ",
        "Giá bao nhiêu vậy shop, ship về Đà Nẵng mất mấy ngày?",
        "Cảm ơn shop nhiều nhé \u{1f60d}\u{1f60d} \"hàng đẹp\" lắm",
    ];
    let name = names[n % names.len()];
    let text = texts[n % texts.len()];
    let inner = format!(
        r#"{{"Conversation":{{"Id":"689763acb11cca3c0b16{n:04}","ChannelType":4,"ChannelId":"1479019015501919","UserId":"34306801469{n:05}","Name":"{name}","UpdatedTime":"2026-01-07T13:30:51.329Z"}},"Message":{{"Id":"695e60057b7c8059540e{n:04}","Message":{text:?},"MessageType":12,"Data":{{"message":{text:?},"created_time":"2026-01-07T20:30:45+07:00","from":{{"id":"34306801469{n:05}","name":"{name}"}}}},"EventName":"chatomni.on-message"}}}}"#
    );
    let mut arg = String::new();
    sio_wire::json::write_json_str(&inner, &mut arg);
    format!(r#"42/chatomni,["on-events",{arg}]"#)
}

#[test]
fn decoding_text_frames_does_not_allocate() {
    let frames: Vec<String> = (0..64).map(on_events_frame).collect();
    let others = [
        r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":[],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#,
        "2",
        "3",
        "2probe",
        "40/chatomni,",
        r#"40/chatomni,{"sid":"SSUs7rUdms63DeB9R9vX"}"#,
        r#"43/chatomni,17[{"ok":true}]"#,
        r#"451-/chatomni,["upload",{"_placeholder":true,"num":0}]"#,
        r#"42/chatomni,["on-\u0065vents","x"]"#,
        r#"44/chatomni,{"message":"Not authorized"}"#,
    ];
    let payload = format!("{}\x1e2\x1ebAQIDBA==\x1e{}", frames[0], frames[1]);
    assert!(frames.iter().all(|f| f.len() > 300), "realistic sizes");

    let mut checked_args = 0usize;
    let count = allocations_during(|| {
        for frame in &frames {
            let Ok(DecodedFrame::Socket(packet)) = decode_message(black_box(frame)) else {
                panic!("decode failed")
            };
            assert_eq!(packet.kind, SocketPacketType::Event);
            assert_eq!(packet.namespace, "/chatomni");
            let Ok(name) = packet.event_name() else {
                panic!("no event name")
            };
            assert_eq!(name, "on-events");
            for arg in packet.args() {
                assert_eq!(arg.kind(), JsonKind::String);
                let Some(content) = arg.string_content() else {
                    panic!("not a string")
                };
                black_box(content);
                checked_args += 1;
            }
            let Ok(_) = decode_message_bytes(black_box(frame.as_bytes())) else {
                panic!("decode failed")
            };
            let Ok(p) = decode_socket_packet(black_box(&frame[1..])) else {
                panic!("decode failed")
            };
            black_box(p);
        }
        for frame in others {
            let Ok(decoded) = decode_message(black_box(frame)) else {
                panic!("decode failed: {frame}")
            };
            if let DecodedFrame::Socket(p) = decoded {
                if let Some(data) = p.data {
                    // Comparing an escaped event name does not allocate either.
                    black_box(data.elements().next().map(|e| e.str_eq("on-events")));
                    black_box(data.get("sid"));
                    black_box(data.args().count());
                }
            }
            let Ok(packet) = decode_text_frame(black_box(frame)) else {
                panic!("decode failed: {frame}")
            };
            if let EnginePacket::Open(h) = packet {
                black_box(h.upgrades.contains("websocket"));
            }
        }
        for record in decode_polling_payload(black_box(&payload)) {
            let Ok(record) = record else {
                panic!("decode failed")
            };
            if let PollingPacket::Base64(data) = record {
                black_box(data.decoded_len());
            }
        }
        let Ok(raw) = RawJson::new(black_box(r#"["a",{"b":[1,2,3]},"c"]"#)) else {
            panic!("invalid")
        };
        black_box(raw.elements().count());
    });
    assert_eq!(checked_args, frames.len());
    assert_eq!(count, 0, "allocations while decoding text frames");

    // The counter does count: an allocation inside the closure is seen.
    let seen = allocations_during(|| {
        black_box(String::from("allocates"));
    });
    assert_eq!(seen, 1);
}
