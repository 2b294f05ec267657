//! The world file: a versioned TOML declaration of tenants, applications, credentials, roles and
//! assignments (docs/world.md). Loading checks everything it can without the store and reports
//! `file:line:col: message`; applying is idempotent.

mod apply;
mod apply_identity;
mod identity;
mod schema;
pub mod vault;
pub mod vault_apply;
pub mod vault_credentials;
pub mod workflow;

use std::ops::Range;
use std::path::{Path, PathBuf};

pub use apply::{AppliedWorld, Services, apply};
pub use schema::{SampleKind, World};

/// The seed world `skybridge up` uses when no `--world` is given.
pub const SEED_WORLD: &str = include_str!("../../../../examples/seed/world.toml");

/// Every file of the seed, relative to its folder.
const SEED_FILES: [(&str, &str); 4] = [
    ("world.toml", SEED_WORLD),
    (
        "workflows/orders-sync/workflow.json",
        include_str!("../../../../examples/seed/workflows/orders-sync/workflow.json"),
    ),
    (
        "workflows/orders-sync-federated/workflow.json",
        include_str!("../../../../examples/seed/workflows/orders-sync-federated/workflow.json"),
    ),
    (
        "workflows/orders-sync-refused/workflow.json",
        include_str!("../../../../examples/seed/workflows/orders-sync-refused/workflow.json"),
    ),
];

/// A world file read and parsed, with its source kept for error positions.
pub struct LoadedWorld {
    /// The parsed declaration.
    pub world: World,
    /// Path shown in errors (`<seed>` for the built-in world).
    pub path: PathBuf,
    source: String,
}

/// An error located in a world file.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct WorldError {
    /// File.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl LoadedWorld {
    /// Reads and parses a world file.
    pub fn read(path: &Path) -> Result<Self, WorldError> {
        let source = std::fs::read_to_string(path).map_err(|e| WorldError {
            path: path.display().to_string(),
            line: 1,
            column: 1,
            message: format!("cannot read the world file: {e}"),
        })?;
        Self::parse(path.to_path_buf(), source)
    }

    /// The built-in seed world, parsed only (files it names are not available).
    pub fn seed() -> Result<Self, WorldError> {
        Self::parse(PathBuf::from("<seed>/world.toml"), SEED_WORLD.to_string())
    }

    /// The built-in seed world written out to `dir` with the files it names (the workflow), so
    /// that it loads like any world file.
    pub fn seed_in(dir: &Path) -> Result<Self, WorldError> {
        let io = |e: std::io::Error| WorldError {
            path: dir.display().to_string(),
            line: 1,
            column: 1,
            message: format!("cannot write the seed world: {e}"),
        };
        for (relative, text) in SEED_FILES {
            let path = dir.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(&path, text).map_err(io)?;
        }
        Self::read(&dir.join("world.toml"))
    }

    /// Parses `source`, refusing unknown keys and versions other than 1.
    pub fn parse(path: PathBuf, source: String) -> Result<Self, WorldError> {
        let world: World = toml::from_str(&source).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let (line, column) = position(&source, span.start);
            WorldError {
                path: path.display().to_string(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        let loaded = Self {
            world,
            path,
            source,
        };
        if *loaded.world.version.get_ref() != 1 {
            return Err(loaded.error(
                loaded.world.version.span(),
                format!(
                    "unsupported world version {} (this Skybridge reads version 1)",
                    loaded.world.version.get_ref()
                ),
            ));
        }
        if let Some(range) = &loaded.world.authority.token_lifetime_minutes {
            let [low, high] = *range.get_ref();
            if !(5..=1440).contains(&low) || !(low..=1440).contains(&high) {
                return Err(loaded.error(
                    range.span(),
                    "token_lifetime_minutes must be [min, max] with 5 <= min <= max <= 1440",
                ));
            }
        }
        vault::check(&loaded)?;
        workflow::check(&loaded)?;
        Ok(loaded)
    }

    /// Applies the `[authority]` settings to an authority configuration.
    pub fn configure(&self, config: &mut skybridge_authority::AuthorityConfig) {
        let settings = &self.world.authority;
        config.replay_protection = settings.replay_protection;
        if let Some(range) = &settings.token_lifetime_minutes {
            let [low, high] = *range.get_ref();
            config.token_lifetime = (low * 60, high * 60);
        }
    }

    /// An error at `span` of this file.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> WorldError {
        let (line, column) = position(&self.source, span.start);
        WorldError {
            path: self.path.display().to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Resolves a path written in the world file relative to the file's folder.
    pub fn resolve_path(&self, relative: &str) -> PathBuf {
        let p = Path::new(relative);
        if p.is_absolute() {
            return p.to_path_buf();
        }
        self.path
            .parent()
            .map_or_else(|| p.to_path_buf(), |dir| dir.join(p))
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn position(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LoadedWorld, WorldError> {
        LoadedWorld::parse(PathBuf::from("w.toml"), text.to_string())
    }

    #[test]
    fn seed_parses() {
        let seed = LoadedWorld::seed().unwrap();
        assert!(
            seed.world
                .tenants
                .iter()
                .any(|t| t.name.get_ref() == "home")
        );
    }

    #[test]
    fn unknown_key_is_located() {
        let err = parse("version = 1\n[[tenant]]\nname = \"a\"\ncolour = \"red\"\n")
            .err()
            .unwrap();
        assert_eq!((err.path.as_str(), err.line, err.column), ("w.toml", 4, 1));
        assert!(err.message.contains("colour"), "{}", err.message);
    }

    #[test]
    fn version_is_checked() {
        let err = parse("version = 2\n").err().unwrap();
        assert_eq!((err.line, err.column), (1, 11));
        assert!(err.message.contains("version 2"));
        assert!(parse("").is_err(), "version is required");
    }

    #[test]
    fn syntax_error_is_located() {
        let err = parse("version = 1\n[[tenant]\n").err().unwrap();
        assert_eq!(err.line, 2);
    }
}
