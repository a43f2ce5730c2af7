//! GraphiQL, served entirely from the binary: GraphiQL 3, React 18 and ReactDOM 18 (vendored
//! in `assets/graphiql/`, see its README) and our `init.js`, which mounts it on `/graphql`.
//! The page loads nothing from elsewhere, so it works offline and keeps a strict
//! Content-Security-Policy (no inline script; [`crate::html::page`]).
//!
//! Assets live at fixed paths (`/graphiql/<file>`) and are cached for a year: the page links
//! each with `?v=<digest of its content>`, so a new build's files are fetched afresh.

use std::sync::LazyLock;

use axum::{
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::state::AppState;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/graphiql/", $name)),
        }
    };
}

/// Everything under `/graphiql/`; the licences travel with the code they cover.
static ASSETS: [Asset; 9] = [
    asset!("react.production.min.js", JS),
    asset!("react-dom.production.min.js", JS),
    asset!("graphiql.min.js", JS),
    asset!("graphiql.min.css", CSS),
    asset!("init.js", JS),
    asset!("page.css", CSS),
    asset!("LICENSE.graphiql", TEXT),
    asset!("LICENSE.react", TEXT),
    asset!("LICENSE.react-dom", TEXT),
];

/// The first 16 hex digits of an asset's SHA-256, for its cache-busting query.
fn version(name: &str) -> String {
    let bytes = ASSETS.iter().find(|a| a.name == name).map_or(&[][..], |a| a.bytes);
    Sha256::digest(bytes).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The page. Asset URLs are relative, so it also works behind a path prefix; scripts are
/// `defer`red and run in document order, `init.js` last.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let href = |name: &str| format!("graphiql/{name}?v={}", version(name));
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>learnergraph · GraphiQL</title>\n\
         <link rel=\"stylesheet\" href=\"{}\">\n<link rel=\"stylesheet\" href=\"{}\">\n\
         <script defer src=\"{}\"></script>\n<script defer src=\"{}\"></script>\n\
         <script defer src=\"{}\"></script>\n<script defer src=\"{}\"></script>\n\
         </head>\n<body>\n<div id=\"graphiql\">Loading GraphiQL…</div>\n\
         <noscript>GraphiQL needs JavaScript. Without it, POST queries to this URL as JSON.</noscript>\n\
         </body>\n</html>\n",
        href("graphiql.min.css"),
        href("page.css"),
        href("react.production.min.js"),
        href("react-dom.production.min.js"),
        href("graphiql.min.js"),
        href("init.js"),
    )
});

/// The GraphiQL page, with the security headers of every HTML page.
pub fn page() -> Response {
    crate::html::page(StatusCode::OK, PAGE.clone())
}

/// `GET /graphiql/{file}`: one of the assets; 404 when GraphiQL is off or the file unknown.
pub async fn asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == file).filter(|_| state.web.graphiql) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut res = asset.bytes.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    res
}
