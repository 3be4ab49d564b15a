//! The page: plain HTML, CSS and JavaScript under `src/page/`, embedded at build time and
//! served as one document (the CSS and the script inlined), so that the token guarding the page
//! guards all of it and no build step is needed.

const HTML: &str = include_str!("page/index.html");
const CSS: &str = include_str!("page/style.css");
const JS: &str = include_str!("page/app.js");

/// The page with its style and script inlined.
pub(crate) fn render() -> String {
    HTML.replacen("/*STYLE*/", CSS, 1)
        .replacen("/*SCRIPT*/", JS, 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_inlines_its_style_and_script() {
        let page = super::render();
        assert!(!page.contains("/*STYLE*/") && !page.contains("/*SCRIPT*/"));
        assert!(page.contains(super::CSS) && page.contains(super::JS));
    }
}
