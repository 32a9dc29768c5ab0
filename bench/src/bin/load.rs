//! Load run: the example and its hand-written twin, each served by a child process of this one
//! on 127.0.0.1 from the same database (SQLite, 10,000 documents; `--postgres`: PostgreSQL at
//! 127.0.0.1:5432, 100,000 documents in a schema of its own, dropped afterwards), driven in
//! turn with keep-alive HTTP/1.1 connections sending `GET /docs?limit=50` as alice; prints
//! requests/s, p50 and p99 latency and the servers' resident memory (from
//! `/proc/<pid>/status`), and the ratios.
//!
//! ```text
//! cargo run --release -p portcullis-bench --bin load -- [--secs 10] [--conns 32] [--postgres] [--uri /docs?per_page=50]
//! ```
//!
//! `--uri` sends another `GET /docs…` request instead (e.g. the offset page with its count).
//!
//! `--secs` is the measured time per server, split in two halves run in the order example,
//! plain, plain, example so that drift in machine load hits both alike. Children exit when
//! this process goes away (their stdin closes) and are killed on every exit path; every
//! connect, read and write has a timeout. Only loopback addresses are ever connected to.

use portcullis_bench::fixture::{self, BoxError, DOCS_URI, Db, DbSpec};
use portcullis_bench::stats::{human, quantile};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// Timeout of one connect, read or write.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a child may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// A served child exits by itself after this long, whatever happens to its parent.
const CHILD_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Warm-up per server before measuring.
const WARM_UP: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        _ => Options::parse(&args).and_then(run),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    secs: u64,
    conns: usize,
    /// PostgreSQL (100,000 documents) instead of SQLite (10,000).
    postgres: bool,
    /// The request path and query.
    uri: String,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, BoxError> {
        let mut o = Options {
            secs: 10,
            conns: 32,
            postgres: false,
            uri: DOCS_URI.to_owned(),
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if flag == "--postgres" {
                o.postgres = true;
                continue;
            }
            if flag == "--uri" {
                // A path of the example's list, nothing that could break the request line.
                match it.next() {
                    Some(uri)
                        if uri.starts_with("/docs")
                            && uri.bytes().all(|b| b.is_ascii_graphic()) =>
                    {
                        o.uri = uri.clone();
                        continue;
                    }
                    _ => return Err("--uri takes a path starting with /docs".into()),
                }
            }
            let value = it.next().map(|v| v.parse::<u64>());
            match (flag.as_str(), value) {
                ("--secs", Some(Ok(n))) if (1..=600).contains(&n) => o.secs = n,
                ("--conns", Some(Ok(n))) if (1..=512).contains(&n) => o.conns = n as usize,
                _ => {
                    return Err(format!(
                        "usage: load [--secs 1..600] [--conns 1..512] [--postgres] [--uri /docs…] (got {flag:?})"
                    )
                    .into());
                }
            }
        }
        Ok(o)
    }
}

// ---- the served children -------------------------------------------------------------------

/// `serve example <url> <schema|-> <docs per tenant>` or `serve plain <url> <schema|-> <jwks>`:
/// serves on 127.0.0.1:0 and prints `listen <addr>` (the example also `token <alice's token>`
/// and `jwks <its public keys>`), then `ready`.
fn serve(args: &[String]) -> Result<(), BoxError> {
    std::thread::spawn(|| {
        // The parent holds our stdin: EOF means it is gone.
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    std::thread::spawn(|| {
        std::thread::sleep(CHILD_LIFETIME);
        eprintln!("load serve: lifetime of {CHILD_LIFETIME:?} over, exiting");
        std::process::exit(3);
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let spec = |url: &str, schema: &str, per_tenant: usize| DbSpec {
            url: url.to_owned(),
            schema: (schema != "-").then(|| schema.to_owned()),
            per_tenant,
        };
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let ready = |listener: &tokio::net::TcpListener| -> Result<(), BoxError> {
            println!("listen {}", listener.local_addr()?);
            println!("ready");
            std::io::stdout().flush()?;
            Ok(())
        };
        match args {
            [kind, url, schema, per_tenant] if kind == "example" => {
                // The parent filled the database: this only checks the count.
                let db = spec(url, schema, per_tenant.parse()?);
                let (app, state) = fixture::example(&db).await?;
                println!("token {}", fixture::mint_token(&state).await?);
                println!("jwks {}", state.jwt.jwks_json());
                ready(&listener)?;
                let service = app.into_make_service_with_connect_info::<SocketAddr>();
                axum::serve(listener, service).await?;
            }
            [kind, url, schema, jwks] if kind == "plain" => {
                let app = portcullis_bench::plain::twin(&spec(url, schema, 0), jwks).await?;
                ready(&listener)?;
                let service = app.into_make_service_with_connect_info::<SocketAddr>();
                axum::serve(listener, service).await?;
            }
            _ => {
                return Err(
                    "usage: load serve example <url> <schema|-> <docs per tenant> | \
                     load serve plain <url> <schema|-> <jwks>"
                        .into(),
                );
            }
        }
        Ok(())
    })
}

/// A served child; killed when dropped.
struct Server {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
    /// What it printed before `ready`, by key.
    said: HashMap<String, String>,
}

impl Server {
    fn start(name: &'static str, args: &[&str]) -> Result<Self, BoxError> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let (tx, lines) = channel();
        let stdout = child.stdout.take().ok_or("child without stdout")?;
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            name,
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            said: HashMap::new(),
        };
        server.said = read_until_ready(name, &lines)?;
        server.addr = loopback(server.said("listen")?.parse()?)?;
        Ok(server)
    }

    fn said(&self, key: &str) -> Result<&str, BoxError> {
        match self.said.get(key) {
            Some(v) => Ok(v),
            None => Err(format!("{}: said no `{key}`", self.name).into()),
        }
    }

    /// `VmRSS` and `VmHWM` (peak) in KiB.
    fn memory(&self) -> Result<(u64, u64), BoxError> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| format!("no {key} in /proc/{}/status", self.child.id()))
        };
        Ok((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// Resets the peak (`VmHWM`) to the current RSS (`clear_refs` 5, Linux 4.0+).
    fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").is_ok()
    }
}

/// The `key value` lines a child prints until `ready`.
fn read_until_ready(
    name: &str,
    lines: &Receiver<String>,
) -> Result<HashMap<String, String>, BoxError> {
    let deadline = Instant::now() + START_TIMEOUT;
    let mut said = HashMap::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line == "ready" => return Ok(said),
            Ok(line) => {
                let (key, value) = line.split_once(' ').unwrap_or((&line, ""));
                said.insert(key.to_owned(), value.to_owned());
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(format!("{name}: not ready in {START_TIMEOUT:?}").into());
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(format!("{name}: exited before it was ready").into());
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `addr` if it is a loopback address: this tool never sends traffic anywhere else.
fn loopback(addr: SocketAddr) -> Result<SocketAddr, BoxError> {
    if addr.ip().is_loopback() {
        Ok(addr)
    } else {
        Err(format!("refusing to connect to {addr}: only loopback targets are allowed").into())
    }
}

// ---- the client ------------------------------------------------------------------------------

/// A keep-alive HTTP/1.1 connection sending one fixed request.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(32 * 1024),
        })
    }

    /// Sends `request` and reads the response: its status and body.
    fn send(&mut self, request: &[u8]) -> std::io::Result<(u16, &[u8])> {
        self.stream.write_all(request)?;
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        let (status, head, len) = loop {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(parsed) = parse_head(&self.buf)? {
                break parsed;
            }
        };
        while self.buf.len() < head + len {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        if self.buf.len() > head + len {
            return Err(invalid("bytes after the response (nothing was pipelined)"));
        }
        Ok((status, &self.buf[head..]))
    }
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

/// Status, head length and `Content-Length` once the head is complete.
fn parse_head(buf: &[u8]) -> std::io::Result<Option<(u16, usize, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut res = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = res.parse(buf).map_err(|e| invalid(&e.to_string()))?
    else {
        return Ok(None);
    };
    let len = res
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
        .ok_or_else(|| invalid("response without Content-Length"))?;
    Ok(Some((res.code.unwrap_or(0), head, len)))
}

fn request(uri: &str, addr: SocketAddr, token: &str) -> Vec<u8> {
    format!("GET {uri} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\r\n")
        .into_bytes()
}

/// What one server did in one or more measured windows.
#[derive(Default)]
struct Tally {
    /// Latency of every 200, in nanoseconds.
    latencies: Vec<f64>,
    errors: u64,
    elapsed: Duration,
}

/// `conns` connections sending `request` back to back for `time`.
fn drive(addr: SocketAddr, request: &[u8], conns: usize, time: Duration, into: &mut Tally) {
    let start = Instant::now();
    let deadline = start + time;
    let results: Vec<(Vec<f64>, u64)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..conns)
            .map(|_| {
                s.spawn(move || {
                    let (mut lat, mut errors) = (Vec::new(), 0u64);
                    let mut conn = None;
                    while Instant::now() < deadline {
                        let c = match conn.as_mut() {
                            Some(c) => c,
                            None => match Conn::open(addr) {
                                Ok(c) => conn.insert(c),
                                Err(_) => {
                                    errors += 1;
                                    std::thread::sleep(Duration::from_millis(50));
                                    continue;
                                }
                            },
                        };
                        let t = Instant::now();
                        match c.send(request) {
                            Ok((200, _)) => lat.push(t.elapsed().as_nanos() as f64),
                            Ok(_) => errors += 1,
                            Err(_) => {
                                errors += 1;
                                conn = None;
                            }
                        }
                    }
                    (lat, errors)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    into.elapsed += start.elapsed();
    for (lat, errors) in results {
        into.latencies.extend(lat);
        into.errors += errors;
    }
}

// ---- the run ---------------------------------------------------------------------------------

fn run(o: Options) -> Result<(), BoxError> {
    // Seeded and filled here, so the served example never hashes a password (argon2's 19 MiB
    // would dominate its memory figures) and neither child inserts anything.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let db = if o.postgres {
        rt.block_on(Db::postgres("load"))?
    } else {
        Db::sqlite("load")
    };
    let seeded = rt.block_on(fixture::example(db.spec()))?;
    drop(seeded);
    let spec = db.spec();
    let schema = spec.schema.as_deref().unwrap_or("-");
    let per_tenant = spec.per_tenant.to_string();
    let example = Server::start("portcullis", &["example", &spec.url, schema, &per_tenant])?;
    let token = example.said("token")?.to_owned();
    let plain = Server::start(
        "plain",
        &["plain", &spec.url, schema, example.said("jwks")?],
    )?;
    let servers = [&example, &plain];
    let requests = servers.map(|s| request(&o.uri, s.addr, &token));

    // The same answer from both, or no measurement.
    let mut bodies = Vec::new();
    for (server, req) in servers.iter().zip(&requests) {
        let mut conn = Conn::open(server.addr)?;
        let (status, body) = conn.send(req)?;
        if status != 200 {
            return Err(format!("{}: GET {} answered {status}", server.name, o.uri).into());
        }
        bodies.push(body.to_vec());
    }
    if bodies[0] != bodies[1] {
        return Err(format!(
            "the twin answers differently:\n  example: {}\n  plain:   {}",
            String::from_utf8_lossy(&bodies[0]),
            String::from_utf8_lossy(&bodies[1])
        )
        .into());
    }

    for (server, req) in servers.iter().zip(&requests) {
        drive(server.addr, req, o.conns, WARM_UP, &mut Tally::default());
    }
    let start_rss = [example.memory()?, plain.memory()?].map(|(rss, _)| rss);
    let peak_reset = servers.iter().all(|s| s.reset_peak());
    let half = Duration::from_secs(o.secs) / 2;
    let mut tallies = [Tally::default(), Tally::default()];
    for i in [0, 1, 1, 0] {
        drive(
            servers[i].addr,
            &requests[i],
            o.conns,
            half,
            &mut tallies[i],
        );
    }
    let memory = [example.memory()?, plain.memory()?];
    let label = spec.label();
    let result = report(
        &o, &label, &servers, &tallies, start_rss, memory, peak_reset,
    );
    // The children first: they hold the database open.
    drop((example, plain));
    drop(db);
    result
}

fn report(
    o: &Options,
    label: &str,
    servers: &[&Server; 2],
    tallies: &[Tally; 2],
    start_rss: [u64; 2],
    memory: [(u64, u64); 2],
    peak_reset: bool,
) -> Result<(), BoxError> {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "GET {} ({label}), {} s per server, {} keep-alive connections, {cores} cores",
        o.uri, o.secs, o.conns,
    );
    let peak = if peak_reset {
        "peak under load"
    } else {
        "peak since start"
    };
    println!(
        "{:<11} {:>9} {:>10} {:>10} {:>7} {:>10} {:>16}",
        "server", "req/s", "p50", "p99", "errors", "RSS idle", peak
    );
    let mut figures = Vec::new();
    for (((server, t), idle), (_, hwm)) in servers.iter().zip(tallies).zip(start_rss).zip(memory) {
        let rps = t.latencies.len() as f64 / t.elapsed.as_secs_f64();
        let (p50, p99) = (quantile(&t.latencies, 0.5), quantile(&t.latencies, 0.99));
        println!(
            "{:<11} {rps:>9.0} {:>10} {:>10} {:>7} {:>6.1} MiB {:>12.1} MiB",
            server.name,
            human(p50),
            human(p99),
            t.errors,
            idle as f64 / 1024.0,
            hwm as f64 / 1024.0,
        );
        figures.push((rps, p50, p99, hwm as f64));
    }
    let (e, p) = (figures[0], figures[1]);
    println!(
        "portcullis / plain: req/s {:.3}x, p50 {:.3}x, p99 {:.3}x, peak RSS {:.2}x",
        e.0 / p.0,
        e.1 / p.1,
        e.2 / p.2,
        e.3 / p.3
    );
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    if errors > 0 {
        return Err(format!("{errors} requests failed (not 200 or I/O error)").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        assert!(loopback("127.0.0.1:80".parse().unwrap()).is_ok());
        assert!(loopback("[::1]:80".parse().unwrap()).is_ok());
        assert!(loopback("10.0.0.1:80".parse().unwrap()).is_err());
        assert!(loopback("93.184.216.34:80".parse().unwrap()).is_err());
    }

    #[test]
    fn parses_a_response_head() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_head(raw).unwrap(), Some((200, raw.len() - 2, 2)));
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\n").unwrap(), None);
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
    }
}
