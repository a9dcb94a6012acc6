//! Passwords and keys for the CLI: password file, `QUARRY_PASSWORD`, or a terminal prompt.

use std::io::IsTerminal;
use std::path::Path;

use alloy_primitives::{Address, B256};
use anyhow::{anyhow, bail, Context};
use quarry_primitives::crypto::SecretKey;
use quarry_wallet::dev;
use quarry_wallet::keydir::KeyDir;

use crate::{ImportSource, SignerArgs};

/// Env var holding the keystore password for non-interactive use.
pub const PASSWORD_ENV: &str = "QUARRY_PASSWORD";

/// The first line of `path` without its line ending (geth's `--password` file rule).
fn first_line(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading password file {}", path.display()))?;
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// The password from `--password-file`, else `QUARRY_PASSWORD`, else `None`.
fn given_password(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    if let Some(path) = file {
        return first_line(path).map(Some);
    }
    Ok(std::env::var(PASSWORD_ENV).ok())
}

fn no_terminal() -> anyhow::Error {
    anyhow!(
        "no password given and no terminal to ask on: use --password-file FILE or {PASSWORD_ENV}"
    )
}

/// The password for a new keystore file: given, or asked twice on the terminal.
pub fn new_password(file: Option<&Path>) -> anyhow::Result<String> {
    if let Some(password) = given_password(file)? {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal());
    }
    let first = rpassword::prompt_password("New keystore password: ")?;
    let second = rpassword::prompt_password("Repeat the password: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

/// The password to open the key of `address`: given, or asked once on the terminal.
fn existing_password(file: Option<&Path>, address: Address) -> anyhow::Result<String> {
    if let Some(password) = given_password(file)? {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal());
    }
    Ok(rpassword::prompt_password(format!("Password for {address}: "))?)
}

/// Decrypts the keystore key of `address`.
pub fn unlock(keydir: &KeyDir, address: Address, file: Option<&Path>) -> anyhow::Result<SecretKey> {
    let key_file = keydir.find(address)?;
    let password = existing_password(file, address)?;
    key_file
        .keystore
        .decrypt(password.as_bytes())
        .with_context(|| format!("opening {}", key_file.path.display()))
}

/// Parses a private key written as 64 hex digits (optionally `0x`).
pub fn parse_private_key(text: &str) -> anyhow::Result<SecretKey> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix("0x").unwrap_or(trimmed);
    // Never echo the key itself: name only its shape.
    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("invalid private key: expected 64 hex digits, found {} characters", digits.len());
    }
    let bytes: B256 = digits.parse().map_err(|_| anyhow!("invalid private key hex"))?;
    SecretKey::from_bytes(&bytes).map_err(|e| anyhow!("invalid private key: {e}"))
}

/// The key `import` was given.
pub fn import_key(source: &ImportSource) -> anyhow::Result<SecretKey> {
    if let Some(index) = source.dev_account {
        return Ok(dev::dev_key(index));
    }
    if let Some(path) = &source.private_key_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading private key file {}", path.display()))?;
        return parse_private_key(text.lines().next().unwrap_or_default());
    }
    match &source.private_key {
        Some(hex) => parse_private_key(hex),
        None => bail!("import needs --private-key, --private-key-file or --dev-account"),
    }
}

/// The key that signs a transaction: a dev account, the keystore key of `--from`, or the
/// keystore's only key.
pub fn signer_key(
    keydir: &KeyDir,
    signer: &SignerArgs,
    file: Option<&Path>,
) -> anyhow::Result<SecretKey> {
    if let Some(index) = signer.dev_account {
        return Ok(dev::dev_key(index));
    }
    let address = match &signer.from {
        Some(text) => super::parse_address("--from", text)?,
        None => {
            let (keys, _) = keydir.scan()?;
            let addresses: Vec<Address> = keys.iter().filter_map(|k| k.keystore.address).collect();
            match addresses.as_slice() {
                [only] => *only,
                [] => bail!(
                    "keystore {} holds no keys: create one with `new`/`import`, or pass --dev-account N",
                    keydir.path().display()
                ),
                _ => bail!(
                    "keystore {} holds {} keys: choose one with --from ADDR",
                    keydir.path().display(),
                    addresses.len()
                ),
            }
        }
    };
    unlock(keydir, address, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_keys_parse_with_or_without_prefix_and_bad_ones_are_described_not_echoed() {
        let hex = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        assert_eq!(parse_private_key(hex).unwrap().address(), dev::dev_key(0).address());
        assert_eq!(
            parse_private_key(&format!("0x{hex}\n")).unwrap().address(),
            dev::dev_key(0).address()
        );
        let err = parse_private_key("0xdeadbeef").unwrap_err().to_string();
        assert!(err.contains("found 8 characters") && !err.contains("deadbeef"), "{err}");
        let zero = "0".repeat(64);
        assert!(parse_private_key(&zero).is_err());
    }

    #[test]
    fn password_file_gives_its_first_line_without_the_newline() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), "s3cret pass\r\nsecond line\n").unwrap();
        assert_eq!(first_line(tmp.path()).unwrap(), "s3cret pass");
    }
}
