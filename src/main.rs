//! `learnergraph`: parse the command line, load configuration, run the command.

use std::process::ExitCode;

use clap::Parser;
use learnergraph::{
    app::{App, shutdown_signal},
    auth::clients,
    cli::{Cli, ClientCommand, Command},
    config::Config,
    db, graphql, seed, telemetry,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, with the cause chain, and no backtrace: this is for operators.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    if let Command::Schema = command {
        print!("{}", graphql::sdl());
        return Ok(());
    }
    let config = Config::from_env()?;
    telemetry::init(config.log_json);
    match command {
        Command::Serve(args) => {
            let app = App::build(config.clone()).await?;
            if args.demo {
                let conn = db::connect(&config, None).await?;
                let report = seed::demo(&conn).await?;
                tracing::info!(%report, "demo district ready; create a client with `learnergraph client create`");
            }
            tracing::info!(address = %config.bind, port = app.port(), "learnergraph listening");
            app.run_until(shutdown_signal()).await
        }
        Command::Migrate => {
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed(args) => {
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let report = match args.scale {
                Some(n) => seed::scale(&conn, n).await?,
                None => seed::demo(&conn).await?,
            };
            println!("{report}");
            Ok(())
        }
        Command::Client(cmd) => {
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let out = match cmd {
                ClientCommand::Create { name, scopes, orgs } => {
                    serde_json::to_string_pretty(&clients::create(&conn, &name, &scopes, &orgs).await?)?
                }
                ClientCommand::List => serde_json::to_string_pretty(&clients::list(&conn).await?)?,
            };
            println!("{out}");
            Ok(())
        }
        Command::Schema => Ok(()),
    }
}
