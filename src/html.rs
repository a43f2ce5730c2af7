//! Every HTML page the service sends goes through [`page`], so each carries the same strict
//! Content-Security-Policy and anti-framing headers: a page that holds tokens (GraphiQL) or
//! signs a person in must run only our own scripts and never be framed by another site.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

/// The policy of every page: nothing but same-origin scripts, styles, fonts and fetches; no
/// inline script, no framing, no `<base>` rewriting, forms posting only back to us. Styles
/// and fonts may also be `data:` URLs because GraphiQL's stylesheet embeds its fonts and icons.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
                   form-action 'self'";

/// An HTML response with the security headers.
pub fn page(status: StatusCode, body: String) -> Response {
    page_posting_to(status, body, None)
}

/// Like [`page`], for a form whose POST answers with a redirect to `redirect_uri` (a
/// registered client's): browsers apply `form-action` to the redirect too, so the client's
/// origin is allowed alongside our own.
pub fn page_posting_to(status: StatusCode, body: String, redirect_uri: Option<&str>) -> Response {
    let mut res = (status, Html(body)).into_response();
    let policy = match redirect_uri.and_then(form_source) {
        Some(source) => format!("{CSP} {source}"),
        None => CSP.to_owned(),
    };
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Sign-in pages carry one-time request ids; none of these pages is worth caching.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The CSP source expression for a redirect URI: its origin (`https://app.example:8443`), or
/// for an app's private scheme (`com.example.app:/callback`) the scheme. Built from the parsed
/// URL, so it can't carry a `;` or a space into the policy.
fn form_source(redirect_uri: &str) -> Option<String> {
    let url = url::Url::parse(redirect_uri).ok()?;
    let origin = url.origin();
    if origin.is_tuple() {
        Some(origin.ascii_serialization())
    } else if url.scheme().chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
        Some(format!("{}:", url.scheme()))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::form_source;

    #[test]
    fn form_sources_are_origins_or_schemes() {
        assert_eq!(form_source("http://localhost:3000/callback?x=1").as_deref(), Some("http://localhost:3000"));
        assert_eq!(form_source("https://app.example/cb").as_deref(), Some("https://app.example"));
        assert_eq!(form_source("com.example.app:/callback").as_deref(), Some("com.example.app:"));
        assert_eq!(form_source("not a url"), None);
    }
}
