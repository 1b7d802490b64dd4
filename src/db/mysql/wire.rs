//! A small async MySQL/MariaDB client over any byte stream: a tokio
//! `TcpStream` in the tests, the runtime's `worker::Socket` on the edge,
//! where mysql_async (tied to tokio's runtime) cannot run. The packets are
//! mysql_common's (the crate under mysql_async); this module only frames
//! them and keeps the order of a conversation.
//!
//! Every statement is one round trip: COM_STMT_PREPARE, COM_STMT_EXECUTE
//! and COM_STMT_CLOSE go out together, the last two naming statement
//! 0xFFFFFFFF, which MariaDB (10.2 and later) reads as "the statement just
//! prepared"; then the prepare's answer and the execute's are read (a
//! close has none). Parameters are bound in the binary protocol, never
//! spliced into the SQL.
//!
//! Plain TCP only, as `ssl-mode=DISABLED`: the server must be reachable
//! without TLS (a private network, a tunnel). caching_sha2_password works
//! through its fast path (a password the server has cached); its full
//! exchange (RSA over plain TCP) is refused.

use super::{classify_server, named_unique, render, rows, session_setup, to_mysql, unique_lookup};
use crate::db::{DbError, DbResult, Rows, Statement};
use mysql_common::constants::{CapabilityFlags, Command, StatusFlags};
use mysql_common::io::ParseBuf;
use mysql_common::packets::{
    AuthPlugin, AuthSwitchRequest, Column, ComStmtClose, ComStmtExecuteRequestBuilder, ComStmtSendLongData,
    CommonOkPacket, ErrPacket, HandshakePacket, HandshakeResponse, OkPacket, OkPacketDeserializer, OldEofPacket,
    ResultSetTerminator, StmtPacket,
};
use mysql_common::proto::{Binary, MySerialize};
use mysql_common::row::RowDeserializer;
use mysql_common::value::{ServerSide, Value as My};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// "The statement prepared last" (MariaDB's direct execution).
const LAST_STATEMENT: u32 = 0xFFFF_FFFF;

/// The largest payload of one packet; longer ones go in several.
const MAX_PAYLOAD: usize = 0xFF_FFFF;

/// The largest packet this client takes (the server's own
/// `max_allowed_packet` is the real bound).
const MAX_PACKET: u32 = 1 << 30;

/// Parameter bytes sent per COM_STMT_SEND_LONG_DATA, for values too long
/// for one packet.
const LONG_DATA_CHUNK: usize = 1 << 20;

/// The oldest MariaDB that executes "the statement prepared last".
const DIRECT_EXECUTION: (u16, u16, u16) = (10, 2, 0);

/// Where and as whom to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub database: Option<String>,
    /// Reached through a proxy (Hyperdrive) that may not pass MariaDB's
    /// "the statement prepared last" on: each statement is prepared first
    /// and then executed by its id (two round trips, to the proxy nearby);
    /// the proxy's greeting does not name the server behind.
    pub proxied: bool,
}

impl Options {
    /// Reads `mysql://user:pass@host:port/db` (or `mariadb://`); user,
    /// password and database percent-decoded. `ssl-mode` may only ask for
    /// no TLS (DISABLED, or PREFERRED, which then means none).
    pub fn from_url(text: &str) -> DbResult<Options> {
        let bad = |why: &str| DbError::Other(format!("not a MySQL URL ({why})"));
        let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "mysql" | "mariadb") {
            return Err(bad("the scheme is not mysql:// or mariadb://"));
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| bad("not UTF-8 once decoded"))
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("no host"))?;
        let database = decode(url.path().trim_start_matches('/'))?;
        let tls = |key: &str| key.eq_ignore_ascii_case("ssl-mode") || key.eq_ignore_ascii_case("sslmode");
        let plain = |value: &str| {
            matches!(value.to_ascii_uppercase().as_str(), "DISABLED" | "DISABLE" | "PREFERRED" | "PREFER")
        };
        if let Some((_, value)) = url.query_pairs().find(|(key, value)| tls(key) && !plain(value)) {
            return Err(DbError::Unsupported(format!(
                "ssl-mode={value}: the edge reaches MariaDB over plain TCP only (ssl-mode=DISABLED)"
            )));
        }
        Ok(Options {
            host: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port: url.port().unwrap_or(3306),
            user: decode(url.username())?,
            password: url.password().map(decode).transpose()?.filter(|p| !p.is_empty()),
            database: Some(database).filter(|d| !d.is_empty()),
            proxied: false,
        })
    }
}

/// One connection, authenticated and set up for the compiler's SQL.
pub struct Conn<S> {
    stream: BufReader<S>,
    capabilities: CapabilityFlags,
    budget_ms: u64,
    /// The sequence number of the next packet of the connection phase.
    seq: u8,
    /// Set while a command's answers are not all read: a connection left so
    /// (an I/O error, a cancelled future) is out of step and unusable.
    busy: bool,
    /// Statements are prepared in a round trip of their own
    /// ([`Options::proxied`]).
    prepare_apart: bool,
}

/// A server's answer to one command: its error (`Err`) leaves the
/// connection in step, unlike the outer `DbResult`'s.
type Answer<T> = Result<T, DbError>;

/// A result set: its columns, rows, and how many rows the statement changed.
type ResultSet = (Vec<Column>, Vec<Vec<My>>, u64);

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Authenticates over `stream` and runs the session setup
    /// ([`session_setup`]: ANSI SQL, UTC, the statement budget).
    pub async fn connect(stream: S, options: &Options, budget_ms: u64) -> DbResult<Conn<S>> {
        let mut conn = Conn {
            stream: BufReader::new(stream),
            capabilities: CapabilityFlags::empty(),
            budget_ms,
            seq: 0,
            busy: true,
            prepare_apart: options.proxied,
        };
        conn.handshake(options).await?;
        conn.busy = false;
        match conn.query_drop(&session_setup(budget_ms)).await {
            // MySQL knows no max_statement_time: behind a proxy, that is
            // where a server that is not MariaDB shows (no round trip to ask).
            Err(DbError::Other(e)) if options.proxied && e.ends_with("(1193)") => Err(DbError::Unsupported(format!(
                "the server behind the proxy is not MariaDB ({e}); rectus serves MariaDB 10.6 and later"
            ))),
            setup => setup.map(|_| conn),
        }
    }

    /// False once the connection is out of step; drop it then.
    pub fn is_usable(&self) -> bool {
        !self.busy
    }

    /// Runs `sql` as text (COM_QUERY: BEGIN, COMMIT, SET), dropping any rows.
    pub async fn query_drop(&mut self, sql: &str) -> DbResult<()> {
        self.start()?;
        let mut payload = Vec::with_capacity(sql.len() + 1);
        payload.push(Command::COM_QUERY as u8);
        payload.extend_from_slice(sql.as_bytes());
        let mut out = Vec::with_capacity(payload.len() + 4);
        frame(&mut out, 0, &payload);
        self.send(&out).await?;
        let answer = self.read_result(false).await?;
        self.busy = false;
        answer.map(|_| ())
    }

    /// Runs `stmt` in one round trip (two through a proxy); its rows (none
    /// for a write) and how many rows it changed (matched, for an UPDATE).
    pub async fn run(&mut self, stmt: &Statement) -> DbResult<(Rows, u64)> {
        tracing::trace!(sql = %stmt.sql, params = ?stmt.params, "query");
        self.start()?;
        let (sql, values) = render(stmt);
        let values: Vec<My> = values.iter().map(to_mysql).collect();
        let mut out = Vec::with_capacity(sql.len() + 64);
        let mut prepare = Vec::with_capacity(sql.len() + 1);
        prepare.push(Command::COM_STMT_PREPARE as u8);
        prepare.extend_from_slice(sql.as_bytes());
        frame(&mut out, 0, &prepare);
        let executed = if self.prepare_apart {
            self.send(&out).await?;
            out.clear();
            let statement = match self.read_prepare().await? {
                Ok(statement) => statement,
                Err(e) => {
                    self.busy = false;
                    return Err(e);
                }
            };
            execute_and_close(&mut out, statement, &values);
            self.send(&out).await?;
            self.read_result(true).await?
        } else {
            execute_and_close(&mut out, LAST_STATEMENT, &values);
            self.send(&out).await?;
            let prepared = self.read_prepare().await?;
            let executed = self.read_result(true).await?;
            // A failed prepare fails the execute too ("unknown statement"):
            // the prepare's error is the one that says why.
            prepared.and(executed)
        };
        self.busy = false;
        let (columns, found, changed) = executed?;
        Ok((rows(&columns, found), changed))
    }

    /// `run`, with a unique violation named by its table and column (a
    /// second statement): MariaDB's error names only the index.
    pub async fn run_named(&mut self, stmt: &Statement) -> DbResult<(Rows, u64)> {
        match self.run(stmt).await {
            Err(DbError::Unique { field: index, .. }) => {
                let (collection, lookup) = unique_lookup(stmt, &index);
                let found = self.run(&lookup).await.map(|(rows, _)| rows);
                Err(named_unique(collection, &index, found))
            }
            other => other,
        }
    }

    /// Says goodbye (COM_QUIT) and closes the stream; errors do not matter.
    pub async fn quit(mut self) {
        let mut out = Vec::with_capacity(5);
        frame(&mut out, 0, &[Command::COM_QUIT as u8]);
        if self.send(&out).await.is_ok() {
            let _ = self.stream.get_mut().shutdown().await;
        }
    }

    fn start(&mut self) -> DbResult<()> {
        if self.busy {
            return Err(DbError::Unavailable(
                "the MariaDB connection is out of step (an earlier command broke off)".into(),
            ));
        }
        self.busy = true;
        Ok(())
    }

    /// The connection phase: the server's greeting, our answer, and any
    /// plugin exchange until the server's OK.
    async fn handshake(&mut self, options: &Options) -> DbResult<()> {
        let packet = self.read_packet().await?;
        if packet.first() == Some(&0xFF) {
            return Err(self.server_error(&packet));
        }
        let greeting = ParseBuf(&packet).parse::<HandshakePacket>(()).map_err(protocol)?;
        // A proxy greets in its own name: the server behind is asked later.
        let proxy = options.proxied.then(|| greeting.server_version_parsed()).flatten();
        let Some(version) = proxy.or_else(|| greeting.maria_db_server_version_parsed()) else {
            return Err(DbError::Unsupported(format!(
                "the server is {}; rectus serves MariaDB 10.6 and later (MySQL 8 is not supported yet)",
                greeting.server_version_str()
            )));
        };
        if proxy.is_none() && version < DIRECT_EXECUTION {
            return Err(DbError::Unsupported(format!(
                "MariaDB {}.{}.{} is too old: rectus serves MariaDB 10.6 and later",
                version.0, version.1, version.2
            )));
        }
        let required = CapabilityFlags::CLIENT_PROTOCOL_41
            | CapabilityFlags::CLIENT_SECURE_CONNECTION
            | CapabilityFlags::CLIENT_PLUGIN_AUTH;
        if !greeting.capabilities().contains(required) {
            return Err(DbError::Unsupported("the server does not speak the 4.1 protocol with auth plugins".into()));
        }
        // FOUND_ROWS: an UPDATE counts the rows it matched, as elsewhere.
        let wanted = required
            | CapabilityFlags::CLIENT_LONG_PASSWORD
            | CapabilityFlags::CLIENT_LONG_FLAG
            | CapabilityFlags::CLIENT_FOUND_ROWS
            | CapabilityFlags::CLIENT_CONNECT_WITH_DB
            | CapabilityFlags::CLIENT_TRANSACTIONS
            | CapabilityFlags::CLIENT_MULTI_RESULTS
            | CapabilityFlags::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
            | CapabilityFlags::CLIENT_DEPRECATE_EOF;
        let mut nonce = greeting.scramble_1_ref().to_vec();
        nonce.extend_from_slice(greeting.scramble_2_ref().unwrap_or_default());
        nonce.resize(20, 0);
        let plugin = match greeting.auth_plugin() {
            Some(AuthPlugin::CachingSha2Password) => AuthPlugin::CachingSha2Password,
            _ => AuthPlugin::MysqlNativePassword,
        };
        let password = options.password.as_deref();
        let data = plugin.gen_data(password, &nonce);
        let response = HandshakeResponse::new(
            data.as_deref(),
            version,
            Some(options.user.as_bytes()),
            options.database.as_deref().map(str::as_bytes),
            Some(plugin),
            greeting.capabilities() & wanted,
            None,
            MAX_PACKET,
        );
        self.capabilities = response.capabilities();
        let mut payload = Vec::new();
        response.serialize(&mut payload);
        self.send_auth(&payload).await?;

        let mut switched = false;
        loop {
            let packet = self.read_packet().await?;
            match (packet.first(), packet.get(1)) {
                (Some(0x00), _) => return Ok(()),
                (Some(0xFF), _) => return Err(self.server_error(&packet)),
                // The server wants another plugin (once), with a new nonce.
                (Some(0xFE), _) if !switched => {
                    switched = true;
                    let switch = ParseBuf(&packet).parse::<AuthSwitchRequest>(()).map_err(protocol)?;
                    let data = match switch.auth_plugin() {
                        plugin @ (AuthPlugin::MysqlNativePassword | AuthPlugin::CachingSha2Password) => {
                            plugin.gen_data(password, switch.plugin_data()).map(|d| d.to_vec()).unwrap_or_default()
                        }
                        other => {
                            return Err(DbError::Unsupported(format!(
                                "the server asks for the {} authentication plugin; the edge speaks mysql_native_password and caching_sha2_password",
                                String::from_utf8_lossy(other.as_bytes())
                            )))
                        }
                    };
                    self.send_auth(&data).await?;
                }
                // caching_sha2_password: the fast path worked, the OK follows.
                (Some(0x01), Some(0x03)) => {}
                (Some(0x01), Some(0x04)) => {
                    return Err(DbError::Unsupported(
                        "caching_sha2_password wants its full exchange, which needs TLS: connect once with a TLS client so the server caches the password, or use mysql_native_password".into(),
                    ))
                }
                _ => return Err(protocol("an unexpected packet while authenticating")),
            }
        }
    }

    /// The prepare's answer: its statement's id, read from the statement
    /// packet; the definitions of its parameters and columns that follow
    /// are skipped (the execute sends its own).
    async fn read_prepare(&mut self) -> DbResult<Answer<u32>> {
        let packet = self.read_packet().await?;
        if packet.first() == Some(&0xFF) {
            return Ok(Err(self.server_error(&packet)));
        }
        let stmt = ParseBuf(&packet).parse::<StmtPacket>(()).map_err(protocol)?;
        for count in [stmt.num_params(), stmt.num_columns()] {
            if count > 0 {
                for _ in 0..count {
                    self.read_packet().await?;
                }
                self.skip_eof().await?;
            }
        }
        Ok(Ok(stmt.statement_id()))
    }

    /// The answer to a query or an execute: an OK (rows changed), a result
    /// set (binary rows for an execute; a query's text rows are dropped), or
    /// the server's error. Further result sets are read and dropped.
    async fn read_result(&mut self, binary: bool) -> DbResult<Answer<ResultSet>> {
        let mut first: Option<ResultSet> = None;
        loop {
            let packet = self.read_packet().await?;
            let more = match packet.first() {
                Some(0xFF) => return Ok(Err(self.server_error(&packet))),
                Some(0x00) => {
                    let ok: OkPacket = ParseBuf(&packet)
                        .parse::<OkPacketDeserializer<CommonOkPacket>>(self.capabilities)
                        .map_err(protocol)?
                        .into_inner();
                    first.get_or_insert_with(|| (Vec::new(), Vec::new(), ok.affected_rows()));
                    more_results(&ok)
                }
                Some(0xFB) => return Err(protocol("the server asked for a local file")),
                _ => {
                    let count = lenenc(&packet).ok_or_else(|| protocol("a bad column count"))?;
                    let mut columns = Vec::with_capacity(count.min(4096) as usize);
                    for _ in 0..count {
                        let packet = self.read_packet().await?;
                        columns.push(ParseBuf(&packet).parse::<Column>(()).map_err(protocol)?);
                    }
                    self.skip_eof().await?;
                    let columns: Arc<[Column]> = columns.into();
                    let mut found = Vec::new();
                    let more = loop {
                        let packet = self.read_packet().await?;
                        match packet.first() {
                            // 0xFE starts a text row only in a packet of 16 MB or more.
                            Some(0xFE) if packet.len() < MAX_PAYLOAD => break self.terminator(&packet)?,
                            Some(0xFF) => return Ok(Err(self.server_error(&packet))),
                            _ if binary => {
                                let row = ParseBuf(&packet)
                                    .parse::<RowDeserializer<ServerSide, Binary>>(columns.clone())
                                    .map_err(protocol)?;
                                // Row::unwrap hands over its values (it panics only
                                // on values taken out before: none here).
                                found.push(row.into_inner().unwrap());
                            }
                            _ => {}
                        }
                    };
                    first.get_or_insert_with(|| (columns.to_vec(), found, 0));
                    more
                }
            };
            if !more {
                return Ok(Ok(first.unwrap_or_default()));
            }
        }
    }

    /// Whether more result sets follow a result set's last packet.
    fn terminator(&self, packet: &[u8]) -> DbResult<bool> {
        let caps = self.capabilities;
        let ok: OkPacket = match caps.contains(CapabilityFlags::CLIENT_DEPRECATE_EOF) {
            true => ParseBuf(packet).parse::<OkPacketDeserializer<ResultSetTerminator>>(caps).map(|p| p.into_inner()),
            false => ParseBuf(packet).parse::<OkPacketDeserializer<OldEofPacket>>(caps).map(|p| p.into_inner()),
        }
        .map_err(protocol)?;
        Ok(more_results(&ok))
    }

    /// The EOF after definitions, which DEPRECATE_EOF leaves out.
    async fn skip_eof(&mut self) -> DbResult<()> {
        if !self.capabilities.contains(CapabilityFlags::CLIENT_DEPRECATE_EOF) {
            self.read_packet().await?;
        }
        Ok(())
    }

    fn server_error(&self, packet: &[u8]) -> DbError {
        match ParseBuf(packet).parse::<ErrPacket>(self.capabilities) {
            Ok(ErrPacket::Error(e)) => classify_server(e.error_code(), &e.message_str(), self.budget_ms),
            _ => protocol("an unreadable error packet"),
        }
    }

    /// One packet's payload (a long one's pieces joined).
    async fn read_packet(&mut self) -> DbResult<Vec<u8>> {
        let mut payload = Vec::new();
        loop {
            let mut header = [0u8; 4];
            self.stream.read_exact(&mut header).await.map_err(lost)?;
            let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
            self.seq = header[3].wrapping_add(1);
            let start = payload.len();
            payload.resize(start + len, 0);
            self.stream.read_exact(&mut payload[start..]).await.map_err(lost)?;
            if len < MAX_PAYLOAD {
                return Ok(payload);
            }
        }
    }

    /// A packet of the connection phase, numbered after the server's last.
    async fn send_auth(&mut self, payload: &[u8]) -> DbResult<()> {
        let mut out = Vec::with_capacity(payload.len() + 4);
        self.seq = frame(&mut out, self.seq, payload);
        self.send(&out).await
    }

    async fn send(&mut self, bytes: &[u8]) -> DbResult<()> {
        let stream = self.stream.get_mut();
        stream.write_all(bytes).await.map_err(lost)?;
        stream.flush().await.map_err(lost)
    }
}

/// Appends the execute of `statement` with `values` (texts and blobs too
/// long for one packet sent ahead as long data) and its close, which has
/// no answer.
fn execute_and_close(out: &mut Vec<u8>, statement: u32, values: &[My]) {
    let (request, as_long_data) = ComStmtExecuteRequestBuilder::new(statement).build(values);
    if as_long_data {
        for (i, value) in values.iter().enumerate() {
            if let My::Bytes(bytes) = value {
                // An empty value too: the execute then carries none of them.
                let empty: &[u8] = &[];
                let chunks = bytes.chunks(LONG_DATA_CHUNK);
                for chunk in chunks.chain(bytes.is_empty().then_some(empty)) {
                    let mut long = Vec::with_capacity(chunk.len() + 7);
                    ComStmtSendLongData::new(statement, i as u16, chunk).serialize(&mut long);
                    frame(out, 0, &long);
                }
            }
        }
    }
    let mut execute = Vec::new();
    request.serialize(&mut execute);
    frame(out, 0, &execute);
    let mut close = Vec::with_capacity(5);
    ComStmtClose::new(statement).serialize(&mut close);
    frame(out, 0, &close);
}

/// Appends `payload` as packets numbered from `seq` (one more, empty, when
/// it fills its last exactly); the next number.
fn frame(out: &mut Vec<u8>, mut seq: u8, payload: &[u8]) -> u8 {
    let mut rest = payload;
    loop {
        let n = rest.len().min(MAX_PAYLOAD);
        out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        out.push(seq);
        seq = seq.wrapping_add(1);
        out.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        if n < MAX_PAYLOAD {
            return seq;
        }
    }
}

fn more_results(ok: &OkPacket) -> bool {
    ok.status_flags().contains(StatusFlags::SERVER_MORE_RESULTS_EXISTS)
}

/// A length-encoded integer at the start of `packet`.
fn lenenc(packet: &[u8]) -> Option<u64> {
    let le = |n: usize| {
        let bytes = packet.get(1..1 + n)?;
        Some(bytes.iter().rev().fold(0u64, |acc, b| acc << 8 | u64::from(*b)))
    };
    match *packet.first()? {
        b @ 0..=0xFA => Some(u64::from(b)),
        0xFC => le(2),
        0xFD => le(3),
        0xFE => le(8),
        _ => None,
    }
}

fn lost(e: std::io::Error) -> DbError {
    DbError::Unavailable(format!("the MariaDB connection failed: {e}"))
}

fn protocol(e: impl std::fmt::Display) -> DbError {
    DbError::Unavailable(format!("MariaDB protocol error: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_connection_urls() {
        let o = Options::from_url("mysql://ro%40t:p%2Fss@db.example:3307/my%20db?ssl-mode=DISABLED").unwrap();
        assert_eq!(
            o,
            Options {
                host: "db.example".into(),
                port: 3307,
                user: "ro@t".into(),
                password: Some("p/ss".into()),
                database: Some("my db".into()),
                proxied: false,
            }
        );
        let o = Options::from_url("mariadb://root@127.0.0.1/").unwrap();
        assert_eq!((o.port, o.password, o.database), (3306, None, None));
        assert!(Options::from_url("postgres://h/db").is_err());
        assert!(matches!(Options::from_url("mysql://h/db?ssl-mode=REQUIRED"), Err(DbError::Unsupported(_))));
    }

    #[test]
    fn frames_long_payloads_in_pieces() {
        let mut out = Vec::new();
        assert_eq!(frame(&mut out, 0, b"ab"), 1);
        assert_eq!(out, [2, 0, 0, 0, b'a', b'b']);
        let payload = vec![7u8; MAX_PAYLOAD];
        let mut out = Vec::new();
        // Exactly one full piece: an empty one must follow.
        assert_eq!(frame(&mut out, 3, &payload), 5);
        assert_eq!(out.len(), 4 + MAX_PAYLOAD + 4);
        assert_eq!(&out[..4], &[0xFF, 0xFF, 0xFF, 3]);
        assert_eq!(&out[4 + MAX_PAYLOAD..], &[0, 0, 0, 4]);
    }

    #[test]
    fn reads_length_encoded_integers() {
        assert_eq!(lenenc(&[3]), Some(3));
        assert_eq!(lenenc(&[0xFC, 0x01, 0x02]), Some(0x0201));
        assert_eq!(lenenc(&[0xFD, 1, 0, 1]), Some(0x010001));
        assert_eq!(lenenc(&[0xFC, 1]), None);
        assert_eq!(lenenc(&[0xFF]), None);
    }
}
