//! Writing the draft in the user's own editor (`Ctrl+X Ctrl+E`, `:edit`), as readline
//! and git do: the screen is given back, `$VISUAL` (else `$EDITOR`, else `vi`) runs on
//! a file holding the draft, and what it saved becomes the draft.

use crate::input::Input;
use crate::terminal::{self, Tui};
use std::io::Write;
use std::path::Path;
use std::process::Command;

/// Runs the editor on `text`; the edited text, or why there is none. The terminal is
/// restored to the chat whatever happens.
pub fn edit(
    tui: &mut Tui,
    input: &Input,
    data_dir: &Path,
    mouse: bool,
    text: &str,
) -> Result<String, String> {
    input.pause();
    terminal::suspend(mouse);
    let result = tokio::task::block_in_place(|| run_editor(data_dir, text));
    terminal::resume(mouse);
    input.resume();
    // Whatever the editor left on the screen goes.
    if let Err(e) = tui.clear() {
        tracing::info!(%e, "clearing after the editor failed");
    }
    result
}

fn run_editor(data_dir: &Path, text: &str) -> Result<String, String> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned());
    std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    // Private to the user: a draft may be anything.
    let mut file = tempfile::Builder::new()
        .prefix("draft-")
        .suffix(".txt")
        .tempfile_in(data_dir)
        .map_err(|e| format!("a file for the draft: {e}"))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("writing the draft: {e}"))?;
    let path = file.path().to_owned();
    // Through the shell, so EDITOR="code --wait" works like it does for git.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status()
        .map_err(|e| format!("cannot run {editor}: {e}"))?;
    if !status.success() {
        return Err(format!("{editor} exited with {status}"));
    }
    std::fs::read_to_string(&path).map_err(|e| format!("reading the draft back: {e}"))
}
