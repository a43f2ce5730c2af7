//! The `learnergraph` command line.

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "learnergraph", version, about = "GraphQL API for personalized-learning school districts")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP on LEARNERGRAPH_BIND.
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL); `schema.graphql` holds the same text.
    Schema,
    /// Load data: the demo district, or synthetic data at scale for benchmarks.
    Seed(SeedArgs),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Load the demo district first (idempotent), for trying the service out.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct SeedArgs {
    /// The fictional demo district (idempotent: a second run changes nothing).
    #[arg(long)]
    pub demo: bool,
    /// A synthetic district with about N students (deterministic, idempotent).
    #[arg(long, value_name = "N")]
    pub scale: Option<u32>,
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client; prints its id and secret (shown this once) as JSON.
    Create {
        #[arg(long)]
        name: String,
        /// Space-separated scopes, e.g. "roster.read profiles.read".
        #[arg(long)]
        scopes: String,
        /// Limit the client to an org (by sourcedId); repeat for several. None: district-wide.
        #[arg(long = "org", value_name = "ORG_SOURCED_ID")]
        orgs: Vec<String>,
    },
    /// List clients as JSON (never their secrets).
    List,
}
