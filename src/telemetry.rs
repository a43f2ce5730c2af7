//! Structured logging. `RUST_LOG` filters (default `info`); `LEARNERGRAPH_LOG_FORMAT=json`
//! switches to one JSON object per line for log shippers. `LEARNERGRAPH_LOG_SPANS=1` also logs
//! every span as it closes (request, service function, store step) with its busy and idle
//! time, nested under the request's span, so one slow request can be followed step by step.

use tracing_subscriber::{EnvFilter, fmt, fmt::format::FmtSpan, prelude::*};

pub fn init(json: bool, spans: bool) {
    let events = if spans { FmtSpan::CLOSE } else { FmtSpan::NONE };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests starting several apps) keeps the first subscriber.
    let _ = if json {
        registry
            .with(fmt::layer().json().with_current_span(true).with_span_list(true).with_span_events(events))
            .try_init()
    } else {
        registry.with(fmt::layer().with_target(false).with_span_events(events)).try_init()
    };
}
