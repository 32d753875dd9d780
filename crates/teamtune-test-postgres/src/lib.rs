//! A PostgreSQL server for teamtune's tests and benchmarks, and a fresh database on it per
//! test.
//!
//! [`server`] finds one, once per process:
//!
//! - `TEAMTUNE_TEST_POSTGRES=postgres://USER@HOST:PORT/DB` names a running server (CI starts
//!   one); the user must be allowed to create databases.
//! - Otherwise, when PostgreSQL's binaries are installed (`initdb` on the PATH or under
//!   `/usr/lib/postgresql/*/bin`), a throwaway cluster is made in a temporary directory and
//!   started on a free local port (as root, as the `postgres` user, since `initdb` refuses
//!   root). A watchdog shell holds the server's pid and reads a pipe from this process: when
//!   the process ends, however it ends, the pipe closes and the watchdog stops the server
//!   and deletes the directory.
//! - Otherwise there is none: [`server`] prints a line saying the test is skipped, unless
//!   `TEAMTUNE_REQUIRE_POSTGRES=1`, when a missing server fails the test.

#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The server's URL, when the environment names one.
pub const SERVER_ENV: &str = "TEAMTUNE_TEST_POSTGRES";
/// `1` makes a missing server a failure instead of a skip.
pub const REQUIRE_ENV: &str = "TEAMTUNE_REQUIRE_POSTGRES";

/// A PostgreSQL server tests may create databases on.
#[derive(Debug)]
pub struct Server {
    /// A URL of a database the user may connect to (to create others from).
    admin_url: String,
    psql: PathBuf,
    /// Where the server's binaries are (for benchmarks that want a server of their own).
    bindir: Option<PathBuf>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
/// The watchdog's stdin: open until this process ends.
static WATCHDOG: Mutex<Option<ChildStdin>> = Mutex::new(None);
static DATABASES: AtomicU64 = AtomicU64::new(0);

/// The server for the test `test`, or `None` after printing why the test is skipped. Panics
/// (failing the test) when there is none and `TEAMTUNE_REQUIRE_POSTGRES=1`, or when a
/// server was found but could not be started.
pub fn server(test: &str) -> Option<&'static Server> {
    let found = SERVER.get_or_init(find);
    match found {
        Ok(server) => Some(server),
        Err(why) => {
            if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
                panic!("{test}: PostgreSQL is required ({REQUIRE_ENV}=1) but {why}");
            }
            eprintln!("skipped {test} on PostgreSQL: {why}");
            None
        }
    }
}

impl Server {
    /// The URL of a new, empty database of its own.
    pub fn fresh_database(&self) -> String {
        let n = DATABASES.fetch_add(1, Ordering::Relaxed);
        let name = format!("teamtune_{}_{n}", std::process::id());
        self.psql(&self.admin_url, &format!("CREATE DATABASE {name}"));
        self.url_of(&name)
    }

    /// The URL of database `name` on this server.
    pub fn url_of(&self, name: &str) -> String {
        let (base, query) = match self.admin_url.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (self.admin_url.as_str(), None),
        };
        let after_scheme = base.find("://").map_or(0, |i| i + 3);
        let host_end = base[after_scheme..]
            .find('/')
            .map_or(base.len(), |i| after_scheme + i);
        let mut url = format!("{}/{name}", &base[..host_end]);
        if let Some(q) = query {
            url.push('?');
            url.push_str(q);
        }
        url
    }

    /// Runs `sql` with psql on the database of `url` and returns its unaligned output
    /// (`|` between columns, a line per row). Panics when psql fails.
    pub fn psql(&self, url: &str, sql: &str) -> String {
        let out = Command::new(&self.psql)
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                url,
                "-c",
                sql,
            ])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.psql.display()));
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// The directory of the server's binaries, when this process started the server.
    pub fn bindir(&self) -> Option<&Path> {
        self.bindir.as_deref()
    }
}

fn find() -> Result<Server, String> {
    let psql = find_program("psql");
    if let Ok(url) = std::env::var(SERVER_ENV)
        && !url.is_empty()
    {
        let psql = psql.ok_or("psql is not installed")?;
        return Ok(Server {
            admin_url: url,
            psql,
            bindir: None,
        });
    }
    let Some(initdb) = find_program("initdb") else {
        return Err(format!(
            "no server ({SERVER_ENV} is not set) and PostgreSQL is not installed (no initdb)"
        ));
    };
    let bindir = initdb.parent().map(Path::to_path_buf).unwrap_or_default();
    let psql = psql
        .or_else(|| Some(bindir.join("psql")).filter(|p| p.exists()))
        .ok_or("psql is not installed")?;
    match start_cluster(&bindir) {
        Ok(admin_url) => Ok(Server {
            admin_url,
            psql,
            bindir: Some(bindir),
        }),
        // Installed but not startable: a broken machine, not a reason to skip.
        Err(why) => panic!("cannot start a throwaway PostgreSQL cluster: {why}"),
    }
}

/// `name` on the PATH, else in the newest `/usr/lib/postgresql/*/bin` (Debian keeps the
/// server's programs there, off the PATH).
fn find_program(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name)))
            .filter(|p| p.is_file())
            .collect();
        dirs.sort();
        dirs.pop()
    })
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The user the cluster runs as, when this process is root.
fn cluster_user() -> Option<&'static str> {
    if !is_root() {
        return None;
    }
    let exists = |user: &str| {
        Command::new("id")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    Some(if exists("postgres") {
        "postgres"
    } else {
        "nobody"
    })
}

fn as_user(user: Option<&str>, program: &Path) -> Command {
    match user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", u, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// Makes and starts a cluster; returns the URL of its `postgres` database.
fn start_cluster(bindir: &Path) -> Result<String, String> {
    let dir = tempfile::Builder::new()
        .prefix("teamtune-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let user = cluster_user();
    if let Some(u) = user {
        let chown = Command::new("chown")
            .args(["-R", u])
            .arg(&dir)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if !chown.success() {
            return Err(format!("chown {u} {} failed", dir.display()));
        }
    }
    let data = dir.join("data");
    let init = as_user(user, &bindir.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !init.status.success() {
        return Err(format!(
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr).trim()
        ));
    }
    let port = free_port()?;
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', r"'\''"));
    // The server is this shell's child; the shell waits on its stdin, which only this
    // process holds: at its exit the read returns, and the shell stops the server (fast
    // shutdown) and deletes the cluster.
    let script = format!(
        "{postgres} -D {data} -p {port} -k {dir} -c listen_addresses=127.0.0.1 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
         -c max_connections=300 >{log} 2>&1 & pid=$!; read -r _; kill -INT $pid; \
         wait $pid; rm -rf {dir}",
        postgres = quote(&bindir.join("postgres")),
        data = quote(&data),
        dir = quote(&dir),
        log = quote(&dir.join("server.log")),
    );
    let mut watchdog = as_user(user, Path::new("/bin/sh"))
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting postgres: {e}"))?;
    *WATCHDOG.lock().unwrap_or_else(|p| p.into_inner()) = watchdog.stdin.take();
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = find_program("pg_isready").unwrap_or_else(|| bindir.join("pg_isready"));
    loop {
        let up = Command::new(&ready)
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if up {
            return Ok(url);
        }
        if let Ok(Some(status)) = watchdog.try_wait() {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            return Err(format!("postgres exited ({status}): {}", log.trim()));
        }
        if Instant::now() > deadline {
            return Err(format!("postgres did not start within 60 s on port {port}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
