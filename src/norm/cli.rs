//! `flexkeur norms check` and `flexkeur evaluate`: the scheme owner's tools.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use serde::Deserialize;

use super::{InspectionKind, LocationProfile, Registry, cases};

#[derive(Debug, Args)]
pub struct NormsArgs {
    #[command(subcommand)]
    pub command: NormsCommand,
}

#[derive(Debug, Subcommand)]
pub enum NormsCommand {
    /// Validate every norm file and run every test case shipped with the norms.
    Check {
        /// The norms folder.
        #[arg(long, default_value = "norms")]
        dir: PathBuf,
    },
}

impl NormsArgs {
    pub fn run(self, out: &mut impl Write) -> anyhow::Result<ExitCode> {
        let NormsCommand::Check { dir } = self.command;
        let registry = match Registry::load_dir(&dir) {
            Ok(r) => r,
            Err(e) => {
                write!(out, "{e}")?;
                return Ok(ExitCode::FAILURE);
            }
        };
        for scheme in registry.schemes() {
            let items: usize = scheme.versions.iter().map(|v| v.items.len()).sum();
            writeln!(
                out,
                "{}: {} version(s), {items} items, {} fact(s), {} collection(s)",
                scheme.id,
                scheme.versions.len(),
                scheme.facts.facts.len(),
                scheme.facts.collections.len()
            )?;
        }
        let (reports, uncovered) = cases::run(&registry);
        let failed: Vec<_> = reports.iter().filter(|r| !r.failures.is_empty()).collect();
        for report in &failed {
            writeln!(
                out,
                "FAILED {} ({}, version {}):",
                report.name,
                report.file,
                report.version.as_deref().unwrap_or("none")
            )?;
            for f in &report.failures {
                writeln!(out, "  {f}")?;
            }
        }
        for line in &uncovered {
            writeln!(out, "UNCOVERED {line}")?;
        }
        writeln!(
            out,
            "{} case(s): {} passed, {} failed; {} item(s) without a case",
            reports.len(),
            reports.len() - failed.len(),
            failed.len(),
            uncovered.len()
        )?;
        Ok(if failed.is_empty() && uncovered.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Inspection {
    Location,
    Administrative,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The scheme, e.g. snf or akf.
    #[arg(long, default_value = "snf")]
    pub scheme: String,
    /// The inspection date (YYYY-MM-DD); the version in force then is used.
    #[arg(long)]
    pub date: NaiveDate,
    /// Which part of the norm: the location's items or the organisation's.
    #[arg(long, value_enum, default_value = "location")]
    pub inspection: Inspection,
    /// The norms folder.
    #[arg(long, default_value = "norms")]
    pub dir: PathBuf,
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
    /// JSON: {"location": {"housing_form": …}, "facts": {…}}.
    pub file: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    location: LocationProfile,
    facts: serde_json::Value,
}

impl EvaluateArgs {
    pub fn run(self, out: &mut impl Write) -> anyhow::Result<ExitCode> {
        let registry = Registry::load_dir(&self.dir)?;
        let text = std::fs::read_to_string(&self.file)
            .with_context(|| format!("reading {}", self.file.display()))?;
        let input: Input = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a facts file", self.file.display()))?;
        let version = registry.select(&self.scheme, self.date, &input.location)?;
        let facts = match version.validate_facts(&input.facts) {
            Ok(f) => f,
            Err(errors) => {
                for e in errors {
                    writeln!(out, "{}: {} ({})", e.fact, e.message, e.code)?;
                }
                return Ok(ExitCode::from(2));
            }
        };
        let kind = match self.inspection {
            Inspection::Location => InspectionKind::Location,
            Inspection::Administrative => InspectionKind::Administrative,
        };
        let verdict = version.evaluate(&input.location, self.date, kind, &facts);
        if self.json {
            serde_json::to_writer_pretty(&mut *out, &verdict)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{} {} ({}), norm hash {}",
                verdict.scheme, verdict.version, version.title.en, verdict.norm_hash
            )?;
            for item in &verdict.items {
                let status = serde_json::to_value(item.status)?;
                let severity = serde_json::to_value(item.severity)?;
                writeln!(
                    out,
                    "{:<8} {:<15} {:<6} {}: {}",
                    item.id,
                    status.as_str().unwrap_or_default(),
                    severity.as_str().unwrap_or_default(),
                    item.title.en,
                    item.explanation
                )?;
            }
            let result = serde_json::to_value(verdict.result)?;
            writeln!(out, "result: {}", result.as_str().unwrap_or_default())?;
        }
        Ok(match verdict.result {
            super::Outcome::Pass => ExitCode::SUCCESS,
            _ => ExitCode::FAILURE,
        })
    }
}
