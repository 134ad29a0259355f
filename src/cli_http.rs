//! A minimal HTTP/1.1 client for the CLI's calls to a server on this host (`overlord
//! backup`): one POST, a streamed (chunked or plain) text answer delivered line by line.
//! The server's loopback trust rule authenticates it, so it carries no credentials.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// Response lines longer than this are cut (the server's progress lines are short).
const MAX_LINE_BYTES: usize = 64 * 1024;

/// POSTs `body` as JSON to `http://host:port{path}` and calls `on_line` for each line of
/// the answer. Returns the HTTP status.
pub async fn post_lines(base: &str, path: &str, body: &str, mut on_line: impl FnMut(&str)) -> Result<u16, String> {
    let hostport = base.trim_end_matches('/').strip_prefix("http://").ok_or("--url must start with http://")?;
    let mut stream = tokio::net::TcpStream::connect(hostport).await.map_err(|e| format!("cannot reach {base}: {e}"))?;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).await.map_err(|e| e.to_string())?;
    let status: u16 =
        status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or("malformed HTTP answer")?;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await.map_err(|e| e.to_string())? == 0 || h == "\r\n" {
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
            if reader.read_line(&mut size_line).await.map_err(|e| e.to_string())? == 0 {
                break;
            }
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(|_| "bad chunk")?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0u8; size.min(16 * 1024 * 1024)];
            reader.read_exact(&mut chunk).await.map_err(|e| e.to_string())?;
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf).await.map_err(|e| e.to_string())?;
            emit(&chunk, &mut pending);
        }
    } else {
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.map_err(|e| e.to_string())?;
        emit(&rest, &mut pending);
    }
    if !pending.is_empty() {
        on_line(String::from_utf8_lossy(&pending).trim_end());
    }
    Ok(status)
}
