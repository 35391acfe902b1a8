//! `chat-server`: reads the configuration, then serves (the default) or runs one of the
//! operator's commands. See [`cli`] for the flags and `commands` for what each does.

mod commands;

use chat_server::cli::Cli;
use chat_server::settings::{LoadOptions, Settings, dotenv};
use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // Before the flags: `--config` may come from CHAT_CONFIG in `.env`.
    if let Err(e) = dotenv::load() {
        eprintln!("chat-server: {e}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    let options = LoadOptions {
        config: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
    };
    // Commands that need no configuration run even when it is wrong.
    if let Some(code) = commands::without_settings(cli.command.as_ref()) {
        return code;
    }
    let settings = match Settings::load(&options) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("chat-server: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    match commands::run(cli.command, settings).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("chat-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}
