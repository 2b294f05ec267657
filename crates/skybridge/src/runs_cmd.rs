//! `skybridge runs`: workflow run history from the data directory's store (`list`, `show`),
//! and manual runs of a world's workflow in this process (`start`).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use skybridge_store::{WorkflowRunQuery, WorkflowRunStore};
use skybridge_workflow::TriggerRequest;
use skybridge_workflow::cli::{format_run, format_run_list};
use skybridge_workflow::history::{StoredAction, StoredRun};

use crate::DataArgs;
use crate::runtime::{Runtime, Urls};

/// `skybridge runs …`.
#[derive(Subcommand)]
pub enum RunsCommand {
    /// List a workflow's runs, newest first.
    List(ListArgs),
    /// Show one run: trigger, every action (and loop repetition) with status, code, error,
    /// inputs and outputs.
    Show(ShowArgs),
    /// Run a world workflow's trigger now, in this process, and show the run.
    Start(StartArgs),
}

/// `runs list`.
#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Workflow name.
    workflow: String,
    /// Only runs with this status (Succeeded, Failed, Running, ...).
    #[arg(long)]
    status: Option<String>,
    /// At most this many runs.
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// `runs show`.
#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Workflow name.
    workflow: String,
    /// Run id (`latest` for the newest run).
    run: String,
    /// Print JSON instead of a report.
    #[arg(long)]
    json: bool,
}

/// `runs start`.
#[derive(Args)]
pub struct StartArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Workflow name (a `[[workflow]]` of the world file).
    workflow: String,
    /// World file; the built-in seed world when absent.
    #[arg(long, env = "SKYBRIDGE_WORLD")]
    world: Option<PathBuf>,
    /// Trigger to fire; the workflow's first trigger by default.
    #[arg(long)]
    trigger: Option<String>,
    /// Trigger body: JSON text, or @FILE.
    #[arg(long)]
    body: Option<String>,
}

/// Runs a `skybridge runs` subcommand.
pub async fn run(command: RunsCommand) -> anyhow::Result<()> {
    match command {
        RunsCommand::List(a) => list(a).await,
        RunsCommand::Show(a) => show(a).await,
        RunsCommand::Start(a) => start(a).await,
    }
}

async fn open(data: &DataArgs) -> anyhow::Result<Runtime> {
    Runtime::open(&data.data_dir, Urls::offline(), |_| {}).await
}

async fn list(a: ListArgs) -> anyhow::Result<()> {
    let rt = open(&a.data).await?;
    let query = WorkflowRunQuery {
        status: a.status.clone(),
        after_run_id: None,
        top: a.top,
    };
    let runs: Vec<StoredRun> = rt
        .store
        .workflow_runs(&a.workflow, &query)
        .await?
        .iter()
        .map(StoredRun::from_record)
        .collect();
    if a.json {
        let value: Vec<serde_json::Value> = runs
            .iter()
            .map(|r| serde_json::json!({"name": r.run_id, "properties": r.document}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else if runs.is_empty() {
        println!("no runs of workflow '{}'", a.workflow);
    } else {
        print!("{}", format_run_list(&runs));
    }
    Ok(())
}

async fn show(a: ShowArgs) -> anyhow::Result<()> {
    let rt = open(&a.data).await?;
    let run_id = if a.run.eq_ignore_ascii_case("latest") {
        let query = WorkflowRunQuery {
            top: 1,
            ..WorkflowRunQuery::default()
        };
        rt.store
            .workflow_runs(&a.workflow, &query)
            .await?
            .first()
            .map(|r| r.run_id.clone())
            .with_context(|| format!("workflow '{}' has no runs", a.workflow))?
    } else {
        a.run.clone()
    };
    let record = rt
        .store
        .workflow_run(&a.workflow, &run_id)
        .await?
        .with_context(|| format!("no run '{run_id}' of workflow '{}'", a.workflow))?;
    let run = StoredRun::from_record(&record);
    let actions: Vec<StoredAction> = rt
        .store
        .workflow_run_actions(&a.workflow, &run_id)
        .await?
        .iter()
        .map(StoredAction::from_record)
        .collect();
    if a.json {
        let acts: Vec<serde_json::Value> = actions
            .iter()
            .map(|x| serde_json::json!({"name": x.name, "repetition": x.repetition, "properties": x.document}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"name": run.run_id, "properties": run.document, "actions": acts})
            )?
        );
    } else {
        print!("{}", format_run(&run, &actions, 400));
    }
    Ok(())
}

async fn start(a: StartArgs) -> anyhow::Result<()> {
    let world = match &a.world {
        Some(path) => crate::world::LoadedWorld::read(path)?,
        None => crate::world::LoadedWorld::seed()?,
    };
    let rt = open(&a.data).await?;
    let engine = crate::workflows::engine(&rt)?;
    for wf in crate::world::workflow::load(&world, &Default::default())? {
        engine.add_workflow(wf);
    }
    let wf = engine
        .workflow(&a.workflow)
        .with_context(|| format!("the world has no workflow '{}'", a.workflow))?;
    let trigger = match &a.trigger {
        Some(t) => t.clone(),
        None => wf
            .definition
            .triggers
            .first()
            .map(|t| t.name.clone())
            .context("the workflow has no trigger")?,
    };
    let body = match &a.body {
        None => None,
        Some(text) => {
            let text = match text.strip_prefix('@') {
                Some(file) => {
                    std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?
                }
                None => text.clone(),
            };
            Some(serde_json::from_str(&text).context("--body is not valid JSON")?)
        }
    };
    let request = TriggerRequest {
        method: "POST".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body,
        ..TriggerRequest::default()
    };
    let summary = engine
        .run_to_completion(&wf.name, &trigger, request)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match engine.get_run(&wf.name, &summary.run_id).await {
        Ok((run, actions)) => print!("{}", format_run(&run, &actions, 400)),
        // Stateless workflows keep no history: show the summary.
        Err(_) => println!("run {} {}", summary.run_id, summary.status),
    }
    if summary.status != skybridge_workflow::Status::Succeeded {
        anyhow::bail!("the run ended {}", summary.status);
    }
    Ok(())
}
