//! A keystore directory: one v3 keystore file per key, named as geth names them
//! (`UTC--<RFC 3339 time with ':' → '-'>--<address, lowercase hex>`), so geth's `--keystore`
//! and Quarry can share a directory.

use std::path::{Path, PathBuf};

use alloy_primitives::Address;

use crate::keystore::{Keystore, KeystoreError};

/// Why the keystore directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyDirError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file exists but is not a usable keystore.
    #[error("{path}: {source}")]
    Keystore {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: KeystoreError,
    },
    /// No keystore in the directory holds this address.
    #[error("no key for {address} in keystore {dir}")]
    NotFound {
        /// The address asked for.
        address: Address,
        /// The directory searched.
        dir: PathBuf,
    },
    /// The keystore names no address, so it cannot be filed under one.
    #[error("cannot save a keystore that names no address")]
    NoAddress,
    /// The directory already holds a key for this address.
    #[error("keystore {dir} already holds a key for {address} ({path})")]
    Exists {
        /// The address.
        address: Address,
        /// The directory.
        dir: PathBuf,
        /// The existing file.
        path: PathBuf,
    },
}

/// One key file found in a directory.
#[derive(Clone, Debug)]
pub struct KeyFile {
    /// The file's path.
    pub path: PathBuf,
    /// The parsed keystore (its `address` may be `None` for files that omit it).
    pub keystore: Keystore,
}

/// A directory of v3 keystore files.
#[derive(Clone, Debug)]
pub struct KeyDir {
    dir: PathBuf,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KeyDirError + '_ {
    move |source| KeyDirError::Io { path: path.to_path_buf(), source }
}

impl KeyDir {
    /// The directory at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The default directory: `<user data dir>/quarry/keystore` (e.g.
    /// `~/.local/share/quarry/keystore` on Linux), or `./quarry-keystore` if the platform has none.
    pub fn default_dir() -> PathBuf {
        dirs::data_dir()
            .map(|d| d.join("quarry").join("keystore"))
            .unwrap_or_else(|| PathBuf::from("quarry-keystore"))
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Every file in the directory that parses as a v3 keystore, sorted by file name (geth's
    /// names sort by creation time), and the files that did not parse, with their error.
    /// A missing directory holds no keys. Hidden files and subdirectories are skipped.
    ///
    /// # Errors
    /// [`KeyDirError::Io`] if the directory exists but cannot be read.
    pub fn scan(&self) -> Result<(Vec<KeyFile>, Vec<KeyDirError>), KeyDirError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], vec![])),
            Err(e) => return Err(KeyDirError::Io { path: self.dir.clone(), source: e }),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error(&self.dir))?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') || !entry.path().is_file() {
                continue;
            }
            paths.push(entry.path());
        }
        paths.sort();
        let mut keys = Vec::new();
        let mut bad = Vec::new();
        for path in paths {
            match load(&path) {
                Ok(key_file) => keys.push(key_file),
                Err(e) => bad.push(e),
            }
        }
        Ok((keys, bad))
    }

    /// The key file holding `address`.
    ///
    /// # Errors
    /// [`KeyDirError::NotFound`], or an I/O error reading the directory.
    pub fn find(&self, address: Address) -> Result<KeyFile, KeyDirError> {
        let (keys, _) = self.scan()?;
        keys.into_iter()
            .find(|k| k.keystore.address == Some(address))
            .ok_or(KeyDirError::NotFound { address, dir: self.dir.clone() })
    }

    /// Writes `keystore` as a new file named the geth way; creates the directory (mode 0700 on
    /// Unix) and the file (mode 0600) if needed. Refuses a second file for the same address.
    ///
    /// # Errors
    /// [`KeyDirError::Exists`], [`KeyDirError::NoAddress`] or [`KeyDirError::Io`].
    pub fn save(&self, keystore: &Keystore) -> Result<PathBuf, KeyDirError> {
        let address = keystore.address.ok_or(KeyDirError::NoAddress)?;
        if let Ok(existing) = self.find(address) {
            return Err(KeyDirError::Exists {
                address,
                dir: self.dir.clone(),
                path: existing.path,
            });
        }
        create_private_dir(&self.dir)?;
        let stamp = humantime::format_rfc3339_nanos(std::time::SystemTime::now())
            .to_string()
            .replace(':', "-");
        let path = self.dir.join(format!("UTC--{stamp}--{}", hex::encode(address)));
        let text = serde_json::to_string(&keystore.to_json()).expect("JSON values serialize");
        write_private_file(&path, text.as_bytes())?;
        Ok(path)
    }
}

/// Reads and parses one keystore file.
///
/// # Errors
/// [`KeyDirError::Io`] or [`KeyDirError::Keystore`] naming the file.
pub fn load(path: &Path) -> Result<KeyFile, KeyDirError> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    let keystore = Keystore::parse(&text)
        .map_err(|source| KeyDirError::Keystore { path: path.to_path_buf(), source })?;
    Ok(KeyFile { path: path.to_path_buf(), keystore })
}

fn create_private_dir(dir: &Path) -> Result<(), KeyDirError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_error(dir))
}

fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), KeyDirError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io_error(path))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::KdfChoice;
    use alloy_primitives::B256;
    use quarry_primitives::crypto::SecretKey;

    #[test]
    fn saved_keys_are_listed_found_and_not_duplicated() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = KeyDir::new(tmp.path().join("keys"));
        assert!(dir.scan().unwrap().0.is_empty(), "a missing directory holds no keys");

        let key = SecretKey::from_bytes(&B256::repeat_byte(9)).unwrap();
        let store = Keystore::encrypt(&key, b"pw", KdfChoice::Pbkdf2 { c: 16 }).unwrap();
        let path = dir.save(&store).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(name.starts_with("UTC--") && name.ends_with(&hex::encode(key.address())), "{name}");
        std::fs::write(dir.path().join("notes.txt"), "not a keystore").unwrap();

        let (keys, bad) = dir.scan().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(bad.len(), 1, "the stray file is reported, not fatal");
        assert_eq!(dir.find(key.address()).unwrap().path, path);
        assert!(matches!(dir.save(&store), Err(KeyDirError::Exists { .. })));
        let anonymous = Keystore { address: None, ..store.clone() };
        assert!(matches!(dir.save(&anonymous), Err(KeyDirError::NoAddress)));
        assert!(matches!(dir.find(Address::ZERO), Err(KeyDirError::NotFound { .. })));

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
