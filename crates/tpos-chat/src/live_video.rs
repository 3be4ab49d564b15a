//! The live-video REST endpoint and its records.
//!
//! TPOS's web client lists a page's Facebook live videos with
//! `GET /api/facebook-graph/livevideo?pageid=<page>&limit=<n>&facebook_Type=<kind>` and pages
//! through them with `before=` / `after=` cursors. The response has the shape of Facebook
//! Graph's `live_videos` edge: `{"data":[...],"paging":{"cursors":{"before","after"},"next"?,
//! "previous"?}}`, where each video also carries an `objectId`. Comments made on a live video
//! arrive over the socket with that `objectId` as `ObjectId` and the page id as `ChannelId`,
//! which is how a client shows chat in the context of its live video.
//!
//! ```
//! use tpos_chat::{LiveVideoQuery, LiveVideoStatus, PageCursor, decode_live_video_page};
//!
//! let query = LiveVideoQuery::parse("pageid=112233&limit=2&facebook_Type=page&after=QVFIUk")?;
//! assert_eq!(query.cursor, Some(PageCursor::After("QVFIUk".into())));
//!
//! let body = r#"{"data":[{"id":"9001","title":"Xả kho","status":"LIVE","objectId":"112233_9001"}],
//!               "paging":{"cursors":{"before":"QVFIUj","after":"QVFIUk"},
//!                         "next":"https://tomato.tpos.vn/api/facebook-graph/livevideo?pageid=112233&after=QVFIUk"}}"#;
//! let page = decode_live_video_page(body)?;
//! assert_eq!(page.data[0].status, LiveVideoStatus::Live);
//! assert_eq!(page.after(), Some("QVFIUk"));
//! # Ok::<(), tpos_chat::Error>(())
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;
use crate::borrowed::{option_cow, own, own_opt};
use crate::error::from_json;

/// The endpoint's path on the tenant's host (e.g. `https://tomato.tpos.vn`).
pub const LIVE_VIDEO_PATH: &str = "/api/facebook-graph/livevideo";

/// One page of live videos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveVideoPage<'a> {
    /// The videos on this page, newest first.
    #[serde(borrow)]
    pub data: Vec<LiveVideo<'a>>,
    /// Cursors to the neighbouring pages; absent on an empty result.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging<'a>>,
}

/// One live video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveVideo<'a> {
    /// Facebook's id of the live video.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// The title the page gave it.
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub title: Option<Cow<'a, str>>,
    /// Its description.
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<Cow<'a, str>>,
    /// Where it is in its life.
    #[serde(borrow)]
    pub status: LiveVideoStatus<'a>,
    /// An `<iframe>` that embeds the player.
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub embed_html: Option<Cow<'a, str>>,
    /// When it was created, in Graph's form (`2026-01-07T12:58:10+0000`).
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_time: Option<Cow<'a, str>>,
    /// The video's page on Facebook.
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub permalink_url: Option<Cow<'a, str>>,
    /// The object comments on this video point at (`<pageId>_<postId>`); it appears as
    /// `ObjectId` in the chat events of those comments.
    #[serde(
        rename = "objectId",
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub object_id: Option<Cow<'a, str>>,
}

/// A live video's `status`, as Facebook Graph reports it. Unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LiveVideoStatus<'a> {
    /// `LIVE`: broadcasting now.
    Live,
    /// `LIVE_STOPPED`: the broadcast ended and the video is being processed.
    LiveStopped,
    /// `VOD`: ended; available as a recording.
    Vod,
    /// `UNPUBLISHED`: created but not started.
    Unpublished,
    /// `SCHEDULED_UNPUBLISHED`: scheduled, not yet visible.
    ScheduledUnpublished,
    /// `SCHEDULED_LIVE`: scheduled and announced.
    ScheduledLive,
    /// `SCHEDULED_CANCELED`: a scheduled broadcast that was cancelled.
    ScheduledCanceled,
    /// `PROCESSING`: being processed.
    Processing,
    /// Any other value, verbatim.
    Other(Cow<'a, str>),
}

impl<'a> LiveVideoStatus<'a> {
    /// The status for Graph's wire string.
    pub fn from_wire(s: Cow<'a, str>) -> Self {
        match &*s {
            "LIVE" => Self::Live,
            "LIVE_STOPPED" => Self::LiveStopped,
            "VOD" => Self::Vod,
            "UNPUBLISHED" => Self::Unpublished,
            "SCHEDULED_UNPUBLISHED" => Self::ScheduledUnpublished,
            "SCHEDULED_LIVE" => Self::ScheduledLive,
            "SCHEDULED_CANCELED" => Self::ScheduledCanceled,
            "PROCESSING" => Self::Processing,
            _ => Self::Other(s),
        }
    }

    /// Graph's wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Live => "LIVE",
            Self::LiveStopped => "LIVE_STOPPED",
            Self::Vod => "VOD",
            Self::Unpublished => "UNPUBLISHED",
            Self::ScheduledUnpublished => "SCHEDULED_UNPUBLISHED",
            Self::ScheduledLive => "SCHEDULED_LIVE",
            Self::ScheduledCanceled => "SCHEDULED_CANCELED",
            Self::Processing => "PROCESSING",
            Self::Other(s) => s,
        }
    }

    /// Copies a borrowed unknown value.
    pub fn into_owned(self) -> LiveVideoStatus<'static> {
        match self {
            Self::Live => LiveVideoStatus::Live,
            Self::LiveStopped => LiveVideoStatus::LiveStopped,
            Self::Vod => LiveVideoStatus::Vod,
            Self::Unpublished => LiveVideoStatus::Unpublished,
            Self::ScheduledUnpublished => LiveVideoStatus::ScheduledUnpublished,
            Self::ScheduledLive => LiveVideoStatus::ScheduledLive,
            Self::ScheduledCanceled => LiveVideoStatus::ScheduledCanceled,
            Self::Processing => LiveVideoStatus::Processing,
            Self::Other(s) => LiveVideoStatus::Other(own(s)),
        }
    }
}

impl Serialize for LiveVideoStatus<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LiveVideoStatus<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match option_cow(d)? {
            Some(s) => Ok(Self::from_wire(s)),
            None => Err(serde::de::Error::invalid_type(
                serde::de::Unexpected::Unit,
                &"a live video status string",
            )),
        }
    }
}

/// `paging`: how to reach the neighbouring pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging<'a> {
    /// The cursors at either end of this page.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub cursors: Option<Cursors<'a>>,
    /// The full URL of the next (older) page; absent on the last page.
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub next: Option<Cow<'a, str>>,
    /// The full URL of the previous (newer) page; absent on the first page.
    #[serde(
        borrow,
        default,
        deserialize_with = "option_cow",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous: Option<Cow<'a, str>>,
}

/// `paging.cursors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursors<'a> {
    /// Points at the first video of this page: pass as `before` for the previous page.
    #[serde(borrow)]
    pub before: Cow<'a, str>,
    /// Points at the last video of this page: pass as `after` for the next page.
    #[serde(borrow)]
    pub after: Cow<'a, str>,
}

impl LiveVideoPage<'_> {
    /// The `after` cursor, if there is a next page (Graph omits `next` on the last page).
    pub fn after(&self) -> Option<&str> {
        let paging = self.paging.as_ref()?;
        paging.next.as_ref()?;
        Some(&paging.cursors.as_ref()?.after)
    }

    /// The `before` cursor, if there is a previous page.
    pub fn before(&self) -> Option<&str> {
        let paging = self.paging.as_ref()?;
        paging.previous.as_ref()?;
        Some(&paging.cursors.as_ref()?.before)
    }

    /// Copies every borrowed field.
    pub fn into_owned(self) -> LiveVideoPage<'static> {
        LiveVideoPage {
            data: self.data.into_iter().map(LiveVideo::into_owned).collect(),
            paging: self.paging.map(|p| Paging {
                cursors: p.cursors.map(|c| Cursors {
                    before: own(c.before),
                    after: own(c.after),
                }),
                next: own_opt(p.next),
                previous: own_opt(p.previous),
            }),
        }
    }

    /// The response body, as the endpoint sends it.
    pub fn to_json(&self) -> String {
        // Strings, vectors and structs of them always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl LiveVideo<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> LiveVideo<'static> {
        LiveVideo {
            id: own(self.id),
            title: own_opt(self.title),
            description: own_opt(self.description),
            status: self.status.into_owned(),
            embed_html: own_opt(self.embed_html),
            creation_time: own_opt(self.creation_time),
            permalink_url: own_opt(self.permalink_url),
            object_id: own_opt(self.object_id),
        }
    }
}

/// Decodes a response body of the live-video endpoint.
///
/// # Errors
///
/// [`Error::MissingField`] naming the field (e.g. `data[1].id`), or [`Error::Json`].
pub fn decode_live_video_page(json: &str) -> Result<LiveVideoPage<'_>, Error> {
    from_json("live videos", json)
}

/// Which way to page from a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageCursor<'a> {
    /// `before=`: the page before (newer than) the cursor.
    Before(Cow<'a, str>),
    /// `after=`: the page after (older than) the cursor.
    After(Cow<'a, str>),
}

/// The query string of a live-video request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveVideoQuery<'a> {
    /// `pageid`: the Facebook page.
    pub page_id: Cow<'a, str>,
    /// `limit`: how many videos per page.
    pub limit: Option<u32>,
    /// `facebook_Type`: which kind of Facebook account the page id names (TPOS's client sends
    /// `page`).
    pub facebook_type: Option<Cow<'a, str>>,
    /// `before` or `after`, when paging.
    pub cursor: Option<PageCursor<'a>>,
}

impl<'a> LiveVideoQuery<'a> {
    /// A query for the first page of `page_id`'s videos.
    pub fn new(page_id: impl Into<Cow<'a, str>>) -> Self {
        Self {
            page_id: page_id.into(),
            limit: None,
            facebook_type: None,
            cursor: None,
        }
    }

    /// Parses a query string (without the `?`). Values are percent-decoded, with `+` read as a
    /// space; they borrow from `query` when they need no decoding. Unknown parameters are
    /// ignored; a repeated one keeps its last value.
    ///
    /// # Errors
    ///
    /// [`Error::Query`] when `pageid` is missing or empty, `limit` is not a number, both
    /// `before` and `after` are given, or a value has a broken percent escape.
    pub fn parse(query: &'a str) -> Result<Self, Error> {
        let mut page_id = None;
        let mut limit = None;
        let mut facebook_type = None;
        let mut before = None;
        let mut after = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (param, slot) = match name {
                "pageid" => ("pageid", &mut page_id),
                "facebook_Type" => ("facebook_Type", &mut facebook_type),
                "before" => ("before", &mut before),
                "after" => ("after", &mut after),
                "limit" => {
                    let text = percent_decode(value, "limit")?;
                    limit = Some(text.parse::<u32>().map_err(|_| Error::Query {
                        param: "limit",
                        reason: "not a non-negative integer",
                    })?);
                    continue;
                }
                _ => continue,
            };
            *slot = Some(percent_decode(value, param)?);
        }
        let page_id = page_id.filter(|p| !p.is_empty()).ok_or(Error::Query {
            param: "pageid",
            reason: "missing or empty",
        })?;
        let cursor = match (before, after) {
            (Some(_), Some(_)) => {
                return Err(Error::Query {
                    param: "before",
                    reason: "given together with after",
                });
            }
            (Some(b), None) => Some(PageCursor::Before(b)),
            (None, Some(a)) => Some(PageCursor::After(a)),
            (None, None) => None,
        };
        Ok(Self {
            page_id,
            limit,
            facebook_type,
            cursor,
        })
    }

    /// The query string, in the order TPOS's client writes it: `pageid`, `limit`,
    /// `facebook_Type`, then `before` or `after`. Values are percent-encoded.
    pub fn to_query_string(&self) -> String {
        let mut out = String::from("pageid=");
        percent_encode(&self.page_id, &mut out);
        if let Some(limit) = self.limit {
            // Writing to a String cannot fail.
            let _ = write!(out, "&limit={limit}");
        }
        if let Some(kind) = &self.facebook_type {
            out.push_str("&facebook_Type=");
            percent_encode(kind, &mut out);
        }
        match &self.cursor {
            Some(PageCursor::Before(c)) => {
                out.push_str("&before=");
                percent_encode(c, &mut out);
            }
            Some(PageCursor::After(c)) => {
                out.push_str("&after=");
                percent_encode(c, &mut out);
            }
            None => {}
        }
        out
    }

    /// The request path with its query string, e.g.
    /// `/api/facebook-graph/livevideo?pageid=112233&limit=10`.
    pub fn to_path(&self) -> String {
        format!("{LIVE_VIDEO_PATH}?{}", self.to_query_string())
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Decodes `%XX` escapes and `+`; borrows when there are none.
fn percent_decode<'a>(value: &'a str, param: &'static str) -> Result<Cow<'a, str>, Error> {
    if !value.contains(['%', '+']) {
        return Ok(Cow::Borrowed(value));
    }
    let bad = |reason| Error::Query { param, reason };
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| bad("broken percent escape"))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| bad("percent escapes are not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"{
      "data": [
        {"id": "1029384756", "title": "Xả kho áo len 🔥", "status": "LIVE",
         "embed_html": "<iframe src=\"https://www.facebook.com/plugins/video.php?href=x\"></iframe>",
         "creation_time": "2026-01-07T12:58:10+0000", "objectId": "112233_1029384756",
         "video": {"id": "77"}},
        {"id": "1029384700", "status": "VOD", "creation_time": "2026-01-06T12:00:00+0000"},
        {"id": "1029384600", "status": "SOMETHING_NEW"}
      ],
      "paging": {
        "cursors": {"before": "QVFIUjBf", "after": "QVFIUkx6"},
        "next": "https://graph.facebook.com/v18.0/112233/live_videos?limit=3&after=QVFIUkx6"
      }
    }"#;

    #[test]
    fn a_page_decodes_with_cursors_and_unknown_status_kept() {
        let page = decode_live_video_page(PAGE).unwrap();
        assert_eq!(page.data.len(), 3);
        let live = &page.data[0];
        assert_eq!(live.id, "1029384756");
        assert_eq!(live.title.as_deref(), Some("Xả kho áo len 🔥"));
        assert_eq!(live.status, LiveVideoStatus::Live);
        assert_eq!(live.object_id.as_deref(), Some("112233_1029384756"));
        assert!(matches!(live.title, Some(Cow::Borrowed(_))));
        assert!(live.embed_html.as_deref().unwrap().contains("src=\"https"));
        assert_eq!(page.data[1].status, LiveVideoStatus::Vod);
        assert_eq!(
            page.data[2].status,
            LiveVideoStatus::Other("SOMETHING_NEW".into())
        );
        assert_eq!(page.after(), Some("QVFIUkx6"));
        assert_eq!(page.before(), None);
    }

    #[test]
    fn a_page_round_trips_through_json() {
        let page = decode_live_video_page(PAGE).unwrap().into_owned();
        let json = page.to_json();
        assert_eq!(decode_live_video_page(&json).unwrap(), page);
    }

    #[test]
    fn a_missing_video_id_is_named_with_its_index() {
        let json = PAGE.replace(r#""id": "1029384700", "#, "");
        let err = decode_live_video_page(&json).unwrap_err();
        assert_eq!(err.to_string(), "missing field data[1].id");
    }

    #[test]
    fn an_empty_result_has_no_paging() {
        let page = decode_live_video_page(r#"{"data":[]}"#).unwrap();
        assert!(page.data.is_empty());
        assert_eq!(page.after(), None);
    }

    #[test]
    fn query_parses_and_encodes_back() {
        let q = LiveVideoQuery::parse("pageid=112233&limit=10&facebook_Type=page&after=QVF%3D%3D")
            .unwrap();
        assert_eq!(q.page_id, "112233");
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.facebook_type.as_deref(), Some("page"));
        assert_eq!(q.cursor, Some(PageCursor::After("QVF==".into())));
        assert_eq!(
            q.to_query_string(),
            "pageid=112233&limit=10&facebook_Type=page&after=QVF%3D%3D"
        );
        assert_eq!(
            LiveVideoQuery::new("1").to_path(),
            "/api/facebook-graph/livevideo?pageid=1"
        );
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let param = |q: &str| match LiveVideoQuery::parse(q) {
            Err(Error::Query { param, .. }) => param,
            other => panic!("expected a query error for {q:?}, got {other:?}"),
        };
        assert_eq!(param("limit=10"), "pageid");
        assert_eq!(param("pageid=&limit=10"), "pageid");
        assert_eq!(param("pageid=1&limit=ten"), "limit");
        assert_eq!(param("pageid=1&before=a&after=b"), "before");
        assert_eq!(param("pageid=1&after=%G1"), "after");
        assert_eq!(param("pageid=%FF"), "pageid");
        // Unknown parameters are fine.
        assert!(LiveVideoQuery::parse("pageid=1&x=%%&access_token=t").is_ok());
    }
}
