//! The `flexkeur` command: `serve` (the default) and `migrate`.

use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use flexkeur::config::Config;
use flexkeur::db::Db;
use flexkeur::server;

#[derive(Parser)]
#[command(
    name = "flexkeur",
    version,
    about = "Housing-quality certification under the SNF norm"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("flexkeur: configuration: {err}");
            return ExitCode::from(2);
        }
    };
    server::init_tracing(config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("flexkeur: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind.clone();
    let public_url = config.public_url.clone();
    let state = server::prepare(config)?;
    let listener = TcpListener::bind(&bind).with_context(|| format!("binding {bind}"))?;
    tracing::info!(%bind, %public_url, "flexkeur listening; API documentation at /docs/");
    actix_web::rt::System::new().block_on(async move {
        server::serve(state, listener, |_| {})?.await?;
        anyhow::Ok(())
    })?;
    tracing::info!("stopped");
    Ok(())
}

fn migrate(config: &Config) -> anyhow::Result<()> {
    let db = Db::connect(&config.database_url, 1)?;
    let ran = db.migrate()?;
    println!(
        "{ran} migration(s) applied to the {} database",
        db.backend()
    );
    Ok(())
}
