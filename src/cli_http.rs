//! A minimal HTTP/1.1 client for the CLI's calls to a server on this host (`overlord
//! backup`): one POST, a streamed (chunked or plain) text answer delivered line by line.
//! The server's loopback trust rule authenticates it, so it carries no credentials.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// Why the POST to the local server got no answer to read. The message is printed for the
/// operator running `overlord backup`.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// `--url` is not a plain `http://` address (the client speaks no TLS).
    #[error("--url must start with http://")]
    NotHttp,
    /// The TCP connection to the server failed.
    #[error("cannot reach {base}: {source}")]
    Connect {
        base: String,
        #[source]
        source: std::io::Error,
    },
    /// Writing the request failed.
    #[error(transparent)]
    Send(std::io::Error),
    /// Reading the answer failed.
    #[error(transparent)]
    Read(std::io::Error),
    /// The first line of the answer is not `HTTP/1.1 <status> …`.
    #[error("malformed HTTP answer")]
    MalformedStatus,
    /// A chunk-size line of a chunked answer is not hexadecimal.
    #[error("bad chunk")]
    BadChunkSize(#[source] std::num::ParseIntError),
}

/// Response lines longer than this are cut (the server's progress lines are short).
const MAX_LINE_BYTES: usize = 64 * 1024;

/// POSTs `body` as JSON to `http://host:port{path}` and calls `on_line` for each line of
/// the answer. Returns the HTTP status.
pub async fn post_lines(base: &str, path: &str, body: &str, mut on_line: impl FnMut(&str)) -> Result<u16, PostError> {
    let hostport = base.trim_end_matches('/').strip_prefix("http://").ok_or(PostError::NotHttp)?;
    let mut stream = tokio::net::TcpStream::connect(hostport)
        .await
        .map_err(|source| PostError::Connect { base: base.to_string(), source })?;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.map_err(PostError::Send)?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).await.map_err(PostError::Read)?;
    let status: u16 =
        status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(PostError::MalformedStatus)?;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await.map_err(PostError::Read)? == 0 || h == "\r\n" {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut pending = Vec::new();
    let mut emit = |bytes: &[u8], pending: &mut Vec<u8>| {
        pending.extend_from_slice(bytes);
        while let Some(pos) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=pos).collect();
            on_line(String::from_utf8_lossy(&line).trim_end());
        }
        if pending.len() > MAX_LINE_BYTES {
            pending.clear();
        }
    };
    if chunked {
        loop {
            let mut size_line = String::new();
            if reader.read_line(&mut size_line).await.map_err(PostError::Read)? == 0 {
                break;
            }
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(PostError::BadChunkSize)?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0u8; size.min(16 * 1024 * 1024)];
            reader.read_exact(&mut chunk).await.map_err(PostError::Read)?;
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf).await.map_err(PostError::Read)?;
            emit(&chunk, &mut pending);
        }
    } else {
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.map_err(PostError::Read)?;
        emit(&rest, &mut pending);
    }
    if !pending.is_empty() {
        on_line(String::from_utf8_lossy(&pending).trim_end());
    }
    Ok(status)
}
