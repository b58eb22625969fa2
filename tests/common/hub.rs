//! A throw-away PostgreSQL 15 for the sync tests: initdb into a temporary directory (as the
//! `postgres` user when the tests run as root, as CI does), a certificate made by openssl so
//! clients verify TLS (`sslmode=verify-full`), 127.0.0.1 only on a free port; stopped and
//! removed when dropped, also when a test fails.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's PostgreSQL 15 server binaries.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The owner's password (the hub's database owner runs `playbook hub init` / `enrol`).
pub const OWNER_PASSWORD: &str = "owner-secret-for-tests";

pub struct PgServer {
    pub dir: tempfile::TempDir,
    pub port: u16,
}

fn as_postgres(program: &str) -> Command {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) -> String {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl PgServer {
    pub fn start() -> PgServer {
        PgServer::start_with("")
    }

    /// A server with these lines added to its postgresql.conf.
    pub fn start_with(extra_conf: &str) -> PgServer {
        let dir = tempfile::Builder::new().prefix("pbhub-").tempdir().unwrap();
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            run(
                {
                    let mut c = Command::new("chown");
                    c.arg("postgres:postgres").arg(dir.path());
                    c
                },
                "chown",
            );
        }
        let data = dir.path().join("pgdata");
        run(
            {
                let mut c = as_postgres(&format!("{PG_BIN}/initdb"));
                c.arg("-D").arg(&data).args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]);
                c
            },
            "initdb",
        );
        // A test CA and a server certificate it signs for localhost and 127.0.0.1; clients
        // trust the CA (webpki refuses a CA certificate used as the server's own).
        let d = dir.path();
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let openssl = |args: &[&str]| {
            let mut c = Command::new("openssl");
            c.current_dir(d).args(args);
            run(c, &format!("openssl {}", args.join(" ")));
        };
        openssl(&[
            "req",
            "-x509",
            "-new",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Playbook test hub CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ]);
        openssl(&[
            "req",
            "-new",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ]);
        std::fs::rename(d.join("server.key"), data.join("server.key")).unwrap();
        std::fs::rename(d.join("server.crt"), data.join("server.crt")).unwrap();
        if root {
            run(
                {
                    let mut c = Command::new("chown");
                    c.arg("postgres:postgres")
                        .arg(data.join("server.key"))
                        .arg(data.join("server.crt"));
                    c
                },
                "chown",
            );
        }
        std::fs::set_permissions(
            data.join("server.key"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        let port = free_port();
        let conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nssl = on\nunix_socket_directories = '{}'\nfsync = off\nmax_connections = 60\n{extra_conf}\n",
            dir.path().display()
        );
        append(&data.join("postgresql.conf"), &conf);
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all postgres trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
        )
        .unwrap();
        let server = PgServer { dir, port };
        server.pg_ctl_start();
        server.psql(
            "postgres",
            &format!("ALTER ROLE postgres PASSWORD '{OWNER_PASSWORD}'"),
        );
        server
    }

    fn pg_ctl_start(&self) {
        let data = self.dir.path().join("pgdata");
        let log = self.dir.path().join("pg.log");
        run(
            {
                let mut c = as_postgres(&format!("{PG_BIN}/pg_ctl"));
                c.arg("-D")
                    .arg(&data)
                    .arg("-l")
                    .arg(&log)
                    .args(["-w", "-t", "60", "start"]);
                c
            },
            "pg_ctl start",
        );
    }

    /// `pg_ctl stop -m immediate`: the server dies as in a crash.
    pub fn crash(&self) {
        let data = self.dir.path().join("pgdata");
        let mut c = as_postgres(&format!("{PG_BIN}/pg_ctl"));
        c.arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = c.output();
    }

    pub fn restart(&self) {
        self.pg_ctl_start();
    }

    /// Runs SQL as the superuser over the Unix socket; returns the unaligned output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let mut c = as_postgres("/usr/bin/psql");
        c.arg("-h")
            .arg(self.dir.path())
            .arg("-p")
            .arg(self.port.to_string())
            .args([
                "-U",
                "postgres",
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atq",
                "-c",
                sql,
            ]);
        run(c, &format!("psql {sql}")).trim().to_string()
    }

    pub fn create_database(&self, name: &str) {
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// The owner's address for a company's database, with certificate verification.
    pub fn owner_url(&self, db: &str) -> String {
        format!(
            "postgres://postgres:{OWNER_PASSWORD}@localhost:{}/{db}?sslmode=verify-full&sslrootcert={}",
            self.port,
            self.ca().display()
        )
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.crash();
    }
}
