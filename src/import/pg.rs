//! Reading the old PostgreSQL databases: discovering tables and columns, and streaming each
//! table with `COPY … TO STDOUT (FORMAT binary)` (tokio-postgres), so memory holds one row
//! at a time whatever the table's size.
//!
//! Owns the connection (plain TCP or a Unix socket, from a `postgres://` URL or a libpq
//! key=value string; TLS is not built in) and the conversion of binary column values into
//! JSON values for the tolerant decoders. Never writes to the old databases: it runs
//! `SELECT`s and `COPY … TO` only.

use super::columns::{self, TableKind};
use super::{ImportError, Importer};
use futures_util::StreamExt;
use serde_json::Value;
use tokio_postgres::binary_copy::BinaryCopyOutStream;
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::{Client, NoTls};

/// Column types read in their binary form; every other type is cast to text in the query.
const NATIVE: &[&str] = &[
    "int2",
    "int4",
    "int8",
    "float4",
    "float8",
    "bool",
    "text",
    "varchar",
    "bpchar",
    "name",
    "timestamptz",
    "timestamp",
    "json",
    "jsonb",
];
/// Microseconds from the Unix epoch to PostgreSQL's epoch (2000-01-01).
const PG_EPOCH_MS: i64 = 946_684_800_000;

/// One table of the old database.
struct Table {
    schema: String,
    name: String,
    columns: Vec<String>,
    types: Vec<String>,
}

impl Table {
    fn qualified(&self) -> String {
        format!("{}.{}", quote(&self.schema), quote(&self.name))
    }

    fn label(&self) -> String {
        if self.schema == "public" { self.name.clone() } else { format!("{}.{}", self.schema, self.name) }
    }
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Parses a `postgres://` URL or libpq key=value string and refuses one that asks for TLS
/// (this build has no TLS client for PostgreSQL) with one line saying how to connect
/// instead. The URL's password never appears in an error.
fn parse_url(url: &str, what: &str) -> Result<tokio_postgres::Config, ImportError> {
    let no_tls = |mode: &str| {
        ImportError::Usage(format!(
            "{what}: sslmode={mode} asks for TLS, which the importer does not support: connect over the server's Unix socket \
             (postgres://USER@%2Fvar%2Frun%2Fpostgresql/DB), over plain TCP on a trusted network (sslmode=disable or prefer), \
             or through an SSH tunnel (ssh -L 5433:localhost:5432 HOST, then postgres://USER@127.0.0.1:5433/DB)"
        ))
    };
    // tokio-postgres does not know the verifying modes and would only say "invalid value".
    let lower = url.to_ascii_lowercase();
    for mode in ["verify-full", "verify-ca"] {
        if lower.contains(&format!("sslmode={mode}")) || lower.contains(&format!("sslmode = {mode}")) {
            return Err(no_tls(mode));
        }
    }
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| ImportError::Usage(format!("{what}: not a PostgreSQL URL or connection string ({e})")))?;
    if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        return Err(no_tls("require"));
    }
    Ok(config)
}

/// Connects over plain TCP or a Unix socket.
async fn connect(url: &str, what: &str) -> Result<Client, ImportError> {
    let config = parse_url(url, what)?;
    let (client, connection) =
        config.connect(NoTls).await.map_err(|e| ImportError::Source(format!("{what}: cannot connect: {e}")))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "old database connection ended");
        }
    });
    Ok(client)
}

async fn tables(client: &Client) -> Result<Vec<Table>, ImportError> {
    let rows = client
        .query(
            "SELECT c.table_schema::text, c.table_name::text, c.column_name::text, c.udt_name::text
             FROM information_schema.columns c
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE t.table_type = 'BASE TABLE'
               AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
               AND c.table_schema NOT LIKE '\\_timescaledb%' AND c.table_schema NOT LIKE 'timescaledb%'
               AND c.table_schema NOT LIKE 'pg\\_%'
             ORDER BY c.table_schema, c.table_name, c.ordinal_position",
            &[],
        )
        .await
        .map_err(|e| ImportError::Source(format!("listing tables: {e}")))?;
    let mut out: Vec<Table> = Vec::new();
    for r in rows {
        let (schema, name, column, udt): (String, String, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
        match out.last_mut() {
            Some(t) if t.schema == schema && t.name == name => {
                t.columns.push(column);
                t.types.push(udt);
            }
            _ => out.push(Table { schema, name, columns: vec![column], types: vec![udt] }),
        }
    }
    Ok(out)
}

async fn estimate_rows(client: &Client, table: &Table) -> Option<u64> {
    let q = "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = $1::text::regclass";
    let est: i64 = client.query_one(q, &[&table.qualified()]).await.ok()?.get(0);
    if est > 0 {
        return Some(est as u64);
    }
    let n: i64 = client.query_one(&format!("SELECT count(*) FROM {}", table.qualified()), &[]).await.ok()?.get(0);
    Some(n as u64)
}

/// Every table of `dereth` that exists, in an order where nothing depends on a later one.
pub async fn import_telemetry_db(imp: &mut Importer, url: &str) -> Result<(), ImportError> {
    let client = connect(url, "--telemetry-db").await?;
    let mut all = tables(&client).await?;
    let rank = |k: TableKind| match k {
        TableKind::Telemetry => 0,
        TableKind::Rare => 1,
        TableKind::Spawn => 2,
        TableKind::Portal => 3,
        TableKind::CharacterStats => 4,
        TableKind::CombatStats => 5,
        TableKind::Users => 6,
        TableKind::Aggregate | TableKind::Unknown => 7,
    };
    all.sort_by_key(|t| rank(columns::classify(&t.name, &t.columns)));
    for table in all {
        let kind = columns::classify(&table.name, &table.columns);
        match kind {
            k if k.is_event() => copy_events(imp, &client, &table, kind).await?,
            TableKind::Users => {
                let mut users = super::state::UserImport::new(&table.label(), &table.columns);
                let total = estimate_rows(&client, &table).await;
                let mut progress = imp.progress(&table.label(), total);
                let mut n = 0;
                copy_rows(&client, &table.qualified_select(), &table, |row| {
                    n += 1;
                    progress.tick(n);
                    users.row(imp, row)
                })
                .await?;
                progress.finish(n);
                users.finish(imp);
            }
            TableKind::Aggregate => imp.report.tables.push(super::TableReport {
                table: table.label(),
                kind: kind.name().into(),
                not_imported: Some(
                    "per-character totals without times: Overlord derives totals from the events".into(),
                ),
                ..Default::default()
            }),
            _ => imp.report.tables.push(super::TableReport {
                table: table.label(),
                kind: kind.name().into(),
                not_imported: Some("not a table Overlord knows (see docs/migration.md)".into()),
                ..Default::default()
            }),
        }
    }
    Ok(())
}

async fn copy_events(imp: &mut Importer, client: &Client, table: &Table, kind: TableKind) -> Result<(), ImportError> {
    let (mut dec, mut tr) = imp.begin_events(&table.label(), kind, &table.columns);
    if tr.not_imported.is_some() {
        imp.report.tables.push(tr);
        return Ok(());
    }
    let started = std::time::Instant::now();
    let total = estimate_rows(client, table).await;
    let mut progress = imp.progress(&table.label(), total);
    let mut result = Ok(());
    copy_rows(client, &table.qualified_select(), table, |row| {
        let r = imp.event_row(&mut dec, &mut tr, row);
        progress.tick(tr.rows_read);
        if let Err(e) = r {
            result = Err(e);
        }
        Ok(())
    })
    .await?;
    progress.finish(tr.rows_read);
    tr.seconds = started.elapsed().as_secs_f64();
    imp.report.tables.push(tr);
    result
}

impl Table {
    /// `SELECT` of every column, non-native types cast to text.
    fn qualified_select(&self) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .zip(&self.types)
            .map(|(c, t)| if NATIVE.contains(&t.as_str()) { quote(c) } else { format!("{}::text", quote(c)) })
            .collect();
        format!("SELECT {} FROM {}", cols.join(", "), self.qualified())
    }

    fn wire_types(&self) -> Vec<Type> {
        self.types.iter().map(|t| wire_type(t)).collect()
    }
}

fn wire_type(udt: &str) -> Type {
    match udt {
        "int2" => Type::INT2,
        "int4" => Type::INT4,
        "int8" => Type::INT8,
        "float4" => Type::FLOAT4,
        "float8" => Type::FLOAT8,
        "bool" => Type::BOOL,
        "varchar" => Type::VARCHAR,
        "bpchar" => Type::BPCHAR,
        "name" => Type::NAME,
        "timestamptz" => Type::TIMESTAMPTZ,
        "timestamp" => Type::TIMESTAMP,
        "json" => Type::JSON,
        "jsonb" => Type::JSONB,
        _ => Type::TEXT,
    }
}

/// Any column value, undecoded.
struct Raw<'a>(&'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Streams `select` with binary COPY; `f` gets each row's values (taken by the decoder).
async fn copy_rows(
    client: &Client,
    select: &str,
    table: &Table,
    mut f: impl FnMut(&mut [Value]) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let types = table.wire_types();
    let sql = format!("COPY ({select}) TO STDOUT (FORMAT binary)");
    let stream = client.copy_out(&sql).await.map_err(|e| ImportError::Source(format!("{}: {e}", table.label())))?;
    let rows = BinaryCopyOutStream::new(stream, &types);
    let mut rows = std::pin::pin!(rows);
    let mut values = vec![Value::Null; types.len()];
    while let Some(row) = rows.next().await {
        let row = row.map_err(|e| ImportError::Source(format!("{}: {e}", table.label())))?;
        for (i, ty) in types.iter().enumerate() {
            let raw: Option<Raw<'_>> =
                row.try_get(i).map_err(|e| ImportError::Source(format!("{} column {i}: {e}", table.label())))?;
            values[i] = match raw {
                None => Value::Null,
                Some(Raw(bytes)) => to_value(ty, bytes),
            };
        }
        f(&mut values)?;
    }
    Ok(())
}

/// One binary column value as JSON. Times become unix milliseconds; JSON is parsed; a value
/// that does not decode becomes `Null` (the row decoder then reports what it lacks).
fn to_value(ty: &Type, b: &[u8]) -> Value {
    let be8 = |b: &[u8]| b.try_into().ok().map(i64::from_be_bytes);
    if *ty == Type::INT2 {
        b.try_into().ok().map(i16::from_be_bytes).map(Value::from).unwrap_or(Value::Null)
    } else if *ty == Type::INT4 {
        b.try_into().ok().map(i32::from_be_bytes).map(Value::from).unwrap_or(Value::Null)
    } else if *ty == Type::INT8 {
        be8(b).map(Value::from).unwrap_or(Value::Null)
    } else if *ty == Type::FLOAT4 {
        b.try_into().ok().map(f32::from_be_bytes).map(|f| Value::from(f64::from(f))).unwrap_or(Value::Null)
    } else if *ty == Type::FLOAT8 {
        b.try_into().ok().map(f64::from_be_bytes).map(Value::from).unwrap_or(Value::Null)
    } else if *ty == Type::BOOL {
        b.first().map(|v| Value::Bool(*v != 0)).unwrap_or(Value::Null)
    } else if *ty == Type::TIMESTAMPTZ || *ty == Type::TIMESTAMP {
        match be8(b) {
            // ±infinity are the extremes of i64.
            Some(us) if us != i64::MAX && us != i64::MIN => Value::from(us.div_euclid(1000) + PG_EPOCH_MS),
            _ => Value::Null,
        }
    } else if *ty == Type::JSON {
        serde_json::from_slice(b).unwrap_or(Value::Null)
    } else if *ty == Type::JSONB {
        b.split_first().and_then(|(_, rest)| serde_json::from_slice(rest).ok()).unwrap_or(Value::Null)
    } else {
        Value::String(String::from_utf8_lossy(b).into_owned())
    }
}

/// `inventory_db`: each character's items as one full dump, preferring the raw-data table's
/// JSON (the plugin's own item) over the normalized columns.
pub async fn import_inventory_db(imp: &mut Importer, url: &str) -> Result<(), ImportError> {
    let client = connect(url, "--inventory-db").await?;
    let all = tables(&client).await?;
    let Some(items) = all.iter().find(|t| t.name.eq_ignore_ascii_case("items")) else {
        imp.report.tables.push(super::TableReport {
            table: "items".into(),
            kind: "items".into(),
            not_imported: Some("the inventory database has no table `items`".into()),
            ..Default::default()
        });
        return Ok(());
    };
    let has = |t: &Table, c: &str| t.columns.iter().any(|x| x.eq_ignore_ascii_case(c));
    let pk = if has(items, "id") { Some("id") } else { None };
    let owner = items
        .columns
        .iter()
        .find(|c| matches!(c.to_ascii_lowercase().as_str(), "character_name" | "owner" | "character" | "player_name"))
        .cloned()
        .ok_or_else(|| ImportError::Source("items has no character_name column".into()))?;
    // Side tables keyed by item: raw JSON first, spells as a list, the rest one row each.
    let mut extra_cols = Vec::new();
    let mut extra_names = Vec::new();
    let mut side_report = Vec::new();
    for t in all.iter().filter(|t| !t.name.eq_ignore_ascii_case("items")) {
        let (Some(pk), true) = (pk, has(t, "item_id")) else {
            side_report.push(t.label());
            continue;
        };
        let lname = t.name.to_ascii_lowercase();
        let expr = if lname.contains("spell") {
            let col = ["spell_id", "spell", "id"].iter().find(|c| has(t, c)).copied().unwrap_or("spell_id");
            format!(
                "(SELECT json_agg(x.{}) FROM {} x WHERE x.item_id = i.{})::text",
                quote(col),
                t.qualified(),
                quote(pk)
            )
        } else {
            format!("(SELECT row_to_json(x) FROM {} x WHERE x.item_id = i.{} LIMIT 1)::text", t.qualified(), quote(pk))
        };
        extra_cols.push(expr);
        extra_names.push(if lname.contains("raw") {
            "__raw".to_string()
        } else if lname.contains("spell") {
            "__spells".to_string()
        } else {
            format!("__side_{lname}")
        });
    }
    let mut cols: Vec<String> = items.columns.iter().map(|c| format!("i.{}::text", quote(c))).collect();
    cols.extend(extra_cols);
    let select = format!("SELECT {} FROM {} i ORDER BY i.{}", cols.join(", "), items.qualified(), quote(&owner));
    let mut names = items.columns.clone();
    names.extend(extra_names);
    let virtual_table = Table {
        schema: items.schema.clone(),
        name: items.name.clone(),
        columns: names.clone(),
        types: vec!["text".into(); names.len()],
    };
    let total = estimate_rows(&client, items).await;
    let mut progress = imp.progress("items", total);
    let mut inv = super::state::ItemImport::new(imp, &names)?;
    let mut n = 0;
    copy_rows(&client, &select, &virtual_table, |row| {
        n += 1;
        progress.tick(n);
        inv.row(imp, row)
    })
    .await?;
    progress.finish(n);
    inv.finish(imp)?;
    for t in side_report {
        imp.report.tables.push(super::TableReport {
            table: t,
            kind: "items".into(),
            not_imported: Some("no item_id column linking it to items".into()),
            ..Default::default()
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(url: &str) -> String {
        match parse_url(url, "--telemetry-db") {
            Err(ImportError::Usage(m)) => m,
            other => panic!("{url}: expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn tls_urls_are_refused_in_one_line_naming_the_alternatives() {
        for url in [
            "postgres://u:secretpw@db.example:5432/dereth?sslmode=require",
            "postgresql://u:secretpw@db.example/dereth?sslmode=verify-full",
            "host=db.example user=u password=secretpw dbname=dereth sslmode=verify-ca",
        ] {
            let m = refusal(url);
            assert!(m.contains("does not support") && m.contains("TLS"), "{m}");
            assert!(m.contains("Unix socket") && m.contains("SSH tunnel"), "{m}");
            assert!(!m.contains('\n') && !m.contains("secretpw"), "{m}");
        }
    }

    #[test]
    fn plain_tcp_and_unix_socket_forms_parse() {
        use tokio_postgres::config::Host;
        let c = parse_url("postgres://u@127.0.0.1:5433/dereth", "x").expect("tcp");
        assert_eq!(c.get_hosts(), &[Host::Tcp("127.0.0.1".into())]);
        let c = parse_url("postgres://u@%2Fvar%2Frun%2Fpostgresql/dereth", "x").expect("socket url");
        assert_eq!(c.get_hosts(), &[Host::Unix("/var/run/postgresql".into())]);
        let c = parse_url("host=/tmp port=5433 user=u dbname=dereth", "x").expect("key=value");
        assert_eq!(c.get_hosts(), &[Host::Unix("/tmp".into())]);
        assert!(parse_url("postgres://u@127.0.0.1/dereth?sslmode=disable", "x").is_ok());
        assert!(parse_url("postgres://u@127.0.0.1/dereth?sslmode=prefer", "x").is_ok());
    }
}
