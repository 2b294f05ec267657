//! `skybridge expr`: evaluates one Logic Apps expression (or template) and prints compact JSON.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

/// `skybridge expr` options.
#[derive(Args)]
pub struct ExprArgs {
    /// The expression without its leading `@` (`add(1, 2)`), or with --template the content of
    /// a JSON string value (`Hello @{parameters('name')}`) or a whole JSON document.
    expression: String,
    /// A JSON file with the context: parameters, variables, appsettings, trigger, actions,
    /// item, items, iterationIndexes, results, workflow, utcNow, guid, random.
    #[arg(long)]
    context: Option<PathBuf>,
    /// Evaluate as a template, as Logic Apps evaluates a JSON string value.
    #[arg(long)]
    template: bool,
}

/// Runs `skybridge expr`: prints the result, or the InvalidTemplate message and fails.
pub fn run(args: ExprArgs) -> anyhow::Result<()> {
    let context = match &args.context {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            Some(
                serde_json::from_str(text)
                    .with_context(|| format!("{} is not valid JSON", path.display()))?,
            )
        }
        None => None,
    };
    match skybridge_workflow::cli::evaluate(&args.expression, context, args.template) {
        Ok(json) => {
            println!("{json}");
            Ok(())
        }
        Err(message) => Err(anyhow::anyhow!(message)),
    }
}
