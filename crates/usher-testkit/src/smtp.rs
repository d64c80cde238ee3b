//! A real SMTP server for tests: Python's aiosmtpd on 127.0.0.1, storing
//! what it receives in a Maildir that tests read back.
//!
//! Tests that need it skip when aiosmtpd is not installed, unless
//! `USHER_REQUIRE_SMTP=1` (as in CI), which makes its absence a failure.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A running aiosmtpd and its mailbox.
#[derive(Debug)]
pub struct SmtpServer {
    pub port: u16,
    child: Child,
    dir: TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One received message, decoded.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
}

impl ReceivedMail {
    /// The first URL in the text part that contains `marker`.
    pub fn link(&self, marker: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains(marker))
            .map(str::to_owned)
    }
}

fn aiosmtpd_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl SmtpServer {
    /// Starts a server, or answers `None` (after saying so) when aiosmtpd is
    /// missing and not required.
    pub fn start() -> Option<SmtpServer> {
        if !aiosmtpd_installed() {
            if std::env::var("USHER_REQUIRE_SMTP").is_ok_and(|v| v == "1") {
                panic!("USHER_REQUIRE_SMTP=1 but aiosmtpd is not installed (pip install aiosmtpd)");
            }
            eprintln!(
                "skipped: aiosmtpd is not installed (pip install aiosmtpd to run the SMTP tests)"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("maildir");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "aiosmtpd did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(SmtpServer { port, child, dir })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.dir.path().join(d)).ok())
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.files()
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter_map(|raw| decode(&raw))
            .collect()
    }

    /// Waits until `count` messages to `to` arrived (at most 20 s).
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<ReceivedMail> {
        let started = Instant::now();
        loop {
            let got: Vec<ReceivedMail> = self
                .received()
                .into_iter()
                .filter(|m| m.to.contains(to))
                .collect();
            if got.len() >= count {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "expected {count} mails to {to}, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn decode(raw: &[u8]) -> Option<ReceivedMail> {
    use mailparse::MailHeaderMap;
    let parsed = mailparse::parse_mail(raw).ok()?;
    let header = |name: &str| parsed.headers.get_first_value(name).unwrap_or_default();
    let mut text = String::new();
    let mut html = String::new();
    let mut parts = vec![&parsed];
    while let Some(p) = parts.pop() {
        if p.subparts.is_empty() {
            let body = p.get_body().unwrap_or_default();
            match p.ctype.mimetype.as_str() {
                "text/plain" => text = body,
                "text/html" => html = body,
                _ => {}
            }
        } else {
            parts.extend(p.subparts.iter());
        }
    }
    Some(ReceivedMail {
        to: header("To"),
        subject: header("Subject"),
        message_id: header("Message-ID"),
        text,
        html,
    })
}
