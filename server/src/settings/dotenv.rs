//! The `.env` file: read into the environment before anything else, as the earlier
//! version did. A line that cannot be parsed is an error with its line number; quietly
//! stopping there would leave every later line unset without a word.

use super::ConfigError;
use std::path::{Path, PathBuf};

/// Loads `.env` from the working directory or its parents, if there is one; returns its
/// path. Variables already set in the environment win over the file.
pub fn load() -> Result<Option<PathBuf>, ConfigError> {
    match dotenvy::dotenv() {
        Ok(path) => Ok(Some(path)),
        Err(e) if e.not_found() => Ok(None),
        Err(dotenvy::Error::LineParse(text, column)) => {
            let path = find_dotenv();
            let line = line_of(&path, &text).map_or(String::new(), |n| format!(" line {n}"));
            Err(ConfigError::new(format!(
                "{}{line}: cannot parse `{}` (at character {}); expected NAME=value",
                path.display(),
                text.lines().next().unwrap_or(&text),
                column + 1
            )))
        }
        Err(e) => Err(ConfigError::new(format!("reading .env: {e}"))),
    }
}

fn find_dotenv() -> PathBuf {
    let mut dir = std::env::current_dir().unwrap_or_default();
    loop {
        let candidate = dir.join(".env");
        if candidate.is_file() || !dir.pop() {
            return candidate;
        }
    }
}

/// The 1-based number of the line where `text` (the part dotenvy could not parse) starts.
fn line_of(path: &Path, text: &str) -> Option<usize> {
    let contents = std::fs::read_to_string(path).ok()?;
    let first = text.lines().next()?.trim();
    contents
        .lines()
        .position(|line| line.trim() == first)
        .map(|index| index + 1)
}
