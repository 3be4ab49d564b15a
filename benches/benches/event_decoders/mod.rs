//! The on-events decoders the on-events bench races (both JSON levels, from the raw frame);
//! shared by `benches/on_events.rs` and the `decode-instructions` example.

use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
use socketioxide_parser_common::CommonParser;
use tpos_chat::{EventDecoder, ON_EVENTS};

/// What a decoder returns per frame: a number read from the decoded event, or why it failed.
pub(crate) type Outcome = Result<usize, String>;

/// `EventDecoder::decode_frame`: sio-wire's `decode_message` (header, outer JSON validated),
/// the event name checked, then the string argument read into the typed, borrowed `OnEvent`.
/// What the result depends on: the length of the message text and the channel type, read
/// from the decoded event, so no decoder can skip the fields.
pub(crate) fn typed_borrowed(frame: &str, decoder: &mut EventDecoder) -> Outcome {
    let event = decoder
        .decode_frame(frame)
        .map_err(|e| e.to_string())?
        .ok_or("not an on-events frame")?;
    let text = event
        .message
        .as_ref()
        .and_then(|m| m.text.as_deref())
        .map_or(0, str::len);
    let channel = event
        .conversation
        .as_ref()
        .map_or(0, |c| c.channel_type.code());
    Ok(text + channel as usize)
}

fn value_fields(inner: &serde_json::Value) -> usize {
    let text = inner["Message"]["Message"].as_str().map_or(0, str::len);
    let channel = inner["Conversation"]["ChannelType"].as_i64().unwrap_or(0);
    text + channel as usize
}

pub(crate) fn serde_json_value(frame: &str) -> Outcome {
    let start = frame.find('[').ok_or("no array")?;
    let outer: serde_json::Value =
        serde_json::from_str(&frame[start..]).map_err(|e| e.to_string())?;
    if outer[0] != ON_EVENTS {
        return Err("not on-events".into());
    }
    let argument = outer[1].as_str().ok_or("argument is not a string")?;
    let inner: serde_json::Value = serde_json::from_str(argument).map_err(|e| e.to_string())?;
    Ok(value_fields(&inner))
}

pub(crate) fn siox_value(frame: &engineioxide_core::Str, config: &ParseConfig) -> Outcome {
    use engineioxide_core::{Packet, ProtocolVersion};
    use socketioxide_core::packet::PacketData;
    let Packet::Message(text) =
        Packet::parse(ProtocolVersion::V4, frame.clone()).map_err(|e| e.to_string())?
    else {
        return Err("not a message".into());
    };
    let state = ParserState::default();
    let mut packet = CommonParser
        .decode_str(config, &state, text)
        .map_err(|e| e.to_string())?;
    let PacketData::Event(value, _) = &mut packet.inner else {
        return Err("not an event".into());
    };
    if CommonParser.read_event(value).map_err(|e| e.to_string())? != ON_EVENTS {
        return Err("not on-events".into());
    }
    let argument: String = CommonParser
        .decode_value(value, true)
        .map_err(|e| e.to_string())?;
    let inner: serde_json::Value = serde_json::from_str(&argument).map_err(|e| e.to_string())?;
    Ok(value_fields(&inner))
}
