//! `learnergraph`: parse the command line, load configuration, run the command.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use learnergraph::{
    app::{App, shutdown_signal},
    auth::clients,
    cli::{
        AgreementCommand, AuditCommand, Cli, ClientCommand, Command, ExportCommand, ImportCommand, LearnerCommand,
        SyncCommand,
    },
    config::Config,
    db, graphql, seed, telemetry,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// See Cargo.toml: the service's and the CLI's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    telemetry::init(config.log_json, config.log_spans);
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
        Command::MeasureRequests { workload, count } => learnergraph::measure::requests(config, &workload, count).await,
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
        Command::Audit(AuditCommand::Export { learner, client, agreement, since }) => {
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let learner = match learner {
                None => None,
                Some(sid) => Some(
                    entity::user::Entity::find()
                        .filter(entity::user::Column::SourcedId.eq(sid.as_str()))
                        .one(&conn)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no user with sourcedId `{sid}`"))?
                        .id,
                ),
            };
            let filter = learnergraph::audit::store::Filter {
                learner,
                client_id: client,
                agreement_id: agreement,
                since,
                until: None,
            };
            let rows = learnergraph::audit::store::export(&conn, &filter, std::io::stdout().lock()).await?;
            eprintln!("{rows} rows");
            Ok(())
        }
        Command::Import(ImportCommand::Oneroster { path, dry_run, skip_invalid, with_demographics }) => {
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let ran_by = cli_user();
            let opts = learnergraph::roster::oneroster::Options {
                dry_run,
                skip_invalid,
                ran_by,
                echo: true,
                record: true,
                with_demographics,
                ..Default::default()
            };
            let report = learnergraph::roster::oneroster::import(&conn, &path, opts).await?;
            import_done(&report)
        }
        Command::Sync(SyncCommand::Oneroster {
            base_url,
            token_url,
            client_id,
            client_secret_file,
            since,
            with_demographics,
            dry_run,
            skip_invalid,
        }) => {
            let secret = std::fs::read_to_string(&client_secret_file)
                .with_context(|| format!("cannot read {}", client_secret_file.display()))?;
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let pull = learnergraph::roster::oneroster::pull::Pull {
                base_url,
                token_url,
                client_id,
                client_secret: secret.trim().to_owned(),
                since,
                with_demographics,
                dry_run,
                skip_invalid,
                ran_by: cli_user(),
                echo: true,
            };
            let report = learnergraph::roster::oneroster::pull::pull(&conn, pull).await?;
            import_done(&report)
        }
        Command::Import(ImportCommand::History { limit }) => {
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let rows = learnergraph::roster::oneroster::history::list(&conn, limit, None).await?;
            let out: Vec<serde_json::Value> =
                rows.iter().map(learnergraph::roster::oneroster::history::to_json).collect();
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        Command::Export(ExportCommand::Oneroster { dir, zip, with_demographics }) => {
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let counts = learnergraph::roster::oneroster::export::export(&conn, &dir, zip, with_demographics).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({"dir": dir, "zip": zip, "counts": counts}))?
            );
            Ok(())
        }
        Command::Import(ImportCommand::Case { file, district }) => {
            let json = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?
            };
            let package = learnergraph::competencies::case::parse(&json)?;
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let p = learnergraph::auth::Principal::system();
            let s = learnergraph::competencies::store::import(&conn, &p, district.as_deref(), package).await?;
            let framework = s
                .framework
                .as_ref()
                .map(|f| serde_json::json!({"identifier": f.source_id, "title": f.title, "version": f.version}));
            let out = serde_json::json!({
                "framework": framework, "created": s.created, "updated": s.updated,
                "unchanged": s.unchanged, "retired": s.retired,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        Command::Client(cmd) => {
            let cmd_kind = match &cmd {
                ClientCommand::Enable { .. } => "enable",
                _ => "other",
            };
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let out = match cmd {
                ClientCommand::Create { name, scopes, orgs, grant_types, redirect_uris, internal, agreement } => {
                    let mut options =
                        clients::ClientOptions { redirect_uris, internal, agreement, ..Default::default() };
                    if !grant_types.is_empty() {
                        options.grant_types = grant_types;
                    }
                    serde_json::to_string_pretty(&clients::create_with(&conn, &name, &scopes, &orgs, options).await?)?
                }
                ClientCommand::RotateSecret { client_id } => {
                    let secret = clients::rotate_secret(&conn, &client_id).await?;
                    serde_json::to_string_pretty(&serde_json::json!({"client_id": client_id, "client_secret": secret}))?
                }
                ClientCommand::Disable { client_id } | ClientCommand::Enable { client_id } => {
                    let enable = matches!(cmd_kind, "enable");
                    clients::set_enabled(&conn, &client_id, enable).await?;
                    if !enable {
                        // On PostgreSQL every replica hears it; on SQLite the server's
                        // subscriptions notice at their periodic re-check.
                        learnergraph::sync::Bus::new().revoked(&conn, &client_id).await;
                    }
                    serde_json::to_string_pretty(&serde_json::json!({"client_id": client_id, "enabled": enable}))?
                }
                ClientCommand::List => serde_json::to_string_pretty(&clients::list(&conn).await?)?,
                ClientCommand::SetAgreement { client_id, agreement_id, none: _, internal } => {
                    let p = learnergraph::auth::Principal::system();
                    if internal {
                        learnergraph::privacy::agreements::make_internal(&conn, &p, &client_id).await?;
                    } else {
                        learnergraph::privacy::agreements::bind(&conn, &p, &client_id, agreement_id.as_deref()).await?;
                    }
                    learnergraph::sync::Bus::new().revoked(&conn, &client_id).await;
                    serde_json::to_string_pretty(
                        &serde_json::json!({"client_id": client_id, "agreement": agreement_id, "internal": internal}),
                    )?
                }
            };
            println!("{out}");
            Ok(())
        }
        Command::Agreement(cmd) => {
            use learnergraph::privacy::agreements;
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let p = learnergraph::auth::Principal::system();
            let out = match cmd {
                AgreementCommand::Create {
                    vendor,
                    purpose,
                    elements,
                    starts,
                    ends,
                    signed_by,
                    signed_on,
                    schools,
                    school_official,
                } => {
                    let new = agreements::NewAgreement {
                        vendor,
                        purpose,
                        schools,
                        starts_on: starts,
                        ends_on: ends,
                        signed_by,
                        signed_on: signed_on.unwrap_or_else(|| learnergraph::db::now().date_naive()),
                        elements,
                        school_official,
                    };
                    serde_json::to_string_pretty(&agreements::create(&conn, &p, new).await?)?
                }
                AgreementCommand::List => serde_json::to_string_pretty(&agreements::list(&conn).await?)?,
                AgreementCommand::Revoke { agreement_id, reason } => {
                    let clients = agreements::revoke(&conn, &p, &agreement_id, &reason).await?;
                    let bus = learnergraph::sync::Bus::new();
                    for c in &clients {
                        bus.revoked(&conn, c).await;
                    }
                    serde_json::to_string_pretty(&agreements::find(&conn, &agreement_id).await?)?
                }
            };
            println!("{out}");
            Ok(())
        }
        Command::Learner(LearnerCommand::Purge { sourced_id, reason }) => {
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let p = learnergraph::auth::Principal::system();
            let done = learnergraph::privacy::purge::purge_learner(&conn, &p, &sourced_id, &reason).await?;
            println!("{}", serde_json::to_string_pretty(&done)?);
            Ok(())
        }
        Command::Retention { dry_run } => {
            let conn = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let done = learnergraph::privacy::retention::run(&conn, &config.retention, dry_run).await?;
            println!("{}", serde_json::to_string_pretty(&done)?);
            Ok(())
        }
        Command::Schema => Ok(()),
    }
}

/// Who runs a command, for an import's record: `cli:<login>`.
fn cli_user() -> String {
    let who = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    format!("cli:{who}")
}

/// Prints a roster import's report (a file set's or a sync's) and exits as `import oneroster`
/// documents: 0 applied (or a clean dry run), 1 rejected, 2 applied with invalid rows skipped.
fn import_done(report: &learnergraph::roster::oneroster::Report) -> anyhow::Result<()> {
    use learnergraph::roster::oneroster::Outcome;
    println!("{}", serde_json::to_string_pretty(report)?);
    match report.outcome {
        Outcome::Applied => Ok(()),
        Outcome::DryRun if report.problem_count == 0 => Ok(()),
        Outcome::AppliedWithSkips => std::process::exit(2),
        _ => std::process::exit(1),
    }
}
