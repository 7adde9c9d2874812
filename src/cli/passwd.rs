//! `schemata passwd USER`: read a password on stdin and print the users-file line
//! (`--basic-auth-file`, `docs/rest-api.md` §10) with its argon2id hash. On a terminal the
//! password is not echoed and is asked for twice; piped, the first line is the password.

use super::options::PasswdArgs;
use anyhow::{bail, Context};
use std::io::{BufRead, IsTerminal};

pub(super) fn run(args: PasswdArgs) -> anyhow::Result<()> {
    let user = args.user.as_str();
    if user.is_empty()
        || user.trim() != user
        || user.starts_with('#')
        || user.contains([':', ',', '\n', '\r'])
    {
        bail!("the user name may not be empty, start with '#', hold ':' or ',', or start or end with a space");
    }
    let password = read_password()?;
    if password.is_empty() {
        bail!("the password is empty");
    }
    let hash = crate::api::auth::argon2id_line(&password).map_err(anyhow::Error::msg)?;
    println!("{user}: {hash}");
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let password =
            rpassword::prompt_password("Password: ").context("cannot read the password")?;
        let again = rpassword::prompt_password("Again: ").context("cannot read the password")?;
        if password != again {
            bail!("the passwords differ");
        }
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    Ok(password.strip_suffix('\r').unwrap_or(password).to_string())
}
