//! The HTTP side: routing, the live-video REST endpoint and the admin API.

pub mod admin;
pub(crate) mod cors;
pub(crate) mod live_video;
pub(crate) mod mock_info;
pub(crate) mod response;
pub(crate) mod routes;
