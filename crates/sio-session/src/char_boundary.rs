//! Cutting text at a byte limit without splitting a character.

/// The largest index at most `index` (and at most `text.len()`) that is a character boundary
/// of `text`: where to cut `text` to keep at most `index` bytes of it.
///
/// This is `str::floor_char_boundary`, which the workspace's minimum Rust (1.85) does not
/// have: violation excerpts, WebSocket close reasons (at most 123 bytes) and the admin API's
/// copies of received packets are cut with it.
///
/// ```
/// use sio_session::floor_char_boundary;
///
/// let text = "Thảo"; // `ả` takes bytes 2..5
/// assert_eq!(floor_char_boundary(text, 3), 2);
/// assert_eq!(floor_char_boundary(text, 5), 5);
/// assert_eq!(floor_char_boundary(text, 99), text.len());
///
/// let mut reason = String::from(text);
/// reason.truncate(floor_char_boundary(&reason, 4));
/// assert_eq!(reason, "Th");
/// ```
pub fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    // A UTF-8 character is at most 4 bytes, so a boundary is at most 3 bytes back; index 0 is
    // always one, so the search cannot fail.
    (index.saturating_sub(3)..=index)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::floor_char_boundary;

    #[test]
    fn every_cut_is_a_boundary_and_as_long_as_possible() {
        let text = "aé€😀b";
        for index in 0..=text.len() + 2 {
            let cut = floor_char_boundary(text, index);
            assert!(text.is_char_boundary(cut), "{index} -> {cut}");
            assert!(cut <= index.min(text.len()), "{index} -> {cut}");
            let next = (cut + 1..=index.min(text.len())).find(|&i| text.is_char_boundary(i));
            assert_eq!(next, None, "{index} -> {cut} skips a boundary");
        }
        assert_eq!(floor_char_boundary("", 0), 0);
        assert_eq!(floor_char_boundary("", 5), 0);
    }
}
