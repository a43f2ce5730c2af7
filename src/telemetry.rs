//! Structured logging. `RUST_LOG` filters (default `info`); `LEARNERGRAPH_LOG_FORMAT=json`
//! switches to one JSON object per line for log shippers.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests starting several apps) keeps the first subscriber.
    let _ = if json {
        registry.with(fmt::layer().json().with_current_span(true)).try_init()
    } else {
        registry.with(fmt::layer().with_target(false)).try_init()
    };
}
