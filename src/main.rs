//! The `flexkeur` command: `serve` (the default), `migrate`, `keys`, `norms check` and
//! `evaluate`.

use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use flexkeur::certificate::keys;
use flexkeur::config::Config;
use flexkeur::db::Db;
use flexkeur::norm::cli::{EvaluateArgs, NormsArgs};
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
    /// Work with the norm files: `flexkeur norms check`.
    Norms(NormsArgs),
    /// Evaluate a facts file against the norm version in force on a date.
    Evaluate(EvaluateArgs),
    /// The keys that sign certificate tokens: list them (creating the first), or `rotate`.
    Keys {
        #[command(subcommand)]
        action: Option<KeysAction>,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Retire the current key and sign with a new one from now on. Retired keys stay published
    /// at /.well-known/jwks.json, so certificates signed with them still verify.
    Rotate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        // The norm tools need no configuration and no database.
        Command::Norms(args) => tool(args.run(&mut std::io::stdout())),
        Command::Evaluate(args) => tool(args.run(&mut std::io::stdout())),
        Command::Serve => service(serve),
        Command::Migrate => service(|config| migrate(&config)),
        Command::Keys { action } => service(|config| signing_keys(&config, action)),
    }
}

fn tool(result: anyhow::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|err| {
        eprintln!("flexkeur: {err:#}");
        ExitCode::from(2)
    })
}

fn service(run: impl FnOnce(Config) -> anyhow::Result<()>) -> ExitCode {
    let config = match Config::load() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("flexkeur: configuration: {err}");
            return ExitCode::from(2);
        }
    };
    server::init_tracing(config.log_format);
    match run(config) {
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

fn signing_keys(config: &Config, action: Option<KeysAction>) -> anyhow::Result<()> {
    let db = Db::connect(&config.database_url, 1)?;
    db.migrate()?;
    let mut conn = db.conn().map_err(anyhow::Error::new)?;
    let now = chrono::Utc::now().naive_utc();
    match action {
        None => {
            keys::ensure(&mut conn, now).map_err(anyhow::Error::new)?;
        }
        Some(KeysAction::Rotate) => {
            let key = flexkeur::db::write_transaction(&mut conn, |c| keys::rotate(c, now))
                .map_err(anyhow::Error::new)?;
            println!("rotated: new signing key {}", key.kid);
        }
    }
    for key in keys::all(&mut conn).map_err(anyhow::Error::new)? {
        let info = key.info();
        match info.retired_at {
            None => println!("{}  current  since {}", info.kid, info.created_at),
            Some(retired) => println!("{}  retired  {}", info.kid, retired),
        }
    }
    Ok(())
}
