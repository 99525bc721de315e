//! A real `fifteen serve` process for the tests, and a plain HTTP/1.1 client over a TCP
//! socket (so that a test can also send what no well-behaved client would).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its output folder (saved scenarios, exports).
    pub out: PathBuf,
    _dir: tempfile::TempDir,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON (panics, with the body, when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

impl Server {
    /// Starts `fifteen serve INPUT --port 0 -o TMP <args>` and waits until it listens.
    pub fn start(input: &Path, args: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut child = Command::new(env!("CARGO_BIN_EXE_fifteen"))
            .arg("serve")
            .arg(input)
            .args(["--port", "0", "--quiet", "-o"])
            .arg(&out)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the fifteen binary runs");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut line).unwrap();
        let addr = line
            .strip_prefix("serving http://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("the server said {line:?} instead of its address"))
            .parse()
            .unwrap();
        // keep reading stdout so the server never blocks on it
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
        });
        Server {
            child,
            addr,
            out,
            _dir: dir,
        }
    }

    /// Sends raw bytes and reads the whole answer (the request should say
    /// `Connection: close`).
    pub fn raw(&self, request: &[u8]) -> Answer {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        stream.write_all(request).unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        parse(&bytes)
    }

    /// `METHOD path` with an optional JSON body.
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> Answer {
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.raw(request.as_bytes())
    }

    /// `GET path` as JSON, asserting a 200.
    pub fn get_json(&self, path: &str) -> Value {
        let answer = self.request("GET", path, None);
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.json());
        answer.json()
    }

    /// `METHOD path` with `body`, as JSON, asserting a 200.
    pub fn send_json(&self, method: &str, path: &str, body: &Value) -> Value {
        let answer = self.request(method, path, Some(&body.to_string()));
        assert_eq!(answer.status, 200, "{method} {path}: {}", answer.json());
        answer.json()
    }

    /// Runs `coverage` on `input` with the register saved as `name` and `args` (the
    /// server's own options): its `summary.json` and output folder.
    pub fn coverage_of_saved(&self, input: &Path, name: &str, args: &[&str]) -> (Value, PathBuf) {
        let register = self.out.join(format!("scenarios/{name}.csv"));
        let out = self.out.join(format!("check-{name}"));
        let outcome = super::coverage(
            [
                input.as_os_str(),
                "--facilities".as_ref(),
                register.as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
            ]
            .into_iter()
            .chain(args.iter().map(|a| a.as_ref())),
        );
        assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
        (super::read_json(&out.join("summary.json")), out)
    }

    /// Sends SIGINT (Ctrl-C) and waits for the process: its exit code.
    pub fn interrupt(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        self.child.wait().unwrap().code()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Splits an HTTP/1.1 answer into status, headers and body (chunked bodies joined).
fn parse(bytes: &[u8]) -> Answer {
    let split = (bytes.windows(4).position(|w| w == b"\r\n\r\n"))
        .unwrap_or_else(|| panic!("no HTTP answer: {:?}", String::from_utf8_lossy(bytes)));
    let headers = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    let raw = &bytes[split + 4..];
    let chunked = headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked { dechunk(raw) } else { raw.to_vec() };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let Some(end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return body;
        };
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 2 + size + 2..];
    }
}
