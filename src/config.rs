//! Typed configuration, read from the environment (and a `.env` file in development).
//! Every variable is documented in `.env.example`.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, bail};

/// A value that must never reach a log line or a `Debug` print.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Development generates and persists a signing key when none is configured; production
/// refuses to start without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// Where the token-signing key comes from.
#[derive(Clone, Debug)]
pub enum SigningKeySource {
    /// A PKCS#8 PEM Ed25519 private key given inline (`LEARNERGRAPH_SIGNING_KEY`).
    Pem(Secret),
    /// A file holding that PEM; in development it is created when missing.
    File(PathBuf),
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: Secret,
    pub db_max_connections: u32,
    pub bind: SocketAddr,
    pub environment: Environment,
    /// `iss` of the access tokens this service issues and accepts.
    pub issuer: String,
    /// `aud` of the access tokens.
    pub audience: String,
    pub signing_key: SigningKeySource,
    pub access_token_ttl: Duration,
    /// Largest request body accepted on any endpoint.
    pub max_body_bytes: usize,
    pub shutdown_timeout: Duration,
    /// How long the changes feed keeps changes (and so deletions): at least a school year.
    pub sync_retention: Duration,
    pub log_json: bool,
    /// Log each service span as it closes, with its time (`LEARNERGRAPH_LOG_SPANS=1`).
    pub log_spans: bool,
    /// Public keys (JWK `x` values) of retired signing keys whose tokens still verify.
    pub previous_public_keys: Vec<String>,
    /// The built-in sign-in for seeded users (development and tests only).
    pub dev_signin: bool,
    /// The district's OpenID Connect identity provider, when people sign in through it.
    pub upstream: Option<UpstreamConfig>,
    /// Document limits, complexity, introspection and suggestions.
    pub graphql: crate::graphql::GraphqlOptions,
    /// Time a client has to send a request's headers; also how long an idle keep-alive
    /// connection is kept.
    pub header_timeout: Duration,
    /// Time a client has to send a request's body.
    pub body_timeout: Duration,
    /// Time a whole request may take before it is answered 503.
    pub request_timeout: Duration,
    /// PostgreSQL `statement_timeout` on every connection of the pool.
    pub statement_timeout: Duration,
    /// Requests served at once; more are answered 503 at once.
    pub max_in_flight: usize,
    /// How long a request waits for a database connection before it is answered 503.
    pub db_acquire_timeout: Duration,
    /// GraphiQL at `GET /graphql` for browsers (default: on in development, off in production).
    pub graphiql: bool,
    /// A second listener that serves only `/metrics`; the main listener's `/metrics` then 404s.
    pub metrics_bind: Option<SocketAddr>,
    /// A bearer token `/metrics` requires wherever it is served.
    pub metrics_token: Option<Secret>,
    /// Fair sharing: rate limits, failed-secret lockout, the hashing pool (`src/ratelimit`).
    pub limits: LimitsConfig,
    /// How many years results and audit events are kept (`learnergraph retention`).
    pub retention: crate::privacy::retention::RetentionConfig,
}

/// Limits that keep one caller from crowding out the others. A limit of 0 turns that limit off.
#[derive(Clone, Debug)]
pub struct LimitsConfig {
    /// The window the per-client and per-IP limits are counted over.
    pub window: Duration,
    /// GraphQL requests (and WebSocket connections) per client, or per person signed in
    /// through a front end, per window.
    pub client_requests: u32,
    /// Summed query complexity per client (or person) per window.
    pub client_cost: u32,
    /// Requests per IP per window to the token, authorization and sign-in endpoints.
    pub ip_requests: u32,
    /// Failed secrets for one client id before each further attempt must wait.
    pub secret_free_failures: u32,
    /// How long each attempt after those must wait.
    pub secret_failure_delay: Duration,
    /// Failed secrets that lock the client id's secret logins.
    pub secret_lockout_failures: u32,
    /// How long a lockout lasts; failures are also forgotten this long after the last one.
    pub secret_lockout: Duration,
    /// Secret hashes (argon2) computed at once.
    pub hashing_concurrency: u32,
    /// Longest wait for a hashing slot before answering 503.
    pub hashing_max_wait: Duration,
    /// Redis shared by the replicas; limits are kept in process when unset.
    pub redis_url: Option<Secret>,
    /// Prefix of every Redis key, so deployments (and tests) sharing a Redis stay apart.
    pub redis_prefix: String,
    /// Peers (reverse proxies) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// The district's identity provider (OpenID Connect, authorization code with PKCE).
#[derive(Clone, Debug)]
pub struct UpstreamConfig {
    /// The provider's issuer URL; endpoints come from its discovery document.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// The userinfo claim that names our user: `email` (matched to the user's email) or
    /// another claim such as `preferred_username` (matched to the user's username).
    pub user_claim: String,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://learnergraph.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Reads the fair-sharing limits (see `LimitsConfig`).
fn limits_config(
    get: &dyn Fn(&str) -> Option<String>,
    number: &dyn Fn(&str, u64) -> anyhow::Result<u64>,
) -> anyhow::Result<LimitsConfig> {
    let count = |key: &str, default: u64| -> anyhow::Result<u32> {
        u32::try_from(number(key, default)?).with_context(|| format!("{key} is too large"))
    };
    let positive = |key: &str, default: u64| -> anyhow::Result<u64> {
        match number(key, default)? {
            0 => bail!("{key} must be at least 1"),
            n => Ok(n),
        }
    };
    // Half the cores: secret hashing must never take all of the CPU.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u64);
    let trusted_proxies = get("LEARNERGRAPH_TRUSTED_PROXIES")
        .map(|v| {
            v.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().with_context(|| format!("LEARNERGRAPH_TRUSTED_PROXIES: `{s}` is not an IP address")))
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(LimitsConfig {
        window: Duration::from_secs(positive("LEARNERGRAPH_RATE_LIMIT_WINDOW_SECONDS", 60)?),
        client_requests: count("LEARNERGRAPH_CLIENT_REQUESTS_PER_WINDOW", 6000)?,
        client_cost: count("LEARNERGRAPH_CLIENT_COST_PER_WINDOW", 1_000_000)?,
        ip_requests: count("LEARNERGRAPH_IP_REQUESTS_PER_WINDOW", 600)?,
        secret_free_failures: count("LEARNERGRAPH_SECRET_FREE_FAILURES", 5)?,
        secret_failure_delay: Duration::from_secs(number("LEARNERGRAPH_SECRET_FAILURE_DELAY_SECONDS", 2)?),
        secret_lockout_failures: count("LEARNERGRAPH_SECRET_LOCKOUT_FAILURES", 10)?,
        secret_lockout: Duration::from_secs(positive("LEARNERGRAPH_SECRET_LOCKOUT_SECONDS", 900)?),
        hashing_concurrency: count("LEARNERGRAPH_HASHING_CONCURRENCY", (cores / 2).max(1))?.max(1),
        hashing_max_wait: Duration::from_millis(number("LEARNERGRAPH_HASHING_MAX_WAIT_MS", 2000)?),
        redis_url: get("LEARNERGRAPH_REDIS_URL").map(Secret::new),
        redis_prefix: get("LEARNERGRAPH_REDIS_PREFIX").unwrap_or_else(|| "learnergraph:rl:".to_owned()),
        trusted_proxies,
    })
}

impl Config {
    /// Reads `.env` (if present, without overriding the real environment) and the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds the configuration from any key lookup; tests pass a map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let get = |key: &str| get(key).filter(|v| !v.trim().is_empty());
        let environment = match get("LEARNERGRAPH_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                bail!("LEARNERGRAPH_ENV must be `development` or `production`, not `{other}`")
            }
        };
        let bind: SocketAddr = get("LEARNERGRAPH_BIND")
            .unwrap_or_else(|| DEFAULT_BIND.to_owned())
            .parse()
            .context("LEARNERGRAPH_BIND must be an address like 127.0.0.1:8080")?;
        let signing_key = match (get("LEARNERGRAPH_SIGNING_KEY"), get("LEARNERGRAPH_SIGNING_KEY_FILE")) {
            (Some(pem), _) => SigningKeySource::Pem(Secret::new(pem)),
            (None, Some(path)) => SigningKeySource::File(path.into()),
            (None, None) if environment == Environment::Production => bail!(
                "production mode needs a signing key: set LEARNERGRAPH_SIGNING_KEY or LEARNERGRAPH_SIGNING_KEY_FILE"
            ),
            (None, None) => SigningKeySource::File(".learnergraph/signing-key.pem".into()),
        };
        let number = |key: &str, default: u64| -> anyhow::Result<u64> {
            get(key).map_or(Ok(default), |v| v.parse().with_context(|| format!("{key} must be a whole number")))
        };
        let limit = |key: &str, default: u64| -> anyhow::Result<u64> {
            let v = number(key, default)?;
            if v == 0 {
                bail!("{key} must be at least 1");
            }
            Ok(v)
        };
        let defaults = crate::graphql::limits::DocumentLimits::default();
        let as_usize = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let graphql = crate::graphql::GraphqlOptions {
            limits: crate::graphql::limits::DocumentLimits {
                bytes: as_usize(limit("LEARNERGRAPH_LIMIT_DOCUMENT_BYTES", defaults.bytes as u64)?),
                tokens: as_usize(limit("LEARNERGRAPH_LIMIT_TOKENS", defaults.tokens as u64)?),
                fields: limit("LEARNERGRAPH_LIMIT_FIELDS", defaults.fields)?,
                aliases: number("LEARNERGRAPH_LIMIT_ALIASES", defaults.aliases)?,
                depth: u32::try_from(limit("LEARNERGRAPH_LIMIT_DEPTH", u64::from(defaults.depth))?)
                    .context("LEARNERGRAPH_LIMIT_DEPTH is too large")?,
                directives: number("LEARNERGRAPH_LIMIT_DIRECTIVES", defaults.directives)?,
                string_chars: as_usize(limit("LEARNERGRAPH_LIMIT_STRING_CHARS", defaults.string_chars as u64)?),
            },
            complexity: as_usize(limit("LEARNERGRAPH_LIMIT_COMPLEXITY", crate::graphql::MAX_COMPLEXITY as u64)?),
            introspection: match get("LEARNERGRAPH_INTROSPECTION").as_deref() {
                None | Some("true") => true,
                Some("false") => false,
                Some(other) => bail!("LEARNERGRAPH_INTROSPECTION must be true or false, not `{other}`"),
            },
            suggestions: environment == Environment::Development,
        };
        let seconds =
            |key: &str, default: u64| -> anyhow::Result<Duration> { Ok(Duration::from_secs(limit(key, default)?)) };
        let millis =
            |key: &str, default: u64| -> anyhow::Result<Duration> { Ok(Duration::from_millis(limit(key, default)?)) };
        let limits = limits_config(&get, &number)?;
        Ok(Config {
            limits,
            graphql,
            header_timeout: seconds("LEARNERGRAPH_HEADER_TIMEOUT_SECONDS", 10)?,
            body_timeout: seconds("LEARNERGRAPH_BODY_TIMEOUT_SECONDS", 10)?,
            request_timeout: seconds("LEARNERGRAPH_REQUEST_TIMEOUT_SECONDS", 30)?,
            statement_timeout: millis("LEARNERGRAPH_STATEMENT_TIMEOUT_MS", 15_000)?,
            max_in_flight: as_usize(limit("LEARNERGRAPH_MAX_IN_FLIGHT", 256)?),
            db_acquire_timeout: millis("LEARNERGRAPH_DB_ACQUIRE_TIMEOUT_MS", 2_000)?,
            database_url: Secret::new(get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())),
            db_max_connections: u32::try_from(number("LEARNERGRAPH_DB_MAX_CONNECTIONS", 10)?)
                .context("LEARNERGRAPH_DB_MAX_CONNECTIONS is too large")?,
            issuer: get("LEARNERGRAPH_ISSUER").unwrap_or_else(|| format!("http://{bind}")),
            audience: get("LEARNERGRAPH_AUDIENCE").unwrap_or_else(|| "learnergraph".to_owned()),
            bind,
            environment,
            signing_key,
            access_token_ttl: Duration::from_secs(number("LEARNERGRAPH_ACCESS_TOKEN_TTL_SECONDS", 900)?),
            max_body_bytes: usize::try_from(number("LEARNERGRAPH_MAX_BODY_BYTES", 1024 * 1024)?)
                .context("LEARNERGRAPH_MAX_BODY_BYTES is too large")?,
            shutdown_timeout: Duration::from_secs(number("LEARNERGRAPH_SHUTDOWN_TIMEOUT_SECONDS", 20)?),
            sync_retention: {
                let days = number("LEARNERGRAPH_SYNC_RETENTION_DAYS", 400)?;
                if days < 365 {
                    bail!(
                        "LEARNERGRAPH_SYNC_RETENTION_DAYS must be at least 365: tools sync at least once a school year"
                    );
                }
                Duration::from_secs(days * 86_400)
            },
            retention: {
                let results_years = number("LEARNERGRAPH_RETENTION_RESULTS_YEARS", 7)?;
                let audit_years = number("LEARNERGRAPH_RETENTION_AUDIT_YEARS", 7)?;
                if results_years == 0 || audit_years == 0 {
                    bail!(
                        "LEARNERGRAPH_RETENTION_RESULTS_YEARS and LEARNERGRAPH_RETENTION_AUDIT_YEARS must be at least 1"
                    );
                }
                crate::privacy::retention::RetentionConfig {
                    results_years: u32::try_from(results_years).unwrap_or(u32::MAX),
                    audit_years: u32::try_from(audit_years).unwrap_or(u32::MAX),
                }
            },
            log_json: matches!(get("LEARNERGRAPH_LOG_FORMAT").as_deref(), Some("json")),
            log_spans: matches!(get("LEARNERGRAPH_LOG_SPANS").as_deref(), Some("1" | "true")),
            previous_public_keys: get("LEARNERGRAPH_PREVIOUS_PUBLIC_KEYS")
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            dev_signin: match get("LEARNERGRAPH_DEV_SIGNIN").as_deref() {
                Some("true") if environment == Environment::Production => {
                    bail!("LEARNERGRAPH_DEV_SIGNIN cannot be enabled in production mode")
                }
                Some("true") => true,
                None | Some("false") => false,
                Some(other) => bail!("LEARNERGRAPH_DEV_SIGNIN must be true or false, not `{other}`"),
            },
            upstream: match (
                get("LEARNERGRAPH_OIDC_ISSUER"),
                get("LEARNERGRAPH_OIDC_CLIENT_ID"),
                get("LEARNERGRAPH_OIDC_CLIENT_SECRET"),
            ) {
                (Some(issuer), Some(client_id), Some(secret)) => Some(UpstreamConfig {
                    issuer: issuer.trim_end_matches('/').to_owned(),
                    client_id,
                    client_secret: Secret::new(secret),
                    user_claim: get("LEARNERGRAPH_OIDC_USER_CLAIM").unwrap_or_else(|| "email".to_owned()),
                }),
                (None, None, None) => None,
                _ => bail!(
                    "set all of LEARNERGRAPH_OIDC_ISSUER, LEARNERGRAPH_OIDC_CLIENT_ID and LEARNERGRAPH_OIDC_CLIENT_SECRET, or none"
                ),
            },
            graphiql: match get("LEARNERGRAPH_GRAPHIQL").as_deref() {
                None => environment == Environment::Development,
                Some("true") => true,
                Some("false") => false,
                Some(other) => bail!("LEARNERGRAPH_GRAPHIQL must be true or false, not `{other}`"),
            },
            metrics_bind: get("LEARNERGRAPH_METRICS_BIND")
                .map(|v| v.parse())
                .transpose()
                .context("LEARNERGRAPH_METRICS_BIND must be an address like 127.0.0.1:9090")?,
            metrics_token: match get("LEARNERGRAPH_METRICS_TOKEN") {
                Some(t) if t.trim().len() < 16 => bail!("LEARNERGRAPH_METRICS_TOKEN must be at least 16 characters"),
                token => token.map(|t| Secret::new(t.trim())),
            },
        })
    }
}
