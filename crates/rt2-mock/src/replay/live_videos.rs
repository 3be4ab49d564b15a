//! `GET /api/facebook-graph/livevideo`: the live videos a capture saw, with working paging.
//!
//! Every captured `200` response of the endpoint is decoded and its videos are merged, per
//! `pageid` and `facebook_Type`, into one list (first occurrence wins, capture order kept).
//! Requests page through that list with Graph-style opaque cursors, so a client that follows
//! `paging.next` walks the whole list whatever `limit` it uses, even one the capture never saw.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tpos_chat::{
    Cursors, LIVE_VIDEO_PATH, LiveVideo, LiveVideoPage, LiveVideoQuery, PageCursor, Paging,
    decode_live_video_page,
};

use crate::replay::Capture;

/// `limit` when the request gives none (Graph's default for this edge).
const DEFAULT_LIMIT: usize = 25;
/// The largest `limit` honoured; larger ones are cut to it, as Graph does.
const MAX_LIMIT: usize = 100;

/// The live videos of a capture, by page.
#[derive(Debug, Default, Clone)]
pub struct LiveVideoCatalog {
    /// `(pageid, facebook_Type)` to videos, newest first as captured.
    pages: HashMap<(String, Option<String>), Vec<LiveVideo<'static>>>,
    /// Captured responses that could not be decoded, for a warning at start-up.
    skipped: usize,
}

/// Why a request cannot be answered with a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// The query string is wrong (HTTP 400).
    BadQuery(String),
    /// The cursor names no video of this list (HTTP 400).
    BadCursor,
}

impl LiveVideoCatalog {
    /// Collects the videos of every successful live-video exchange in `capture`.
    pub fn from_capture(capture: &Capture) -> Self {
        let mut catalog = Self::default();
        for exchange in &capture.http {
            if exchange.status != 200 || exchange.body_base64 {
                continue;
            }
            let Some((path, query)) = split_url(&exchange.url) else {
                continue;
            };
            if !path.ends_with(LIVE_VIDEO_PATH) {
                continue;
            }
            let (Ok(query), Ok(page)) = (
                LiveVideoQuery::parse(query),
                decode_live_video_page(&exchange.body),
            ) else {
                catalog.skipped += 1;
                continue;
            };
            let key = (
                query.page_id.into_owned(),
                query.facebook_type.map(|kind| kind.into_owned()),
            );
            let videos = catalog.pages.entry(key).or_default();
            for video in page.data {
                if !videos.iter().any(|known| known.id == video.id) {
                    videos.push(video.into_owned());
                }
            }
        }
        catalog
    }

    /// How many captured responses could not be decoded.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// How many videos are known over all pages.
    pub fn len(&self) -> usize {
        self.pages.values().map(Vec::len).sum()
    }

    /// True when the capture held no live videos.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn videos(&self, page_id: &str, facebook_type: Option<&str>) -> &[LiveVideo<'static>] {
        let exact = self
            .pages
            .get(&(page_id.to_owned(), facebook_type.map(str::to_owned)));
        // A request without facebook_Type (or with one the capture never used) falls back to
        // the page's other captured list, so a client that varies the parameter still sees
        // the page's videos.
        exact
            .or_else(|| {
                self.pages
                    .iter()
                    .filter(|((page, _), _)| page == page_id)
                    .map(|(_, videos)| videos)
                    .next()
            })
            .map_or(&[], Vec::as_slice)
    }

    /// Answers one request: `query` is the request's query string, `base_url` the scheme and
    /// authority to build `paging.next` / `paging.previous` from (e.g. `http://127.0.0.1:3000`).
    ///
    /// # Errors
    /// [`PageError`] for a query without `pageid`, with a bad `limit`, or with a cursor that
    /// names no video.
    pub fn page(&self, query: &str, base_url: &str) -> Result<String, PageError> {
        let query =
            LiveVideoQuery::parse(query).map_err(|err| PageError::BadQuery(err.to_string()))?;
        let videos = self.videos(&query.page_id, query.facebook_type.as_deref());
        let limit = query
            .limit
            .map_or(DEFAULT_LIMIT, |limit| (limit as usize).clamp(1, MAX_LIMIT));
        let (start, end) = match &query.cursor {
            None => (0, limit.min(videos.len())),
            Some(PageCursor::After(cursor)) => {
                let at = position_of(videos, cursor).ok_or(PageError::BadCursor)?;
                (at + 1, (at + 1 + limit).min(videos.len()))
            }
            Some(PageCursor::Before(cursor)) => {
                let at = position_of(videos, cursor).ok_or(PageError::BadCursor)?;
                (at.saturating_sub(limit), at)
            }
        };
        let data: Vec<LiveVideo<'static>> = videos[start..end].to_vec();
        let paging = match (data.first(), data.last()) {
            (Some(first), Some(last)) => {
                let link = |cursor: PageCursor<'static>| {
                    let mut linked = LiveVideoQuery::new(query.page_id.clone().into_owned());
                    linked.limit = query.limit;
                    linked.facebook_type =
                        query.facebook_type.clone().map(|k| k.into_owned().into());
                    linked.cursor = Some(cursor);
                    format!("{base_url}{}", linked.to_path())
                };
                let after = cursor_for(last);
                let before = cursor_for(first);
                Some(Paging {
                    next: (end < videos.len())
                        .then(|| link(PageCursor::After(after.clone().into())).into()),
                    previous: (start > 0)
                        .then(|| link(PageCursor::Before(before.clone().into())).into()),
                    cursors: Some(Cursors {
                        before: before.into(),
                        after: after.into(),
                    }),
                })
            }
            _ => None,
        };
        Ok(LiveVideoPage { data, paging }.to_json())
    }
}

/// An opaque cursor naming one video: its id in base64url, as Graph's cursors look.
fn cursor_for(video: &LiveVideo<'_>) -> String {
    URL_SAFE_NO_PAD.encode(video.id.as_bytes())
}

fn position_of(videos: &[LiveVideo<'_>], cursor: &str) -> Option<usize> {
    let id = URL_SAFE_NO_PAD.decode(cursor.trim_end_matches('=')).ok()?;
    videos.iter().position(|video| video.id.as_bytes() == id)
}

/// Splits a captured URL into its path and query string (either may be empty).
fn split_url(url: &str) -> Option<(&str, &str)> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_start = after_scheme.find('/')?;
    let path_and_query = &after_scheme[path_start..];
    Some(
        path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, "")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sio_capture::HttpRecord;

    fn exchange(query: &str, body: &str) -> HttpRecord {
        HttpRecord {
            t_ms: 0.0,
            method: "GET".into(),
            url: format!("https://tomato.tpos.vn{LIVE_VIDEO_PATH}?{query}"),
            query: Vec::new(),
            request_headers: Vec::new(),
            request_body: None,
            status: 200,
            response_headers: Vec::new(),
            body: body.into(),
            body_base64: false,
        }
    }

    fn videos_json(ids: &[u32]) -> String {
        let data: Vec<String> = ids
            .iter()
            .map(|id| {
                format!(r#"{{"id":"{id}","title":"Live {id}","status":"VOD","objectId":"1_{id}"}}"#)
            })
            .collect();
        format!(r#"{{"data":[{}]}}"#, data.join(","))
    }

    fn catalog() -> LiveVideoCatalog {
        let capture = Capture {
            http: vec![
                exchange(
                    "pageid=1&limit=3&facebook_Type=page",
                    &videos_json(&[10, 9, 8]),
                ),
                exchange(
                    "pageid=1&limit=3&facebook_Type=page&after=x",
                    &videos_json(&[8, 7, 6, 5]),
                ),
                exchange("pageid=2&limit=3", &videos_json(&[20])),
                exchange("pageid=3", "not json"),
            ],
            ..Capture::default()
        };
        LiveVideoCatalog::from_capture(&capture)
    }

    fn ids(body: &str) -> Vec<String> {
        let page = decode_live_video_page(body).unwrap();
        page.data.iter().map(|v| v.id.to_string()).collect()
    }

    #[test]
    fn merges_captured_pages_without_duplicates() {
        let catalog = catalog();
        assert_eq!(catalog.len(), 7);
        assert_eq!(catalog.skipped(), 1);
    }

    #[test]
    fn following_next_walks_the_whole_list_and_previous_walks_back() {
        let catalog = catalog();
        let base = "http://127.0.0.1:1";
        let first = catalog
            .page("pageid=1&limit=2&facebook_Type=page", base)
            .unwrap();
        assert_eq!(ids(&first), ["10", "9"]);
        let page = decode_live_video_page(&first).unwrap();
        assert!(page.before().is_none(), "the first page has no previous");
        let after = page.after().unwrap().to_owned();
        let next_url = page
            .paging
            .as_ref()
            .unwrap()
            .next
            .as_deref()
            .unwrap()
            .to_owned();
        assert!(next_url.starts_with("http://127.0.0.1:1/api/facebook-graph/livevideo?pageid=1&limit=2&facebook_Type=page&after="), "{next_url}");

        let second = catalog
            .page(
                &format!("pageid=1&limit=2&facebook_Type=page&after={after}"),
                base,
            )
            .unwrap();
        assert_eq!(ids(&second), ["8", "7"]);
        let third_after = decode_live_video_page(&second)
            .unwrap()
            .after()
            .unwrap()
            .to_owned();
        let last = catalog
            .page(
                &format!("pageid=1&limit=2&facebook_Type=page&after={third_after}"),
                base,
            )
            .unwrap();
        assert_eq!(ids(&last), ["6", "5"]);
        let last_page = decode_live_video_page(&last).unwrap();
        assert!(last_page.after().is_none(), "the last page has no next");
        let before = last_page.before().unwrap().to_owned();
        let back = catalog
            .page(
                &format!("pageid=1&limit=2&facebook_Type=page&before={before}"),
                base,
            )
            .unwrap();
        assert_eq!(ids(&back), ["8", "7"]);
    }

    #[test]
    fn unknown_page_is_empty_and_bad_input_is_refused() {
        let catalog = catalog();
        assert_eq!(
            catalog.page("pageid=404", "http://h").unwrap(),
            r#"{"data":[]}"#
        );
        assert!(matches!(
            catalog.page("limit=2", "http://h"),
            Err(PageError::BadQuery(_))
        ));
        assert_eq!(
            catalog.page("pageid=1&after=bm9wZQ", "http://h"),
            Err(PageError::BadCursor)
        );
        // A missing facebook_Type falls back to the page's captured list.
        assert_eq!(
            ids(&catalog.page("pageid=1&limit=1", "http://h").unwrap()),
            ["10"]
        );
        assert_eq!(ids(&catalog.page("pageid=2", "http://h").unwrap()), ["20"]);
    }
}
