//! TLS to MariaDB as the URL asks (libmysql's `ssl-mode` and `ssl-ca`).
//! The machine's MariaDB has no certificate, so this file starts a MariaDB
//! of its own on a free port, with a self-signed certificate made for
//! 127.0.0.1 and `require_secure_transport`: a connection without TLS is
//! refused, and the user rectus connects as is `REQUIRE SSL` over TCP, so a
//! request that is answered went over TLS.

mod common;
use common::mariadb::bootstrap;
use common::serve_file;
use rectus::db::mysql::MariaDbDriver;
use rectus::db::{Driver, PoolOptions, Statement};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A MariaDB server of this test, stopped and removed when dropped.
struct TlsMariaDb {
    dir: PathBuf,
    port: u16,
    server: Child,
}

impl Drop for TlsMariaDb {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TlsMariaDb {
    /// `mysql://` for the TLS-only user, with `query` appended.
    fn url(&self, query: &str) -> String {
        format!("mysql://rectus:tls-pass@127.0.0.1:{}/test{query}", self.port)
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA (`NAME-ca.pem`) and the certificate it signed for 127.0.0.1 and
/// localhost (`NAME.pem`, key `NAME-key.pem`), in `dir`.
fn certificates(dir: &Path, name: &str) {
    let path = |file: String| dir.join(file).display().to_string();
    let (ca_key, ca) = (path(format!("{name}-ca-key.pem")), path(format!("{name}-ca.pem")));
    let (key, request, cert) =
        (path(format!("{name}-key.pem")), path(format!("{name}.csr")), path(format!("{name}.pem")));
    let subject = format!("/CN=rectus test CA {name}");
    run(
        "openssl",
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &subject, "-keyout", &ca_key,
            "-out", &ca,
        ],
    );
    run(
        "openssl",
        &["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", &key, "-out", &request],
    );
    let extensions = path(format!("{name}.ext"));
    std::fs::write(&extensions, "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    run(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &request,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &extensions,
            "-out",
            &cert,
        ],
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn start() -> TlsMariaDb {
    let dir = std::env::temp_dir().join(format!("rectus-mariadb-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    certificates(&dir, "server");
    certificates(&dir, "other");
    let data = dir.join("data");
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let user = format!("--user={}", user.trim());
    let datadir = format!("--datadir={}", data.display());
    run(
        "mariadb-install-db",
        &["--no-defaults", &user, &datadir, "--auth-root-authentication-method=normal", "--skip-test-db"],
    );
    let port = free_port();
    let socket = dir.join("mariadb.sock").display().to_string();
    let server = Command::new("mariadbd")
        .args([
            "--no-defaults",
            &user,
            &datadir,
            &format!("--port={port}"),
            "--bind-address=127.0.0.1",
            &format!("--socket={socket}"),
            &format!("--pid-file={}", dir.join("mariadb.pid").display()),
            &format!("--ssl-cert={}", dir.join("server.pem").display()),
            &format!("--ssl-key={}", dir.join("server-key.pem").display()),
            "--require-secure-transport=ON",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=32M",
        ])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("server.log")).unwrap())
        .spawn()
        .expect("mariadbd");
    let db = TlsMariaDb { dir, port, server };
    // The socket counts as secure: the setup goes through it.
    let started = Instant::now();
    let setup = "CREATE DATABASE test CHARACTER SET utf8mb4; \
        CREATE USER 'rectus'@'127.0.0.1' IDENTIFIED BY 'tls-pass' REQUIRE SSL; \
        GRANT ALL ON test.* TO 'rectus'@'127.0.0.1'";
    loop {
        let out = Command::new("mariadb").args(["--no-defaults", "-u", "root", "-S", &socket, "-e", setup]).output();
        if out.as_ref().is_ok_and(|o| o.status.success()) {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            panic!("the TLS MariaDB did not start: {}", std::fs::read_to_string(db.dir.join("server.log")).unwrap());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    db
}

/// What the server at `url` answers `SELECT 1`, or its error.
fn try_connect(url: &str) -> Result<(), String> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let options = PoolOptions { max_connections: 1, connect_timeout: Duration::from_secs(5), ..Default::default() };
        let driver = MariaDbDriver::open(url, &options).map_err(|e| e.to_string())?;
        driver.query(&Statement::new("SELECT 1")).await.map(|_| ()).map_err(|e| e.to_string())
    })
}

#[test]
fn tls_as_the_url_asks() {
    let db = start();
    let required = db.url("?ssl-mode=REQUIRED");
    bootstrap(&required);
    common::mariadb::sql_column(&required, "CREATE TABLE notes (id int AUTO_INCREMENT PRIMARY KEY, body text)");
    common::mariadb::sql_column(&required, "INSERT INTO notes (body) VALUES ('over TLS')");

    // ssl-mode=REQUIRED: encrypted, the certificate taken as it is.
    let s = serve_file(&required, &[]);
    let r = s.get("/items/notes");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.data()[0]["body"], "over TLS");
    assert_eq!(s.get("/server/health").status, 200);

    // VERIFY_IDENTITY against the CA of ssl-ca, for the host 127.0.0.1
    // the certificate names.
    let ca = db.file("server-ca.pem");
    let verified = db.url(&format!("?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"));
    let s = serve_file(&verified, &[]);
    let r = s.get("/items/notes?fields=body");
    assert_eq!((r.status, r.data()[0]["body"].clone()), (200, "over TLS".into()), "{}", r.text);
    // ssl-ca alone verifies too.
    try_connect(&db.url(&format!("?ssl-ca={ca}"))).expect("ssl-ca alone verifies against it");

    // Without TLS, the server refuses; a certificate no CA given signed
    // is refused by rectus.
    let plain = try_connect(&db.url("")).expect_err("a plain connection to a TLS-only server");
    assert!(plain.contains("insecure transport") || plain.contains("Access denied"), "{plain}");
    let other = db.file("other-ca.pem");
    let untrusted = db.url(&format!("?ssl-mode=VERIFY_CA&ssl-ca={other}"));
    let refused = try_connect(&untrusted).expect_err("a certificate of another CA");
    assert!(refused.contains("certificate"), "{refused}");
    // Served so, every request says the database cannot be reached (not
    // that it lacks its system tables), and so does the health check.
    let s = serve_file(&untrusted, &[]);
    let r = s.get("/items/notes");
    assert_eq!((r.status, r.code().as_str()), (503, "SERVICE_UNAVAILABLE"), "{}", r.text);
    assert!(r.text.contains("Cannot connect"), "{}", r.text);
    assert_eq!(s.get("/server/health").status, 503);
}
