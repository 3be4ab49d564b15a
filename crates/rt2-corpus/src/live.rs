//! The live-video REST exchanges: the page's videos, listed a few at a time with cursors.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tpos_chat::{
    Cursors, LiveVideo, LiveVideoPage, LiveVideoQuery, LiveVideoStatus, PageCursor, Paging,
};

use crate::clock::graph_time;
use crate::world::{LiveVideoSpec, PAGE_ID, TENANT_ORIGIN, live_videos};

/// How many videos the client asks for per page (three pages for the page's seven videos).
pub const LIVE_VIDEO_LIMIT: u32 = 3;

/// What the client sends as `facebook_Type`.
pub const FACEBOOK_TYPE: &str = "page";

/// One request of the live-video endpoint and the page it returned.
#[derive(Debug, Clone)]
pub struct LiveVideoExchange {
    /// The request's query.
    pub query: LiveVideoQuery<'static>,
    /// The response body.
    pub page: LiveVideoPage<'static>,
}

impl LiveVideoExchange {
    /// The full request URL.
    pub fn url(&self) -> String {
        format!("{TENANT_ORIGIN}{}", self.query.to_path())
    }

    /// The query string's name/value pairs, in order, as written in the URL.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .to_query_string()
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// The client walking the page's live videos from newest to oldest, following `after` cursors
/// until a page comes back without `next`.
pub fn live_video_exchanges(seed: u64) -> Vec<LiveVideoExchange> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0c0f_fee5);
    let videos = live_videos(seed);
    let cursors: Vec<String> = videos.iter().map(|_| graph_cursor(&mut rng)).collect();
    let limit = LIVE_VIDEO_LIMIT as usize;
    let pages = videos.len().div_ceil(limit);
    let mut cursor = None;
    (0..pages)
        .map(|p| {
            let first = p * limit;
            let last = (first + limit).min(videos.len()) - 1;
            let mut query = LiveVideoQuery::new(PAGE_ID);
            query.limit = Some(LIVE_VIDEO_LIMIT);
            query.facebook_type = Some(Cow::Borrowed(FACEBOOK_TYPE));
            query.cursor = cursor.take();
            let page_url = |c: PageCursor<'static>| {
                let mut q = query.clone();
                q.cursor = Some(c);
                format!("{TENANT_ORIGIN}{}", q.to_path())
            };
            let before = cursors[first].clone();
            let after = cursors[last].clone();
            let next = (last + 1 < videos.len())
                .then(|| page_url(PageCursor::After(after.clone().into())));
            let previous = (p > 0).then(|| page_url(PageCursor::Before(before.clone().into())));
            if next.is_some() {
                cursor = Some(PageCursor::After(after.clone().into()));
            }
            let page = LiveVideoPage {
                data: videos[first..=last].iter().map(live_video).collect(),
                paging: Some(Paging {
                    cursors: Some(Cursors {
                        before: before.into(),
                        after: after.into(),
                    }),
                    next: next.map(Cow::Owned),
                    previous: previous.map(Cow::Owned),
                }),
            };
            LiveVideoExchange { query, page }
        })
        .collect()
}

fn live_video(spec: &LiveVideoSpec) -> LiveVideo<'static> {
    let href = format!(
        "https%3A%2F%2Fwww.facebook.com%2F{PAGE_ID}%2Fvideos%2F{}%2F",
        spec.post_id
    );
    LiveVideo {
        id: spec.id.clone().into(),
        title: Some(spec.title.into()),
        description: Some(format!("{} | Inbox page để được tư vấn size 💬", spec.title).into()),
        status: if spec.live {
            LiveVideoStatus::Live
        } else {
            LiveVideoStatus::Vod
        },
        embed_html: Some(
            format!(
                r#"<iframe src="https://www.facebook.com/plugins/video.php?height=476&href={href}&show_text=false&width=267&t=0" width="267" height="476" style="border:none;overflow:hidden" scrolling="no" frameborder="0" allowfullscreen="true" allow="autoplay; clipboard-write; encrypted-media; picture-in-picture; web-share" allowFullScreen="true"></iframe>"#
            )
            .into(),
        ),
        creation_time: Some(graph_time(spec.created).into()),
        permalink_url: Some(format!("/{PAGE_ID}/videos/{}/", spec.post_id).into()),
        object_id: Some(spec.object_id().into()),
    }
}

/// A cursor in Graph's style: base64url of an opaque `AQH...` token (so it starts `QVFI`).
fn graph_cursor(rng: &mut ChaCha8Rng) -> String {
    const ALPHANUMERIC: &[u8; 62] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut raw = String::from("AQH");
    for _ in 0..45 {
        raw.push(char::from(ALPHANUMERIC[rng.random_range(0..62usize)]));
    }
    URL_SAFE_NO_PAD.encode(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tpos_chat::decode_live_video_page;

    #[test]
    fn pages_chain_through_their_cursors() {
        let exchanges = live_video_exchanges(crate::DEFAULT_SEED);
        assert!(exchanges.len() >= 2);
        assert_eq!(exchanges[0].query.cursor, None);
        for w in exchanges.windows(2) {
            let after = w[0].page.after().unwrap();
            assert_eq!(
                w[1].query.cursor,
                Some(PageCursor::After(after.to_owned().into()))
            );
            assert_eq!(
                w[1].page.before(),
                Some(
                    &*w[1]
                        .page
                        .paging
                        .as_ref()
                        .unwrap()
                        .cursors
                        .as_ref()
                        .unwrap()
                        .before
                )
            );
        }
        assert_eq!(exchanges.last().unwrap().page.after(), None);
        let total: usize = exchanges.iter().map(|e| e.page.data.len()).sum();
        assert_eq!(total, live_videos(crate::DEFAULT_SEED).len());
        assert!(
            exchanges[0]
                .page
                .paging
                .as_ref()
                .unwrap()
                .cursors
                .as_ref()
                .unwrap()
                .after
                .starts_with("QVFI")
        );
    }

    #[test]
    fn bodies_decode_and_queries_parse_back() {
        for e in live_video_exchanges(2) {
            let body = e.page.to_json();
            assert_eq!(decode_live_video_page(&body).unwrap(), e.page);
            let url = e.url();
            let query = url.split_once('?').unwrap().1;
            assert_eq!(LiveVideoQuery::parse(query).unwrap(), e.query);
            assert!(url.starts_with("https://tomato.tpos.vn/api/facebook-graph/livevideo?pageid="));
        }
    }
}
