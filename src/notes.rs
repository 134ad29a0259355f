//! The group's notes board: short titled notes, open or done, in `state.redb`.
//!
//! Owns validation (title ≤ 200 chars, body ≤ 10,000), who may change a note (its
//! author, or an admin), and storage. Never does HTTP.

use redb::{Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

const NOTES: TableDefinition<u64, &[u8]> = TableDefinition::new("notes");
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 10_000;
/// The board stops accepting new notes past this many (delete done ones to make room).
pub const MAX_NOTES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Note {
    pub id: u64,
    pub title: String,
    pub body: String,
    pub author: String,
    pub state: NoteState,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub enum NoteState {
    Open,
    Done,
}

/// Who is changing a note. Members edit and delete the notes they wrote; admins any note.
#[derive(Debug, Clone, Copy)]
pub struct Editor<'a> {
    pub username: &'a str,
    pub is_admin: bool,
}

impl Editor<'_> {
    fn may_change(&self, note: &Note) -> bool {
        self.is_admin || note.author.to_lowercase() == self.username.to_lowercase()
    }
}

#[derive(Debug, PartialEq)]
pub enum NoteError {
    Invalid(String),
    /// The editor is neither the note's author nor an admin.
    Forbidden(u64),
    NotFound(u64),
    Full,
    Storage(String),
}

impl std::fmt::Display for NoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoteError::Invalid(m) => f.write_str(m),
            NoteError::NotFound(id) => write!(f, "no note with id {id}"),
            NoteError::Forbidden(id) => {
                write!(f, "note {id} was written by another member: only its author or an admin may change it")
            }
            NoteError::Full => write!(f, "the board holds {MAX_NOTES} notes; delete some first"),
            NoteError::Storage(m) => write!(f, "storage: {m}"),
        }
    }
}

fn storage(e: impl std::fmt::Display) -> NoteError {
    NoteError::Storage(e.to_string())
}

fn validate(title: Option<&str>, body: Option<&str>) -> Result<(), NoteError> {
    if let Some(t) = title {
        if t.trim().is_empty() {
            return Err(NoteError::Invalid("title must not be empty".into()));
        }
        if t.chars().count() > MAX_TITLE_CHARS {
            return Err(NoteError::Invalid(format!("title is longer than {MAX_TITLE_CHARS} characters")));
        }
    }
    if body.is_some_and(|b| b.chars().count() > MAX_BODY_CHARS) {
        return Err(NoteError::Invalid(format!("body is longer than {MAX_BODY_CHARS} characters")));
    }
    Ok(())
}

pub fn list(db: &Database, state: Option<NoteState>) -> Result<Vec<Note>, NoteError> {
    let txn = db.begin_read().map_err(storage)?;
    let table = match txn.open_table(NOTES) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(storage(e)),
    };
    let mut out = Vec::new();
    for entry in table.iter().map_err(storage)? {
        let (_, v) = entry.map_err(storage)?;
        if let Ok(n) = serde_json::from_slice::<Note>(v.value())
            && state.is_none_or(|s| s == n.state)
        {
            out.push(n);
        }
    }
    out.sort_by_key(|n| std::cmp::Reverse(n.updated_ms));
    Ok(out)
}

fn write(
    db: &Database,
    f: impl FnOnce(&mut redb::Table<u64, &[u8]>) -> Result<Note, NoteError>,
) -> Result<Note, NoteError> {
    let mut txn = db.begin_write().map_err(storage)?;
    txn.set_durability(Durability::Immediate).map_err(storage)?;
    let note = {
        let mut t = txn.open_table(NOTES).map_err(storage)?;
        f(&mut t)?
    };
    txn.commit().map_err(storage)?;
    Ok(note)
}

pub fn create(db: &Database, title: &str, body: &str, author: &str, now_ms: i64) -> Result<Note, NoteError> {
    validate(Some(title), Some(body))?;
    write(db, |t| {
        if t.len().map_err(storage)? as usize >= MAX_NOTES {
            return Err(NoteError::Full);
        }
        let id = t.last().map_err(storage)?.map(|(k, _)| k.value() + 1).unwrap_or(1);
        let note = Note {
            id,
            title: title.trim().to_string(),
            body: body.to_string(),
            author: author.to_string(),
            state: NoteState::Open,
            created_ms: now_ms,
            updated_ms: now_ms,
        };
        t.insert(id, serde_json::to_vec(&note).map_err(storage)?.as_slice()).map_err(storage)?;
        Ok(note)
    })
}

pub fn get(db: &Database, id: u64) -> Result<Note, NoteError> {
    list(db, None)?.into_iter().find(|n| n.id == id).ok_or(NoteError::NotFound(id))
}

pub fn update(
    db: &Database,
    id: u64,
    editor: Editor<'_>,
    title: Option<&str>,
    body: Option<&str>,
    state: Option<NoteState>,
    now_ms: i64,
) -> Result<Note, NoteError> {
    validate(title, body)?;
    write(db, |t| {
        let mut note: Note = match t.get(id).map_err(storage)? {
            Some(v) => serde_json::from_slice(v.value()).map_err(storage)?,
            None => return Err(NoteError::NotFound(id)),
        };
        if !editor.may_change(&note) {
            return Err(NoteError::Forbidden(id));
        }
        if let Some(x) = title {
            note.title = x.trim().to_string();
        }
        if let Some(x) = body {
            note.body = x.to_string();
        }
        if let Some(s) = state {
            note.state = s;
        }
        note.updated_ms = now_ms;
        t.insert(id, serde_json::to_vec(&note).map_err(storage)?.as_slice()).map_err(storage)?;
        Ok(note)
    })
}

pub fn delete(db: &Database, id: u64, editor: Editor<'_>) -> Result<Note, NoteError> {
    write(db, |t| {
        let note: Note = match t.get(id).map_err(storage)? {
            Some(v) => serde_json::from_slice(v.value()).map_err(storage)?,
            None => return Err(NoteError::NotFound(id)),
        };
        if !editor.may_change(&note) {
            return Err(NoteError::Forbidden(id));
        }
        t.remove(id).map_err(storage)?;
        Ok(note)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_created_updated_listed_and_deleted() {
        let tmp = tempfile::tempdir().unwrap();
        let db = Database::create(tmp.path().join("s.redb")).unwrap();
        let a = create(&db, "Gaerlan run", "Saturday", "alice", 1).unwrap();
        let b = create(&db, "Buy tapers", "", "bob", 2).unwrap();
        assert_eq!((a.id, b.id), (1, 2));
        update(&db, a.id, ALICE, None, None, Some(NoteState::Done), 3).unwrap();
        assert_eq!(list(&db, Some(NoteState::Open)).unwrap(), vec![b.clone()]);
        assert_eq!(list(&db, None).unwrap().len(), 2);
        delete(&db, b.id, ADMIN).unwrap();
        assert_eq!(delete(&db, b.id, ADMIN), Err(NoteError::NotFound(2)));
    }

    const ALICE: Editor = Editor { username: "alice", is_admin: false };
    const ADMIN: Editor = Editor { username: "root", is_admin: true };

    #[test]
    fn members_change_only_their_own_notes_and_admins_any() {
        let tmp = tempfile::tempdir().unwrap();
        let db = Database::create(tmp.path().join("s.redb")).unwrap();
        let bobs = create(&db, "Bob's plan", "", "bob", 1).unwrap();
        let alices = create(&db, "Alice's plan", "", "alice", 1).unwrap();
        assert_eq!(update(&db, bobs.id, ALICE, Some("mine now"), None, None, 2), Err(NoteError::Forbidden(bobs.id)));
        assert_eq!(delete(&db, bobs.id, ALICE), Err(NoteError::Forbidden(bobs.id)));
        assert_eq!(get(&db, bobs.id).unwrap().title, "Bob's plan");
        let upper = Editor { username: "ALICE", is_admin: false };
        assert_eq!(update(&db, alices.id, upper, Some("renamed"), None, None, 2).unwrap().title, "renamed");
        assert_eq!(update(&db, bobs.id, ADMIN, None, None, Some(NoteState::Done), 3).unwrap().state, NoteState::Done);
        delete(&db, bobs.id, ADMIN).unwrap();
    }

    #[test]
    fn limits_are_enforced() {
        let tmp = tempfile::tempdir().unwrap();
        let db = Database::create(tmp.path().join("s.redb")).unwrap();
        assert!(matches!(create(&db, " ", "", "a", 1), Err(NoteError::Invalid(_))));
        assert!(matches!(create(&db, &"t".repeat(201), "", "a", 1), Err(NoteError::Invalid(_))));
        assert!(matches!(create(&db, "t", &"b".repeat(10_001), "a", 1), Err(NoteError::Invalid(_))));
    }
}
