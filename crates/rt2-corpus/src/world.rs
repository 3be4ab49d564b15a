//! The fixed cast of the generated traffic: the tenant, its Facebook page and Zalo account, the
//! page's live videos, the signed-in user's token.
//!
//! Everything here is synthetic except what the seed analysis shows (the tenant name, the
//! socket URL, the sids, the Zalo channel and the "Thảo Tây" conversation), which is kept so the
//! generated session reads like the observed one.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tpos_chat::{Claims, TEST_SECRET, sign_hs256};

use crate::clock::{MILLI, Micros, SECOND};

/// The tenant (rt-2's `room` query parameter and the token's `TenantId`).
pub const TENANT: &str = "tomato.tpos.vn";

/// The socket URL the browser connects to, as the seed shows it.
pub const RT2_URL: &str =
    "wss://rt-2.tpos.app/socket.io/?room=tomato.tpos.vn&EIO=4&transport=websocket";

/// The origin of the tenant's REST API (the live-video endpoint lives under it).
pub const TENANT_ORIGIN: &str = "https://tomato.tpos.vn";

/// The tenant's Facebook page (synthetic).
pub const PAGE_ID: &str = "104857600213377";

/// The page's display name (synthetic).
pub const PAGE_NAME: &str = "Tomato Shop Thời Trang";

/// The Zalo channel of the seed's "Nu" message.
pub const ZALO_CHANNEL_ID: &str = "1479019015501919";

/// The Engine.IO sid of the seed's handshake.
pub const ENGINE_SID: &str = "4RK_z0D5LofuOO3tR9vW";

/// The `/chatomni` namespace sid of the seed's connect reply.
pub const NAMESPACE_SID: &str = "SSUs7rUdms63DeB9R9vX";

/// The seed's handshake, byte for byte.
pub const OPEN_FRAME: &str = r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":[],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#;

/// When the generated chat session starts: 2026-01-07T13:30:42Z, nine seconds before the seed's
/// message reaches the browser.
pub(crate) const SESSION_START: Micros = 1_767_792_642 * SECOND;

/// The Engine.IO ping interval of the handshake.
pub(crate) const PING_INTERVAL: Micros = 25_000 * MILLI;

/// The signed-in shop assistant's token claims (synthetic).
pub fn session_claims() -> Claims<'static> {
    let issued = SESSION_START / SECOND - 2 * 3600;
    Claims::new("tmtWebApp", TENANT, "8a1b7c2d-4e5f-4a6b-9c8d-7e6f5a4b3c2d")
        .with_display_name("Nhân viên Test")
        .with_iat(issued)
        .with_exp(issued + 7 * 24 * 3600)
}

/// The session's token: [`session_claims`] signed with [`TEST_SECRET`].
pub fn session_token() -> String {
    sign_hs256(&session_claims(), TEST_SECRET.as_bytes())
}

/// One live video of the page.
#[derive(Debug, Clone)]
pub(crate) struct LiveVideoSpec {
    /// Graph's live-video id.
    pub(crate) id: String,
    /// The post the video lives in; comments point at `<page>_<post>`.
    pub(crate) post_id: String,
    pub(crate) title: &'static str,
    pub(crate) created: Micros,
    pub(crate) live: bool,
}

impl LiveVideoSpec {
    /// The `objectId` / `ObjectId` that ties the video to its comments.
    pub(crate) fn object_id(&self) -> String {
        format!("{PAGE_ID}_{}", self.post_id)
    }
}

/// The page's live videos, newest first; the first one is on air during the chat session.
pub(crate) fn live_videos(seed: u64) -> Vec<LiveVideoSpec> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x11fe_u64);
    // The current broadcast started 32 minutes before the session; older ones were evening
    // broadcasts on the days before.
    let mut created = SESSION_START - 32 * 60 * SECOND - 110 * SECOND;
    crate::vocabulary::LIVE_TITLES
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let spec = LiveVideoSpec {
                id: digits(&mut rng, 16),
                post_id: digits(&mut rng, 16),
                title,
                created,
                live: i == 0,
            };
            created -=
                rng.random_range(20..30) * 3600 * SECOND + rng.random_range(0..3600) * SECOND;
            spec
        })
        .collect()
}

/// A decimal id of `len` digits with no leading zero.
pub(crate) fn digits(rng: &mut ChaCha8Rng, len: usize) -> String {
    let mut s = String::with_capacity(len);
    s.push(char::from(b'1' + rng.random_range(0..9u8)));
    for _ in 1..len {
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    s
}

/// `len` lowercase hex digits.
pub(crate) fn hex(rng: &mut ChaCha8Rng, len: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..len)
        .map(|_| char::from(HEX[rng.random_range(0..16usize)]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_token_verifies_with_the_test_secret() {
        let claims = tpos_chat::verify_hs256(&session_token(), TEST_SECRET.as_bytes()).unwrap();
        assert_eq!(claims, session_claims());
        assert_eq!(claims.tenant_id, TENANT);
        assert!(!claims.is_expired_at(SESSION_START / SECOND));
    }

    #[test]
    fn live_videos_are_deterministic_newest_first_and_one_is_live() {
        let a = live_videos(7);
        let b = live_videos(7);
        assert_eq!(
            a.iter().map(|v| &v.id).collect::<Vec<_>>(),
            b.iter().map(|v| &v.id).collect::<Vec<_>>()
        );
        assert!(a.windows(2).all(|w| w[0].created > w[1].created));
        assert_eq!(a.iter().filter(|v| v.live).count(), 1);
        assert!(a[0].live && a[0].created < SESSION_START);
        assert!(a[0].object_id().starts_with("104857600213377_"));
    }
}
