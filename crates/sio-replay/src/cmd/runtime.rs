//! What the networked subcommands share: a tokio runtime and the token. They stop on
//! [`rt2_mock::ctrl_c_or_sigterm`].

use anyhow::Context as _;
use rt2_client::Token;

use crate::cli::TokenArgs;

/// The environment variable read for a token when `--token-env` is not given.
pub(crate) const DEFAULT_TOKEN_ENV: &str = "SIO_TOKEN";

/// A multi-threaded tokio runtime for one subcommand.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The token the flags ask for: `--token-insecure`, else the `--token-env` variable (which must
/// then be set), else `SIO_TOKEN` when set, else none.
pub(crate) fn token(args: &TokenArgs) -> anyhow::Result<Option<Token>> {
    if let Some(token) = &args.token_insecure {
        return Ok(Some(Token::new(token.clone())));
    }
    match &args.token_env {
        Some(name) => match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => Ok(Some(Token::new(value.trim()))),
            _ => anyhow::bail!(
                "--token-env {name}: the environment variable {name} is not set or empty \
                 (export {name}=<JWT>; the token is never written to disk)"
            ),
        },
        None => Ok(std::env::var(DEFAULT_TOKEN_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| Token::new(v.trim()))),
    }
}
