//! What a browser gets: GraphiQL and its assets served from the binary, the strict
//! Content-Security-Policy on every HTML page, GraphiQL rendering in a real headless Chromium
//! under that policy, and the production defaults for GraphiQL and `/metrics`.

use std::collections::HashMap;

use learnergraph::auth::clients::{self, ClientOptions};
use reqwest::{Response, StatusCode, header};
use sha2::{Digest, Sha256};

use crate::support::{DEV_REDIRECT, TestApp, spawn_app, spawn_app_with, test_config};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
                   form-action 'self'";
/// What a browser sends when someone opens the URL.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const TOKEN: &str = "metrics-token-0123456789abcdef";

async fn open(app: &TestApp, path: &str) -> Response {
    app.http.get(app.url(path)).header(header::ACCEPT, BROWSER_ACCEPT).send().await.unwrap()
}

fn header_of<'a>(res: &'a Response, name: &str) -> &'a str {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
}

/// Asserts the headers every HTML page must carry, with `csp` as its policy.
fn assert_secure_html(res: &Response, csp: &str) {
    assert_eq!(header_of(res, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header_of(res, "content-security-policy"), csp);
    assert_eq!(header_of(res, "x-frame-options"), "DENY");
    assert_eq!(header_of(res, "referrer-policy"), "no-referrer");
    assert_eq!(header_of(res, "x-content-type-options"), "nosniff");
    assert_eq!(header_of(res, "cache-control"), "no-store");
}

/// The `src` and `href` URLs in a page.
fn linked(html: &str) -> Vec<String> {
    ["src=\"", "href=\""]
        .iter()
        .flat_map(|attr| html.split(attr).skip(1).map(|rest| rest.split('"').next().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn graphiql_and_every_asset_come_from_the_binary() {
    let app = spawn_app().await;
    let res = open(&app, "/graphql").await;
    assert_eq!(res.status(), 200);
    assert_secure_html(&res, CSP);
    let html = res.text().await.unwrap();
    // No inline script or style, nothing from another host.
    assert_eq!(html.matches("<script").count(), 4, "{html}");
    assert_eq!(html.matches("<script defer src=\"graphiql/").count(), 4, "{html}");
    assert!(!html.contains("style="), "{html}");
    assert!(!html.contains("//"), "an absolute or protocol-relative URL in {html}");

    let links = linked(&html);
    let expected: HashMap<&str, &str> = HashMap::from([
        ("graphiql.min.css", "text/css; charset=utf-8"),
        ("page.css", "text/css; charset=utf-8"),
        ("react.production.min.js", "text/javascript; charset=utf-8"),
        ("react-dom.production.min.js", "text/javascript; charset=utf-8"),
        ("graphiql.min.js", "text/javascript; charset=utf-8"),
        ("init.js", "text/javascript; charset=utf-8"),
    ]);
    assert_eq!(links.len(), expected.len(), "{links:?}");
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/graphiql");
    for link in &links {
        let (path, version) = link.split_once("?v=").unwrap_or_else(|| panic!("{link} has no version"));
        let name = path.strip_prefix("graphiql/").unwrap();
        let on_disk = std::fs::read(assets.join(name)).unwrap();
        // The version changes whenever the file does, so a year's caching is safe.
        let digest: String = Sha256::digest(&on_disk).iter().take(8).map(|b| format!("{b:02x}")).collect();
        assert_eq!(version, digest, "{link}");
        let res = app.http.get(app.url(&format!("/{link}"))).send().await.unwrap();
        assert_eq!(res.status(), 200, "{link}");
        assert_eq!(header_of(&res, "content-type"), expected[name], "{link}");
        assert_eq!(header_of(&res, "x-content-type-options"), "nosniff", "{link}");
        assert_eq!(header_of(&res, "cache-control"), "public, max-age=31536000, immutable", "{link}");
        assert_eq!(res.bytes().await.unwrap().as_ref(), on_disk.as_slice(), "{link}");
    }
    // The vendored builds are the versions the page promises.
    let graphiql = app.http.get(app.url("/graphiql/graphiql.min.js")).send().await.unwrap().text().await.unwrap();
    assert!(graphiql.contains("window.GraphiQL = "), "not the GraphiQL UMD build");
    let react = app.http.get(app.url("/graphiql/react.production.min.js")).send().await.unwrap().text().await.unwrap();
    assert!(react.contains("\"18.3.1\""), "not React 18.3.1");

    for license in ["LICENSE.graphiql", "LICENSE.react", "LICENSE.react-dom"] {
        let res = app.http.get(app.url(&format!("/graphiql/{license}"))).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(header_of(&res, "content-type"), "text/plain; charset=utf-8");
        assert!(res.text().await.unwrap().starts_with("MIT License"));
    }
    for missing in ["/graphiql/nope.js", "/graphiql/..%2F..%2FCargo.toml", "/graphiql/README.md", "/graphiql/"] {
        let res = app.http.get(app.url(missing)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{missing}");
    }

    // A GET with a query is still a query, whatever the browser accepts.
    let token = app.token("roster.read", &[]).await;
    let res = app
        .http
        .get(app.url("/graphql?query=%7B__typename%7D"))
        .bearer_auth(&token)
        .header(header::ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), r#"{"data":{"__typename":"Query"}}"#);
}

#[tokio::test]
async fn every_sign_in_page_has_the_strict_policy() {
    let app = spawn_app_with(&[("LEARNERGRAPH_DEV_SIGNIN", "true")]).await;
    let fe = clients::create_with(
        &app.db,
        "front end",
        "roster.read",
        &[],
        ClientOptions {
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            redirect_uris: vec![DEV_REDIRECT.into()],
            ..ClientOptions::internal()
        },
    )
    .await
    .unwrap();
    let mut url = url::Url::parse(&app.url("/oauth/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &fe.client_id)
        .append_pair("redirect_uri", DEV_REDIRECT)
        .append_pair("scope", "roster.read")
        .append_pair("code_challenge", &"a".repeat(43))
        .append_pair("code_challenge_method", "S256");

    // The development sign-in form: its POST redirects to the client, so the client's origin
    // (and only it) joins form-action.
    let res = app.http.get(url.as_str()).header(header::ACCEPT, BROWSER_ACCEPT).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_secure_html(&res, &format!("{CSP} http://localhost:3000"));
    let html = res.text().await.unwrap();
    assert!(html.contains("<form method=post action=/oauth/authorize/dev-signin>"), "{html}");
    assert!(!html.contains("<script") && !html.contains("style="), "{html}");

    // Error pages: an unknown client, an unregistered redirect URI, a repeated parameter, a
    // sign-in form posted without its fields.
    let pages = [
        app.url("/oauth/authorize?client_id=nobody&redirect_uri=http%3A%2F%2Fevil.example%2F"),
        app.url(&format!("/oauth/authorize?client_id={}&redirect_uri=http%3A%2F%2Fevil.example%2F", fe.client_id)),
        app.url("/oauth/authorize?client_id=a&client_id=b"),
        app.url("/oauth/callback?state=a&state=b"),
    ];
    for page in &pages {
        let res = app.http.get(page).header(header::ACCEPT, BROWSER_ACCEPT).send().await.unwrap();
        assert_eq!(res.status(), 400, "{page}");
        assert_secure_html(&res, CSP);
    }
    let res = app.http.post(app.url("/oauth/authorize/dev-signin")).form(&[("username", "x")]).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_secure_html(&res, CSP);

    // And GraphiQL, the remaining HTML page.
    let res = open(&app, "/graphql").await;
    assert_eq!(res.status(), 200);
    assert_secure_html(&res, CSP);
}

/// GraphiQL is not served: the browser's GET is answered as an API request (anonymous, so
/// 401), and the assets are gone.
async fn assert_no_graphiql(app: &TestApp) {
    let res = open(app, "/graphql").await;
    assert_eq!(res.status(), 401);
    assert_eq!(header_of(&res, "content-type"), "application/json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    for asset in ["/graphiql/graphiql.min.js", "/graphiql/init.js"] {
        assert_eq!(app.http.get(app.url(asset)).send().await.unwrap().status(), 404, "{asset}");
    }
}

#[tokio::test]
async fn graphiql_is_off_in_production_unless_asked_for() {
    let app = spawn_app_with(&[("LEARNERGRAPH_ENV", "production")]).await;
    assert_no_graphiql(&app).await;

    let app = spawn_app_with(&[("LEARNERGRAPH_ENV", "production"), ("LEARNERGRAPH_GRAPHIQL", "true")]).await;
    let res = open(&app, "/graphql").await;
    assert_eq!(res.status(), 200);
    assert_secure_html(&res, CSP);
    assert_eq!(app.http.get(app.url("/graphiql/init.js")).send().await.unwrap().status(), 200);

    let app = spawn_app_with(&[("LEARNERGRAPH_GRAPHIQL", "false")]).await;
    assert_no_graphiql(&app).await;
}

async fn metrics_at(app: &TestApp, base: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = app.http.get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(header_of(&res, "www-authenticate"), "Bearer realm=\"metrics\"");
    }
    (status, res.text().await.unwrap())
}

#[tokio::test]
async fn metrics_in_production_need_a_token_or_their_own_listener() {
    // Development: open, as the other tests read it.
    let app = spawn_app().await;
    let (status, text) = metrics_at(&app, &app.address, None).await;
    assert_eq!(status, 200);
    assert!(text.contains("# TYPE learnergraph_http_requests counter"), "{text}");

    // Production with neither a token nor a listener: not served.
    let app = spawn_app_with(&[("LEARNERGRAPH_ENV", "production")]).await;
    assert_eq!(metrics_at(&app, &app.address, None).await.0, 404);
    assert_eq!(metrics_at(&app, &app.address, Some(&format!("Bearer {TOKEN}"))).await.0, 404);

    // Production with a token: required, compared exactly, the scheme case-insensitive.
    let app = spawn_app_with(&[("LEARNERGRAPH_ENV", "production"), ("LEARNERGRAPH_METRICS_TOKEN", TOKEN)]).await;
    let wrong = [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer wrong".to_owned()),
        Some(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Basic {TOKEN}")),
        Some(TOKEN.to_owned()),
    ];
    for auth in &wrong {
        assert_eq!(
            metrics_at(&app, &app.address, auth.as_deref()).await,
            (StatusCode::UNAUTHORIZED, "metrics need `Authorization: Bearer <token>`".to_owned()),
            "{auth:?}"
        );
    }
    for auth in [format!("Bearer {TOKEN}"), format!("bearer {TOKEN}")] {
        let (status, text) = metrics_at(&app, &app.address, Some(&auth)).await;
        assert_eq!(status, 200);
        assert!(text.contains("learnergraph_http_requests_total{"), "{text}");
    }

    // Production with a listener of its own: there and nowhere else.
    let app = spawn_app_with(&[("LEARNERGRAPH_ENV", "production"), ("LEARNERGRAPH_METRICS_BIND", "127.0.0.1:0")]).await;
    let metrics = app.metrics_address.clone().expect("a metrics listener");
    assert_ne!(metrics, app.address);
    assert_eq!(metrics_at(&app, &app.address, None).await.0, 404);
    let (status, text) = metrics_at(&app, &metrics, None).await;
    assert_eq!(status, 200);
    // The main listener's requests are what it counts.
    assert!(text.contains("route=\"/metrics\",status=\"404\""), "{text}");
    let res = app.http.get(format!("{metrics}/graphql?query=%7B__typename%7D")).send().await.unwrap();
    assert_eq!(res.status(), 404, "the metrics listener serves only /metrics");

    // Both: the token guards the separate listener too.
    let app = spawn_app_with(&[
        ("LEARNERGRAPH_ENV", "production"),
        ("LEARNERGRAPH_METRICS_BIND", "127.0.0.1:0"),
        ("LEARNERGRAPH_METRICS_TOKEN", TOKEN),
    ])
    .await;
    let metrics = app.metrics_address.clone().expect("a metrics listener");
    assert_eq!(metrics_at(&app, &app.address, Some(&format!("Bearer {TOKEN}"))).await.0, 404);
    assert_eq!(metrics_at(&app, &metrics, None).await.0, 401);
    assert_eq!(metrics_at(&app, &metrics, Some("Bearer wrong")).await.0, 401);
    assert_eq!(metrics_at(&app, &metrics, Some(&format!("Bearer {TOKEN}"))).await.0, 200);
}

#[test]
fn web_settings_are_checked_when_read() {
    let err = |overrides: &[(&str, &str)]| {
        let env: HashMap<String, String> = overrides.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        learnergraph::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap_err().to_string()
    };
    assert_eq!(err(&[("LEARNERGRAPH_GRAPHIQL", "yes")]), "LEARNERGRAPH_GRAPHIQL must be true or false, not `yes`");
    assert_eq!(
        err(&[("LEARNERGRAPH_METRICS_TOKEN", "short")]),
        "LEARNERGRAPH_METRICS_TOKEN must be at least 16 characters"
    );
    assert_eq!(
        err(&[("LEARNERGRAPH_METRICS_BIND", "9090")]),
        "LEARNERGRAPH_METRICS_BIND must be an address like 127.0.0.1:9090"
    );
    let dev = test_config("sqlite::memory:", "pem", &[]);
    assert!(dev.graphiql && dev.metrics_bind.is_none() && dev.metrics_token.is_none());
    let prod = test_config("sqlite::memory:", "pem", &[("LEARNERGRAPH_ENV", "production")]);
    assert!(!prod.graphiql);
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// GraphiQL renders in a real browser, offline but for this service, under the page's
/// Content-Security-Policy, and the browser reports no policy violation or script error.
#[tokio::test]
async fn graphiql_renders_in_headless_chromium_under_the_policy() {
    if !std::path::Path::new(CHROMIUM).exists() {
        assert!(std::env::var_os("CI").is_none(), "{CHROMIUM} is missing: .ci/run installs the `chromium` package");
        eprintln!("note: {CHROMIUM} is missing, so GraphiQL was not checked in a browser (apt-get install chromium)");
        return;
    }
    let app = spawn_app().await;
    let profile = std::env::temp_dir().join(format!("lg-chromium-{}", uuid::Uuid::new_v4().simple()));
    let url = app.url("/graphql");
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        &format!("--user-data-dir={}", profile.display()),
        "--virtual-time-budget=10000",
        "--dump-dom",
        &url,
    ]
    .map(str::to_owned);
    // `timeout` bounds a browser that hangs; the browser runs off the runtime's thread so the
    // app keeps serving it.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("timeout").arg("120").arg(CHROMIUM).args(args).output()
    })
    .await
    .unwrap()
    .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&output.stdout);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "chromium failed ({}):\n{log}", output.status);
    for refusal in ["Content Security Policy", "Refused to", "violates the following", "Uncaught"] {
        assert!(!log.contains(refusal), "chromium reported `{refusal}`:\n{log}");
    }
    // GraphiQL mounted: its container, the query editor (CodeMirror) and the toolbar.
    for part in ["graphiql-container", "graphiql-query-editor", "CodeMirror", "graphiql-execute-button"] {
        assert!(dom.contains(part), "no `{part}` in the rendered page:\n{dom}");
    }
    assert!(!dom.contains("Loading GraphiQL"), "GraphiQL never replaced its placeholder:\n{dom}");
}
