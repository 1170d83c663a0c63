//! Where tools keep their data on each operating system, computed for any
//! OS so that tests can check the macOS and Windows paths here too.

use std::path::PathBuf;

use crate::Env;

/// An operating system's conventions for per-user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// XDG: `~/.config`, `~/.local/share`.
    Linux,
    /// `~/Library/Application Support`.
    MacOs,
    /// `%APPDATA%`, `%LOCALAPPDATA%`.
    Windows,
}

impl Os {
    /// The OS this build runs on.
    pub fn current() -> Os {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        }
    }
}

/// The VS Code family of editors whose extensions keep their data in
/// `<user data>/User/globalStorage/<extension>/`.
pub const VSCODE_FLAVOURS: &[&str] = &[
    "Code",
    "Code - Insiders",
    "Cursor",
    "Windsurf",
    "VSCodium",
    "Positron",
    "Antigravity",
];

/// Each editor's user data directory (the one holding `User/`), plus the
/// VS Code remote servers' on Linux.
pub fn vscode_user_data_dirs(env: &Env, os: Os) -> Vec<PathBuf> {
    let Some(base) = config_dir(env, os) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = VSCODE_FLAVOURS.iter().map(|f| base.join(f)).collect();
    if os == Os::Linux
        && let Some(home) = env.home()
    {
        dirs.push(home.join(".vscode-server").join("data"));
        dirs.push(home.join(".vscode-server-insiders").join("data"));
    }
    dirs
}

/// The per-user configuration directory: `$XDG_CONFIG_HOME` or
/// `~/.config`, `~/Library/Application Support`, or `%APPDATA%`.
pub fn config_dir(env: &Env, os: Os) -> Option<PathBuf> {
    match os {
        Os::Linux => env.xdg_config_home(),
        Os::MacOs => env
            .home()
            .map(|h| h.join("Library").join("Application Support")),
        Os::Windows => env
            .var("APPDATA")
            .or_else(|| env.home().map(|h| h.join("AppData").join("Roaming"))),
    }
}

/// `$XDG_DATA_HOME` or `~/.local/share` (tools built on XDG use it on
/// every OS).
pub fn xdg_data_home(env: &Env) -> Option<PathBuf> {
    env.var("XDG_DATA_HOME")
        .or_else(|| env.home().map(|h| h.join(".local").join("share")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vscode_dirs_per_os() {
        let env = Env::from_pairs([
            ("HOME", "/home/a"),
            ("APPDATA", "C:/Users/a/AppData/Roaming"),
        ]);
        let linux = vscode_user_data_dirs(&env, Os::Linux);
        assert_eq!(linux[0], PathBuf::from("/home/a/.config/Code"));
        assert!(linux.contains(&PathBuf::from("/home/a/.vscode-server/data")));
        let mac = vscode_user_data_dirs(&env, Os::MacOs);
        assert_eq!(
            mac[1],
            PathBuf::from("/home/a/Library/Application Support/Code - Insiders")
        );
        let windows = vscode_user_data_dirs(&env, Os::Windows);
        assert_eq!(
            windows[2],
            PathBuf::from("C:/Users/a/AppData/Roaming/Cursor")
        );
        assert_eq!(windows.len(), VSCODE_FLAVOURS.len());
    }

    #[test]
    fn xdg_overrides_are_honoured() {
        let env = Env::from_pairs([
            ("HOME", "/h"),
            ("XDG_CONFIG_HOME", "/c"),
            ("XDG_DATA_HOME", "/d"),
        ]);
        assert_eq!(config_dir(&env, Os::Linux), Some(PathBuf::from("/c")));
        assert_eq!(xdg_data_home(&env), Some(PathBuf::from("/d")));
    }
}
