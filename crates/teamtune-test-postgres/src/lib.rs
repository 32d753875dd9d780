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
/// With [`SERVER_ENV`]: the PEM certificate its TLS is signed with, when it has TLS.
pub const ROOT_CERT_ENV: &str = "TEAMTUNE_TEST_POSTGRES_ROOTCERT";

/// A PostgreSQL server tests may create databases on.
#[derive(Debug)]
pub struct Server {
    /// A URL of a database the user may connect to (to create others from).
    admin_url: String,
    psql: PathBuf,
    /// The certificate the server's TLS is signed with (a self-signed one for 127.0.0.1 and
    /// localhost), when it has TLS.
    root_cert: Option<PathBuf>,
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

    /// The PEM certificate to trust for TLS connections, when the server has TLS (a cluster
    /// this process started does when `openssl` is installed).
    pub fn root_cert(&self) -> Option<&Path> {
        self.root_cert.as_deref()
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
            root_cert: std::env::var_os(ROOT_CERT_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
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
        Ok((admin_url, root_cert)) => Ok(Server {
            admin_url,
            psql,
            root_cert,
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

/// A certificate authority and, signed by it, a server certificate and key for 127.0.0.1
/// and localhost, in `dir`, made with `openssl`: `(authority, certificate, key)`. `None`
/// when `openssl` is not installed.
fn make_certificates(dir: &Path, user: Option<&str>) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let openssl = find_program("openssl")?;
    let at = |name: &str| dir.join(name);
    let (ca, ca_key) = (at("ca.crt"), at("ca.key"));
    let (cert, key, request) = (at("server.crt"), at("server.key"), at("server.csr"));
    let names = at("server.ext");
    std::fs::write(&names, "subjectAltName=DNS:localhost,IP:127.0.0.1\n").ok()?;
    let steps: [Vec<&std::ffi::OsStr>; 3] = [
        vec![
            "req".as_ref(),
            "-x509".as_ref(),
            "-newkey".as_ref(),
            "rsa:2048".as_ref(),
            "-nodes".as_ref(),
            "-days".as_ref(),
            "2".as_ref(),
            "-subj".as_ref(),
            "/CN=teamtune test authority".as_ref(),
            "-keyout".as_ref(),
            ca_key.as_os_str(),
            "-out".as_ref(),
            ca.as_os_str(),
        ],
        vec![
            "req".as_ref(),
            "-newkey".as_ref(),
            "rsa:2048".as_ref(),
            "-nodes".as_ref(),
            "-subj".as_ref(),
            "/CN=localhost".as_ref(),
            "-keyout".as_ref(),
            key.as_os_str(),
            "-out".as_ref(),
            request.as_os_str(),
        ],
        vec![
            "x509".as_ref(),
            "-req".as_ref(),
            "-in".as_ref(),
            request.as_os_str(),
            "-CA".as_ref(),
            ca.as_os_str(),
            "-CAkey".as_ref(),
            ca_key.as_os_str(),
            "-set_serial".as_ref(),
            "1".as_ref(),
            "-days".as_ref(),
            "2".as_ref(),
            "-extfile".as_ref(),
            names.as_os_str(),
            "-out".as_ref(),
            cert.as_os_str(),
        ],
    ];
    for args in steps {
        let made = Command::new(&openssl)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            return None;
        }
    }
    // The server refuses a key others may read.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).ok()?;
    if let Some(u) = user {
        let owned = Command::new("chown")
            .arg(u)
            .arg(&key)
            .arg(&cert)
            .status()
            .is_ok_and(|s| s.success());
        if !owned {
            return None;
        }
    }
    Some((ca, cert, key))
}

/// Makes and starts a cluster; returns the URL of its `postgres` database and, when it has
/// TLS, the certificate to trust.
fn start_cluster(bindir: &Path) -> Result<(String, Option<PathBuf>), String> {
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
    let tls = make_certificates(&dir, user);
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', r"'\''"));
    // The server is this shell's child; the shell waits on its stdin, which only this
    // process holds: at its exit the read returns, and the shell stops the server (fast
    // shutdown) and deletes the cluster.
    let ssl = match &tls {
        Some((_, cert, key)) => format!(
            "-c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            quote(cert),
            quote(key)
        ),
        None => String::new(),
    };
    let script = format!(
        "{postgres} -D {data} -p {port} -k {dir} -c listen_addresses=127.0.0.1 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
         -c max_connections=300 {ssl} >{log} 2>&1 & pid=$!; read -r _; kill -INT $pid; \
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
            return Ok((url, tls.map(|(authority, _, _)| authority)));
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
