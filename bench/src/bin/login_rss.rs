//! Memory of the example's release binary under a login flood and under list load.
//!
//! Builds `portcullis-example` in release mode (or takes `--binary`), gives it a fresh SQLite
//! file with the bench's realistic data (10,000 documents) plus one member account per flood
//! client (`flood-0000@acme.test`…, the demo password), starts it on a free loopback port and,
//! per kind of load, on a fresh process:
//!
//! - `login`: N concurrent `POST /auth/login` with the correct password, each from its own
//!   loopback source address (127.1.x.y, bound before connecting) and for its own account, so
//!   neither the route limit (`5/min per ip`) nor the login guard (per IP and per account)
//!   refuses them: every one runs argon2;
//! - `aborted`: the same requests, the connection closed `--abort-ms` (30) after the body was
//!   sent, before the answer;
//! - `list`: N keep-alive connections, each as its own user, sending `GET /docs?limit=50`
//!   `--list-requests` (40) times back to back (below the route's 120/min per user).
//!
//! `--pad-kib K` adds a field of K KiB, which the login ignores, to every login body (a flood
//! of large bodies: `JsonBody` reads up to axum's default limit of 2 MiB).
//!
//! For each N (`--n 10,100,500`) it resets the process' peak RSS (`/proc/<pid>/clear_refs`),
//! runs the round, waits until the server has used no CPU for 0.5 s (aborted logins keep
//! hashing after their client left), and reads `VmHWM` (peak) and `VmRSS` (after) from
//! `/proc/<pid>/status`. The target, for every round: peak and after ≤ idle + max_concurrent ×
//! m_cost + 16 MiB, with idle the process' RSS before its first round and max_concurrent and
//! m_cost those of `PasswordHasher::owasp()` (`PasswordConfig::default()`), the example's hasher.
//! Exits with an error when a round exceeds it.
//!
//! ```text
//! cargo run --release -p portcullis-bench --bin login_rss -- [--n 10,100,500] [--kinds login,aborted,list]
//!     [--binary target/release/portcullis-example] [--abort-ms 30] [--list-requests 40] [--pad-kib 0]
//! ```
//!
//! Linux only (`/proc`). Only loopback addresses are ever connected to; the server dies with
//! this process (`PR_SET_PDEATHSIG`) and is killed on every exit path.

use portcullis::authn::jwt::JwtService;
use portcullis::authn::password::PasswordConfig;
use portcullis_bench::fixture::{self, ALICE, BoxError, DOCS_URI, Db, DbSpec};
use portcullis_example::{Config, DEMO_PASSWORD, KeySource, TokenClaims, store};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the server may take to answer `/health` after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Connect timeout of one client.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one client waits for its answer: a login queued behind 499 others waits for
/// 500 / max_concurrent argon2 runs.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(180);
/// The server counts as idle once its CPU time has not moved for this long.
const QUIET: Duration = Duration::from_millis(500);
/// Longest wait for the server to become idle after a round.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Slack of the target on top of the hashing memory.
const SLACK_KIB: u64 = 16 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match Options::parse(&args).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("login_rss: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Login,
    Aborted,
    List,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::Aborted => "aborted",
            Kind::List => "list",
        }
    }
}

struct Options {
    ns: Vec<usize>,
    kinds: Vec<Kind>,
    binary: Option<PathBuf>,
    abort_after: Duration,
    list_requests: usize,
    /// KiB of padding (an extra JSON field, which the login ignores) in each login body.
    pad_kib: usize,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, BoxError> {
        let usage = "usage: login_rss [--n 10,100,500] [--kinds login,aborted,list] \
                     [--binary PATH] [--abort-ms 1..10000] [--list-requests 1..100] [--pad-kib 0..2000]";
        let mut o = Options {
            ns: vec![10, 100, 500],
            kinds: vec![Kind::Login, Kind::Aborted, Kind::List],
            binary: None,
            abort_after: Duration::from_millis(30),
            list_requests: 40,
            pad_kib: 0,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let Some(value) = it.next() else {
                return Err(format!("{flag}: missing value; {usage}").into());
            };
            match flag.as_str() {
                "--n" => {
                    o.ns = value
                        .split(',')
                        .map(|n| match n.trim().parse::<usize>() {
                            Ok(n) if (1..=2000).contains(&n) => Ok(n),
                            _ => Err(format!("--n: {n:?} is not a number in 1..=2000")),
                        })
                        .collect::<Result<_, _>>()?;
                }
                "--kinds" => {
                    o.kinds = value
                        .split(',')
                        .map(|k| match k.trim() {
                            "login" => Ok(Kind::Login),
                            "aborted" => Ok(Kind::Aborted),
                            "list" => Ok(Kind::List),
                            other => Err(format!("--kinds: unknown kind {other:?}")),
                        })
                        .collect::<Result<_, _>>()?;
                }
                "--binary" => o.binary = Some(PathBuf::from(value)),
                // Below axum's default body limit (2 MiB), which `JsonBody` applies.
                "--pad-kib" => match value.parse::<usize>() {
                    Ok(k) if k <= 2000 => o.pad_kib = k,
                    _ => return Err(format!("--pad-kib: {value:?}; {usage}").into()),
                },
                "--abort-ms" => match value.parse::<u64>() {
                    Ok(ms) if (1..=10_000).contains(&ms) => {
                        o.abort_after = Duration::from_millis(ms)
                    }
                    _ => return Err(format!("--abort-ms: {value:?}; {usage}").into()),
                },
                // The route allows 120 a minute per user: stay below so none is refused.
                "--list-requests" => match value.parse::<usize>() {
                    Ok(n) if (1..=100).contains(&n) => o.list_requests = n,
                    _ => return Err(format!("--list-requests: {value:?}; {usage}").into()),
                },
                _ => return Err(format!("unknown flag {flag:?}; {usage}").into()),
            }
        }
        Ok(o)
    }

    /// Flood accounts needed: each round of a kind uses accounts (and users) of its own.
    fn accounts(&self) -> usize {
        self.ns.iter().sum()
    }
}

// ---- building and preparing ------------------------------------------------------------------

/// `cargo build --release -p portcullis-example`; the path of the binary it reports.
fn build_example() -> Result<PathBuf, BoxError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("bench crate without a parent directory")?;
    eprintln!("building the example (cargo build --release -p portcullis-example)…");
    let out = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "-p",
            "portcullis-example",
            "--bin",
            "portcullis-example",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err("cargo build --release -p portcullis-example failed".into());
    }
    let mut binary = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact"
            && msg["target"]["name"] == "portcullis-example"
            && let Some(exe) = msg["executable"].as_str()
        {
            binary = Some(PathBuf::from(exe));
        }
    }
    binary.ok_or_else(|| "cargo reported no portcullis-example executable".into())
}

/// A fresh Ed25519 key (PKCS#8 PEM) shared by the served process and this one, which signs
/// the list users' tokens with it (so the served process never hashes a password for them).
fn ed25519_pem() -> Result<String, BoxError> {
    use base64::Engine as _;
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut seed)?;
    der.extend_from_slice(&seed);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
    Ok(format!(
        "-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n"
    ))
}

/// A member of tenant acme created for the flood.
struct FloodUser {
    email: String,
    id: i64,
    tenant: i64,
}

/// Migrates and seeds the database as the example does, adds the bench's documents and
/// `accounts` members of acme with alice's password hash (the demo password: no hashing here
/// beyond the demo seed's one). Returns them and the signing service.
async fn prepare(
    db: &DbSpec,
    pem: &str,
    accounts: usize,
) -> Result<(Vec<FloodUser>, Arc<JwtService>), BoxError> {
    let ex = portcullis_example::example(Config {
        database_url: db.url.clone(),
        seed: true,
        keys: KeySource::Pem(pem.to_owned()),
        schema: None,
        redis_url: None,
        redis_prefix: String::new(),
        trusted_proxies: Vec::new(),
        oidc: portcullis_example::OidcSource::Disabled,
    })
    .await?;
    let pool = &ex.state.pool;
    fixture::add_documents(pool, db.per_tenant).await?;
    let alice = store::find_by_email(pool, ALICE)
        .await?
        .ok_or("alice is not seeded")?;
    let mut users = Vec::with_capacity(accounts);
    for i in 0..accounts {
        let email = format!("flood-{i:04}@acme.test");
        let id = store::insert_user(
            pool,
            alice.tenant_id,
            &email,
            &alice.password_hash,
            "member",
        )
        .await?
        .ok_or_else(|| format!("{email} exists already in a fresh database"))?;
        users.push(FloodUser {
            email,
            id,
            tenant: alice.tenant_id,
        });
    }
    Ok((users, ex.state.jwt.clone()))
}

// ---- the served process ----------------------------------------------------------------------

/// The example binary, serving on a loopback port; killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

/// What `/proc/<pid>/status` says, in KiB (threads: a count).
#[derive(Debug, Clone, Copy, Default)]
struct Status {
    rss: u64,
    hwm: u64,
    anon: u64,
    file: u64,
    threads: u64,
}

impl Server {
    fn start(binary: &Path, db: &DbSpec, pem: &str) -> Result<Self, BoxError> {
        // A port the OS just handed out; it is free again once this listener is dropped.
        let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let log = std::env::temp_dir().join(format!(
            "portcullis_bench_login_rss_{}_{port}.log",
            std::process::id()
        ));
        let out = std::fs::File::create(&log)?;
        let mut cmd = Command::new(binary);
        // The example's own settings only: none of the caller's PORTCULLIS_* (Redis, proxies,
        // issuer, pool) or DATABASE_* variables; MALLOC_* pass through for experiments.
        for (key, _) in std::env::vars_os() {
            let key_str = key.to_string_lossy();
            if key_str.starts_with("PORTCULLIS_") || key_str.starts_with("DATABASE_") {
                cmd.env_remove(&key);
            }
        }
        cmd.env("DATABASE_URL", &db.url)
            .env("PORT", port.to_string())
            .env("PORTCULLIS_AUTHN__PRIVATE_KEY", pem)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        // SAFETY: `prctl` is async-signal-safe and touches no memory of the parent; the
        // closure only calls it and reads errno.
        unsafe {
            cmd.pre_exec(|| {
                // The server dies with this process, even when it is killed.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        let mut server = Server {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            log,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Polls `GET /health` until it answers 200.
    fn wait_ready(&mut self) -> Result<(), BoxError> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("the example exited ({status}):\n{}", self.log_tail()).into());
            }
            if health(self.addr).is_ok_and(|s| s == 200) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "the example did not answer /health in {START_TIMEOUT:?}:\n{}",
            self.log_tail()
        )
        .into())
    }

    fn status(&self) -> Result<Status, BoxError> {
        read_status(self.pid())
    }

    /// Resets the peak (`VmHWM`) to the current RSS (`clear_refs` 5, Linux 4.0+).
    fn reset_peak(&self) -> Result<(), BoxError> {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5")
            .map_err(|e| format!("cannot reset the peak RSS (/proc/<pid>/clear_refs): {e}").into())
    }

    /// The process' user + system CPU time, in clock ticks.
    fn cpu_ticks(&self) -> Result<u64, BoxError> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // Fields after the command name (which may hold spaces): state is field 3, utime 14,
        // stime 15.
        let rest = stat.rsplit_once(')').ok_or("malformed /proc/<pid>/stat")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |n: usize| -> Result<u64, BoxError> {
            Ok(fields.get(n - 3).ok_or("short /proc/<pid>/stat")?.parse()?)
        };
        Ok(field(14)? + field(15)?)
    }

    /// Waits until the process has used no CPU for [`QUIET`].
    fn settle(&mut self) -> Result<(), BoxError> {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        let mut last = self.cpu_ticks()?;
        let mut quiet_since = Instant::now();
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("the example exited ({status}):\n{}", self.log_tail()).into());
            }
            std::thread::sleep(Duration::from_millis(100));
            let now = self.cpu_ticks()?;
            if now != last {
                last = now;
                quiet_since = Instant::now();
            } else if quiet_since.elapsed() >= QUIET {
                return Ok(());
            }
        }
        Err(format!("the example was still busy after {SETTLE_TIMEOUT:?}").into())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn read_status(pid: u32) -> Result<Status, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |key: &str| -> Result<u64, BoxError> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("no {key} in /proc/{pid}/status").into())
    };
    Ok(Status {
        rss: field("VmRSS:")?,
        hwm: field("VmHWM:")?,
        anon: field("RssAnon:")?,
        file: field("RssFile:")?,
        threads: field("Threads:")?,
    })
}

/// `GET /health` with a blocking socket: the status code.
fn health(addr: SocketAddr) -> Result<u16, BoxError> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    s.write_all(
        format!("GET /health HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes(),
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut res = httparse::Response::new(&mut headers);
    res.parse(&buf)?;
    res.code.ok_or_else(|| "no status line".into())
}

/// Samples the server's `/proc/<pid>/status` every 5 ms while a round runs: the largest
/// thread count (the peak RSS is `VmHWM`'s).
struct Sampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<u64>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut threads = 0;
            while !flag.load(Ordering::Relaxed) {
                if let Ok(s) = read_status(pid) {
                    threads = threads.max(s.threads);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            threads
        });
        Self { stop, handle }
    }

    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or(0)
    }
}

// ---- the clients -----------------------------------------------------------------------------

/// The `i`-th flood client's source address: 127.1.0.1, 127.1.0.2, … (never 127.0.0.1, so no
/// other local client shares a limiter key with it).
fn source_ip(i: usize) -> Result<Ipv4Addr, BoxError> {
    let per_third = 250;
    let per_second = per_third * 256;
    if i >= per_second * 250 {
        return Err("too many flood clients".into());
    }
    Ok(Ipv4Addr::new(
        127,
        1 + (i / per_second) as u8,
        ((i / per_third) % 256) as u8,
        (i % per_third + 1) as u8,
    ))
}

/// What happened to one request.
type Outcome = String;

fn login_request(server: SocketAddr, email: &str, pad_kib: usize) -> Vec<u8> {
    let mut body = serde_json::json!({ "email": email, "password": DEMO_PASSWORD });
    if pad_kib > 0 {
        body["pad"] = "x".repeat(pad_kib * 1024).into();
    }
    let body = body.to_string();
    format!(
        "POST /auth/login HTTP/1.1\r\nhost: {server}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn list_request(server: SocketAddr, token: &str) -> Vec<u8> {
    format!("GET {DOCS_URI} HTTP/1.1\r\nhost: {server}\r\nauthorization: Bearer {token}\r\n\r\n")
        .into_bytes()
}

/// Reads one response (its head, then `Content-Length` bytes of body) from `stream`; the
/// status code. `buf` keeps what was read past it (nothing: requests are not pipelined).
async fn read_response(
    stream: &mut tokio::net::TcpStream,
    buf: &mut Vec<u8>,
) -> Result<u16, BoxError> {
    buf.clear();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut res = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = res.parse(buf)? {
            let len: usize = res
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                .ok_or("response without Content-Length")?;
            let status = res.code.unwrap_or(0);
            while buf.len() < head + len {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err("connection closed mid-body".into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(status);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed before an answer".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// One client: connects from `src`, waits at `barrier` for the others, then sends its
/// request(s). Every outcome is counted, failures included.
async fn client(
    kind: Kind,
    src: Ipv4Addr,
    server: SocketAddr,
    request: Vec<u8>,
    repeat: usize,
    abort_after: Duration,
    barrier: Arc<tokio::sync::Barrier>,
) -> Vec<Outcome> {
    let connected = async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from((src, 0)))?;
        tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(server))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
    }
    .await;
    // Everyone waits, also a client whose connect failed, so no one waits forever.
    barrier.wait().await;
    let mut stream = match connected {
        Ok(s) => s,
        Err(e) => return vec![format!("connect: {}", e.kind())],
    };
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(32 * 1024);
    let mut outcomes = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        if let Err(e) = stream.write_all(&request).await {
            outcomes.push(format!("write: {}", e.kind()));
            return outcomes;
        }
        if kind == Kind::Aborted {
            tokio::time::sleep(abort_after).await;
            // Whatever the server had answered by now is discarded with the socket.
            let answered = matches!(stream.try_read(&mut [0u8; 1]), Ok(n) if n > 0);
            outcomes.push(
                if answered {
                    "answered before abort"
                } else {
                    "aborted"
                }
                .to_owned(),
            );
            return outcomes;
        }
        match tokio::time::timeout(ANSWER_TIMEOUT, read_response(&mut stream, &mut buf)).await {
            Ok(Ok(status)) => outcomes.push(status.to_string()),
            Ok(Err(e)) => {
                outcomes.push(format!("error: {e}"));
                return outcomes;
            }
            Err(_) => {
                outcomes.push("timeout".to_owned());
                return outcomes;
            }
        }
    }
    outcomes
}

/// Round `n` of `kind`: `n` clients at once, from source addresses `first_ip..` and as flood
/// users `users`; the outcomes counted.
async fn round(
    kind: Kind,
    server: SocketAddr,
    users: &[FloodUser],
    tokens: &[String],
    first_ip: usize,
    o: &Options,
) -> Result<BTreeMap<Outcome, usize>, BoxError> {
    let n = users.len();
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, user) in users.iter().enumerate() {
        let (request, repeat) = match kind {
            Kind::Login | Kind::Aborted => (login_request(server, &user.email, o.pad_kib), 1),
            Kind::List => (
                list_request(server, tokens.get(i).ok_or("a list user without a token")?),
                o.list_requests,
            ),
        };
        tasks.spawn(client(
            kind,
            source_ip(first_ip + i)?,
            server,
            request,
            repeat,
            o.abort_after,
            barrier.clone(),
        ));
    }
    let mut counts = BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        for outcome in done? {
            *counts.entry(outcome).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

// ---- the run ---------------------------------------------------------------------------------

/// One measured round.
struct Row {
    kind: Kind,
    n: usize,
    counts: BTreeMap<Outcome, usize>,
    wall: Duration,
    cpu_s: f64,
    before: Status,
    after: Status,
    threads: u64,
    idle: u64,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn run(o: Options) -> Result<(), BoxError> {
    let binary = match &o.binary {
        Some(b) => b.clone(),
        None => build_example()?,
    };
    let hashing = PasswordConfig::default();
    let hashing_kib = hashing.max_concurrent as u64 * u64::from(hashing.m_cost_kib);
    let db = Db::sqlite("login_rss");
    let pem = ed25519_pem()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let (users, jwt) = rt.block_on(prepare(db.spec(), &pem, o.accounts()))?;
    eprintln!(
        "database ready in {:.1} s ({}, {} flood accounts)",
        started.elapsed().as_secs_f64(),
        db.spec().label(),
        users.len()
    );
    let ticks_per_s = 100.0; // USER_HZ on Linux
    let malloc: Vec<String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("MALLOC_") || k.starts_with("GLIBC_TUNABLES"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!(
        "example: {} ({}); login bodies padded by {} KiB; argon2 m_cost {} KiB × max_concurrent {} = {:.1} MiB; slack {} MiB; allocator env: {}",
        binary.display(),
        db.spec().label(),
        o.pad_kib,
        hashing.m_cost_kib,
        hashing.max_concurrent,
        mib(hashing_kib),
        SLACK_KIB / 1024,
        if malloc.is_empty() {
            "none".to_owned()
        } else {
            malloc.join(" ")
        },
    );
    let mut rows = Vec::new();
    for &kind in &o.kinds {
        let mut server = Server::start(&binary, db.spec(), &pem)?;
        server.settle()?;
        let idle = server.status()?.rss;
        println!(
            "\n{}: fresh process {}, idle RSS {:.1} MiB → bound {:.1} MiB (idle + {:.1} + {})",
            kind.name(),
            server.pid(),
            mib(idle),
            mib(idle + hashing_kib + SLACK_KIB),
            mib(hashing_kib),
            SLACK_KIB / 1024,
        );
        let mut next = 0;
        for &n in &o.ns {
            let flood = &users[next..next + n];
            let tokens = if kind == Kind::List {
                // Minted per round: a token lives 15 minutes.
                flood
                    .iter()
                    .map(|u| {
                        jwt.sign(
                            u.id.to_string(),
                            TokenClaims {
                                tid: u.tenant,
                                role: "member".to_owned(),
                            },
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                Vec::new()
            };
            server.settle()?;
            let before = server.status()?;
            server.reset_peak()?;
            let cpu0 = server.cpu_ticks()?;
            let sampler = Sampler::start(server.pid());
            let t0 = Instant::now();
            let counts = rt.block_on(round(kind, server.addr, flood, &tokens, next, &o))?;
            let wall = t0.elapsed();
            server.settle()?;
            let threads = sampler.finish();
            let after = server.status()?;
            let cpu_s = (server.cpu_ticks()? - cpu0) as f64 / ticks_per_s;
            let row = Row {
                kind,
                n,
                counts,
                wall,
                cpu_s,
                before,
                after,
                threads,
                idle,
            };
            print_row(&row, hashing_kib);
            rows.push(row);
            next += n;
        }
        let settled = server.status()?;
        std::thread::sleep(Duration::from_secs(11));
        let later = server.status()?;
        println!(
            "{}: RSS {:.1} MiB when idle after the last round, {:.1} MiB 11 s later (idle blocking threads retired), {} threads",
            kind.name(),
            mib(settled.rss),
            mib(later.rss),
            later.threads,
        );
    }
    drop(db);
    print_table(&rows, hashing_kib);
    let mut failures: Vec<String> = rows
        .iter()
        .filter(|r| r.peak() > r.bound(hashing_kib) || r.after.rss > r.bound(hashing_kib))
        .map(|r| format!("{} N={}: over the bound", r.kind.name(), r.n))
        .collect();
    // A round the server mostly refused measured nothing: the memory is that of hashing
    // (logins) or of pages (lists) only if they were answered.
    for r in &rows {
        let expected = match r.kind {
            Kind::Login => r.n,
            Kind::List => r.n * o.list_requests,
            Kind::Aborted => continue,
        };
        let answered = r.answered();
        if answered < expected {
            failures.push(format!(
                "{} N={}: only {answered} of {expected} requests answered 200/401",
                r.kind.name(),
                r.n
            ));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; ").into())
    }
}

impl Row {
    fn bound(&self, hashing_kib: u64) -> u64 {
        self.idle + hashing_kib + SLACK_KIB
    }

    fn peak(&self) -> u64 {
        self.after.hwm
    }

    /// Requests that went through the whole handler: 200, or 401 for a wrong password.
    fn answered(&self) -> usize {
        ["200", "401"]
            .iter()
            .filter_map(|k| self.counts.get(*k))
            .sum()
    }

    fn counts(&self) -> String {
        self.counts
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn print_row(r: &Row, hashing_kib: u64) {
    let bound = r.bound(hashing_kib);
    let verdict = if r.peak() <= bound && r.after.rss <= bound {
        "within"
    } else {
        "OVER"
    };
    println!(
        "  N={:<4} {:>6.1} s wall, server CPU {:>5.1} s, up to {:>3} threads | RSS before {:>6.1} MiB, \
         peak {:>6.1} MiB, after {:>6.1} MiB (anon {:.1} + file {:.1}) | bound {:.1} MiB: {verdict} | {}",
        r.n,
        r.wall.as_secs_f64(),
        r.cpu_s,
        r.threads,
        mib(r.before.rss),
        mib(r.peak()),
        mib(r.after.rss),
        mib(r.after.anon),
        mib(r.after.file),
        mib(bound),
        r.counts(),
    );
}

fn print_table(rows: &[Row], hashing_kib: u64) {
    println!(
        "\n| load | N | answers | idle | peak (VmHWM) | after | bound | |\n|---|---|---|---|---|---|---|---|"
    );
    for r in rows {
        let bound = r.bound(hashing_kib);
        let ok = r.peak() <= bound && r.after.rss <= bound;
        println!(
            "| {} | {} | {} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.1} MiB | {} |",
            r.kind.name(),
            r.n,
            r.counts(),
            mib(r.idle),
            mib(r.peak()),
            mib(r.after.rss),
            mib(bound),
            if ok { "within" } else { "**over**" },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_are_distinct_loopback_and_never_the_servers() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..70_000 {
            let ip = source_ip(i).unwrap();
            assert!(ip.is_loopback(), "{ip}");
            assert_ne!(ip, Ipv4Addr::LOCALHOST);
            assert!(seen.insert(ip), "{ip} twice");
        }
        assert!(source_ip(250 * 256 * 250).is_err());
    }

    #[test]
    fn options_refuse_bad_values() {
        let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        let o = Options::parse(&args("--n 10,20 --kinds login,list")).unwrap();
        assert_eq!(o.ns, [10, 20]);
        assert_eq!(o.kinds, [Kind::Login, Kind::List]);
        assert_eq!(o.accounts(), 30);
        assert!(Options::parse(&args("--n 0")).is_err());
        assert!(Options::parse(&args("--kinds everything")).is_err());
        assert!(Options::parse(&args("--list-requests 500")).is_err());
        assert!(Options::parse(&args("--n")).is_err());
    }
}
