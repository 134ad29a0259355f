//! The dashboard's map image, as an admin sets it from the dashboard: an uploaded PNG, JPEG
//! or WebP stored in the data directory (`map/image` + `map/map.json`), or the URL of one
//! hosted elsewhere, with the map box `[west, south, east, north]` it covers.
//!
//! Owns validation (size limit, content sniffed from the bytes, http(s) URLs only, sane
//! bounds), durable replacement (write a temp file, sync, rename, sync the directory; a
//! crash leaves the old image or the new one) and the effective setting: what the admin set
//! wins over `map_image_url` in the configuration. Never does HTTP.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// Largest accepted upload. A full-Dereth map at 2048×2048 is 1–4 MB as PNG or JPEG; this
/// leaves room for a sharper one while keeping the request inside the API body limit.
pub const MAX_MAP_IMAGE_BYTES: usize = 6 * 1024 * 1024;
/// Longest accepted image URL.
pub const MAX_URL_LEN: usize = 2_048;
/// The box covered by the usual full-Dereth map images (the community's 2040-px map and its
/// copies run edge to edge from 102 W/S to 102 E/N), pre-filled when no bounds are given.
pub const DEFAULT_BOUNDS: [f64; 4] = [-102.0, -102.0, 102.0, 102.0];
/// Bounds outside this are certainly a mistake (Dereth's coordinates stay within ±102).
const BOUNDS_LIMIT: f64 = 500.0;

const DIR: &str = "map";
const IMAGE_FILE: &str = "image";
const SETTINGS_FILE: &str = "map.json";

/// Where the image comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum MapImageSource {
    /// Stored in the data directory; `version` is the content hash (cache key).
    Upload { content_type: String, version: String, bytes: u64 },
    /// Hosted elsewhere.
    Url { url: String },
}

/// The admin's map image setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapImage {
    #[serde(flatten)]
    pub source: MapImageSource,
    /// `[west, south, east, north]` in map units.
    pub bounds: [f64; 4],
    pub updated_ms: i64,
}

#[derive(Debug)]
pub enum MapImageError {
    TooLarge { bytes: usize },
    UnsupportedType,
    BadUrl(&'static str),
    BadBounds,
    NotSet,
    Io(std::io::Error),
    Corrupt(serde_json::Error),
}

impl std::fmt::Display for MapImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MapImageError::TooLarge { bytes } => write!(
                f,
                "the image is {bytes} bytes; the limit is {MAX_MAP_IMAGE_BYTES} bytes (6 MiB): save it smaller or as JPEG/WebP"
            ),
            MapImageError::UnsupportedType => f.write_str("the file is not a PNG, JPEG or WebP image"),
            MapImageError::BadUrl(why) => write!(f, "map image URL: {why}"),
            MapImageError::BadBounds => f.write_str(
                "bounds: expected [west, south, east, north] finite map units with west < east and south < north, within ±500",
            ),
            MapImageError::NotSet => f.write_str("no map image has been set from the dashboard"),
            MapImageError::Io(e) => write!(f, "map image storage: {e}"),
            MapImageError::Corrupt(e) => write!(f, "map/map.json is unreadable: {e}"),
        }
    }
}

impl std::error::Error for MapImageError {}

impl From<std::io::Error> for MapImageError {
    fn from(e: std::io::Error) -> Self {
        MapImageError::Io(e)
    }
}

/// The stored setting, cached in memory (read on every `/api/version`).
pub struct MapImageStore {
    dir: PathBuf,
    current: RwLock<Option<MapImage>>,
}

impl MapImageStore {
    /// Opens `<data_dir>/map/` (created on first write) and reads the setting.
    pub fn open(data_dir: &Path) -> Result<Self, MapImageError> {
        let dir = data_dir.join(DIR);
        let current = match fs::read(dir.join(SETTINGS_FILE)) {
            Ok(bytes) => Some(serde_json::from_slice::<MapImage>(&bytes).map_err(MapImageError::Corrupt)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        Ok(MapImageStore { dir, current: RwLock::new(current) })
    }

    pub fn current(&self) -> Option<MapImage> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stores an uploaded image (its type sniffed from the bytes) with `bounds` or the
    /// default full-Dereth box.
    pub fn set_upload(&self, bytes: &[u8], bounds: Option<[f64; 4]>, now_ms: i64) -> Result<MapImage, MapImageError> {
        if bytes.len() > MAX_MAP_IMAGE_BYTES {
            return Err(MapImageError::TooLarge { bytes: bytes.len() });
        }
        let content_type = sniff_image(bytes).ok_or(MapImageError::UnsupportedType)?;
        let bounds = check_bounds(bounds.unwrap_or(DEFAULT_BOUNDS))?;
        let digest = Sha256::digest(bytes);
        let version: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        fs::create_dir_all(&self.dir)?;
        write_durably(&self.dir, IMAGE_FILE, bytes)?;
        let image = MapImage {
            source: MapImageSource::Upload { content_type: content_type.into(), version, bytes: bytes.len() as u64 },
            bounds,
            updated_ms: now_ms,
        };
        self.save(image)
    }

    /// Points the map at an image hosted elsewhere.
    pub fn set_url(&self, url: &str, bounds: Option<[f64; 4]>, now_ms: i64) -> Result<MapImage, MapImageError> {
        let url = url.trim();
        check_url(url)?;
        let bounds = check_bounds(bounds.unwrap_or(DEFAULT_BOUNDS))?;
        let image = MapImage { source: MapImageSource::Url { url: url.to_string() }, bounds, updated_ms: now_ms };
        let old_upload = matches!(self.current().map(|c| c.source), Some(MapImageSource::Upload { .. }));
        let saved = self.save(image)?;
        if old_upload {
            remove_if_present(&self.dir.join(IMAGE_FILE))?;
        }
        Ok(saved)
    }

    /// Moves the image on the map (the two reference points dragged in the dashboard).
    pub fn set_bounds(&self, bounds: [f64; 4], now_ms: i64) -> Result<MapImage, MapImageError> {
        let bounds = check_bounds(bounds)?;
        let mut image = self.current().ok_or(MapImageError::NotSet)?;
        image.bounds = bounds;
        image.updated_ms = now_ms;
        self.save(image)
    }

    /// Forgets the dashboard setting (the configuration's `map_image_url`, if any, applies again).
    pub fn clear(&self) -> Result<(), MapImageError> {
        remove_if_present(&self.dir.join(SETTINGS_FILE))?;
        remove_if_present(&self.dir.join(IMAGE_FILE))?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }

    /// The uploaded image's bytes and content type, if the setting is an upload.
    pub fn read_upload(&self) -> Result<Option<(Vec<u8>, String, String)>, MapImageError> {
        let Some(MapImage { source: MapImageSource::Upload { content_type, version, .. }, .. }) = self.current() else {
            return Ok(None);
        };
        let bytes = fs::read(self.dir.join(IMAGE_FILE))?;
        Ok(Some((bytes, content_type, version)))
    }

    fn save(&self, image: MapImage) -> Result<MapImage, MapImageError> {
        fs::create_dir_all(&self.dir)?;
        let json = serde_json::to_vec_pretty(&image).map_err(MapImageError::Corrupt)?;
        write_durably(&self.dir, SETTINGS_FILE, &json)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(image.clone());
        Ok(image)
    }
}

/// PNG, JPEG or WebP by magic bytes (a declared Content-Type is never trusted).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

fn check_url(url: &str) -> Result<(), MapImageError> {
    if url.len() > MAX_URL_LEN {
        return Err(MapImageError::BadUrl("longer than 2,048 characters"));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(MapImageError::BadUrl("expected an absolute http:// or https:// URL"));
    };
    if scheme != "http" && scheme != "https" {
        return Err(MapImageError::BadUrl("only http:// and https:// URLs are allowed"));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)) {
        return Err(MapImageError::BadUrl("the host part is empty or has characters a host cannot have"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\'' || c == ';') {
        return Err(MapImageError::BadUrl("contains spaces, quotes, ';' or control characters"));
    }
    Ok(())
}

fn check_bounds(b: [f64; 4]) -> Result<[f64; 4], MapImageError> {
    let [w, s, e, n] = b;
    let ok = b.iter().all(|v| v.is_finite() && v.abs() <= BOUNDS_LIMIT) && w < e && s < n;
    ok.then_some(b).ok_or(MapImageError::BadBounds)
}

fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), MapImageError> {
    let tmp = dir.join(format!("{name}.tmp"));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, dir.join(name))?;
    crate::durable::sync_dir(dir);
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), MapImageError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn upload_survives_reopen_with_default_bounds_and_a_content_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = MapImageStore::open(dir.path()).expect("open");
        assert!(store.current().is_none());
        let set = store.set_upload(PNG, None, 5).expect("upload");
        assert_eq!(set.bounds, DEFAULT_BOUNDS);
        let reopened = MapImageStore::open(dir.path()).expect("reopen");
        assert_eq!(reopened.current(), Some(set));
        let (bytes, ct, version) = reopened.read_upload().expect("read").expect("an upload");
        assert_eq!((bytes.as_slice(), ct.as_str(), version.len()), (PNG, "image/png", 16));
    }

    #[test]
    fn refuses_oversized_and_non_image_uploads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = MapImageStore::open(dir.path()).expect("open");
        let big = vec![0xFFu8; MAX_MAP_IMAGE_BYTES + 1];
        assert!(matches!(store.set_upload(&big, None, 1), Err(MapImageError::TooLarge { .. })));
        assert!(matches!(store.set_upload(b"<svg onload=alert(1)>", None, 1), Err(MapImageError::UnsupportedType)));
        assert!(store.current().is_none(), "a refused upload changes nothing");
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
    }

    #[test]
    fn url_replaces_an_upload_and_bad_urls_or_bounds_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = MapImageStore::open(dir.path()).expect("open");
        store.set_upload(PNG, Some([-100.0, -90.0, 100.0, 95.0]), 1).expect("upload");
        for bad in ["javascript:alert(1)", "ftp://x/y.png", "https:///nohost", "https://a b/c.png", "https://x/a\".png"]
        {
            assert!(matches!(store.set_url(bad, None, 2), Err(MapImageError::BadUrl(_))), "{bad}");
        }
        assert!(matches!(
            store.set_url("https://x.org/m.png", Some([5.0, 0.0, 1.0, 9.0]), 2),
            Err(MapImageError::BadBounds)
        ));
        let set = store.set_url("https://maps.example.org/dereth.jpg", None, 3).expect("url");
        assert_eq!(set.source, MapImageSource::Url { url: "https://maps.example.org/dereth.jpg".into() });
        assert!(!dir.path().join(DIR).join(IMAGE_FILE).exists(), "the old upload is removed");
        assert!(store.read_upload().expect("read").is_none());
    }

    #[test]
    fn bounds_move_and_clear_forgets_everything() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = MapImageStore::open(dir.path()).expect("open");
        assert!(matches!(store.set_bounds(DEFAULT_BOUNDS, 1), Err(MapImageError::NotSet)));
        store.set_upload(PNG, None, 1).expect("upload");
        let moved = store.set_bounds([-101.5, -100.0, 102.5, 103.0], 2).expect("bounds");
        assert_eq!(moved.bounds, [-101.5, -100.0, 102.5, 103.0]);
        assert!(matches!(store.set_bounds([f64::NAN, 0.0, 1.0, 1.0], 3), Err(MapImageError::BadBounds)));
        store.clear().expect("clear");
        assert!(store.current().is_none());
        assert!(MapImageStore::open(dir.path()).expect("reopen").current().is_none());
    }
}
