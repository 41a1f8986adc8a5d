//! A local SMTP server for the mail tests: speaks just enough SMTP (greeting, EHLO/HELO,
//! AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to take mails from the application, keeps what it
//! received, and can refuse mails with a given reply or stop listening altogether.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// How the sink answers `MAIL FROM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Accept,
    /// Refuses every mail with this reply, e.g. `451 try later` or `550 no such user`.
    Refuse(String),
}

/// A mail as received: the envelope and the message text (dot-unstuffed).
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// The decoded Subject header.
    pub fn subject(&self) -> String {
        use mailparse::MailHeaderMap;
        let parsed = mailparse::parse_mail(self.data.as_bytes()).expect("a parsable mail");
        parsed
            .headers
            .get_first_value("Subject")
            .unwrap_or_default()
    }

    /// The decoded text body.
    pub fn body(&self) -> String {
        let parsed = mailparse::parse_mail(self.data.as_bytes()).expect("a parsable mail");
        parsed.get_body().expect("a decodable body")
    }
}

#[derive(Default)]
struct Shared {
    answer: Option<Answer>,
    received: Vec<Received>,
    /// The base64 `AUTH PLAIN` credentials clients sent.
    auth: Vec<String>,
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    accepting: Option<JoinHandle<()>>,
}

impl SmtpSink {
    /// Listens on a free port of 127.0.0.1 and accepts every mail.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let addr = listener.local_addr().expect("sink address");
        let shared = Arc::new(Mutex::new(Shared {
            answer: Some(Answer::Accept),
            ..Shared::default()
        }));
        let accepting = Some(tokio::spawn(accept(listener, shared.clone())));
        SmtpSink {
            addr,
            shared,
            accepting,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Stops listening: connections are refused until [`SmtpSink::up`].
    pub async fn down(&mut self) {
        if let Some(task) = self.accepting.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port.
    pub async fn up(&mut self) {
        if self.accepting.is_some() {
            return;
        }
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("reuseaddr");
        socket.bind(self.addr).expect("bind the same port again");
        let listener = socket.listen(16).expect("listen");
        self.accepting = Some(tokio::spawn(accept(listener, self.shared.clone())));
    }

    pub fn answer(&self, answer: Answer) {
        self.shared.lock().expect("sink state").answer = Some(answer);
    }

    /// The `AUTH PLAIN` credentials received, base64 as sent.
    pub fn auth(&self) -> Vec<String> {
        self.shared.lock().expect("sink state").auth.clone()
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().expect("sink state").received.clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(task) = self.accepting.take() {
            task.abort();
        }
    }
}

async fn accept(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(converse(stream, shared.clone()));
    }
}

async fn converse(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    let mut from = String::new();
    let mut to = Vec::new();
    loop {
        let mut line = String::new();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" => "250-sink\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SMTPUTF8".to_string(),
            "HELO" | "RSET" | "NOOP" => "250 OK".to_string(),
            "MAIL" => {
                let refusal = match &shared.lock().expect("sink state").answer {
                    Some(Answer::Refuse(text)) => Some(text.clone()),
                    _ => None,
                };
                match refusal {
                    Some(text) => text,
                    None => {
                        from = address(&command);
                        to.clear();
                        "250 OK".to_string()
                    }
                }
            }
            "AUTH" => {
                let credentials = command.splitn(3, ' ').nth(2).unwrap_or("").to_string();
                shared.lock().expect("sink state").auth.push(credentials);
                "235 2.7.0 accepted".to_string()
            }
            "RCPT" => {
                to.push(address(&command));
                "250 OK".to_string()
            }
            "DATA" => {
                if write
                    .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    match lines.read_line(&mut l).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if l == ".\r\n" || l == ".\n" {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                }
                shared.lock().expect("sink state").received.push(Received {
                    from: from.clone(),
                    to: to.clone(),
                    data,
                });
                "250 queued".to_string()
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => "502 unknown command".to_string(),
        };
        if write
            .write_all(format!("{answer}\r\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// The address between `<` and `>` of `MAIL FROM:<a>` / `RCPT TO:<b>`.
fn address(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(a, _)| a.to_string())
        .unwrap_or_default()
}
