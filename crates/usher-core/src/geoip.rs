//! Where an address is, from an optional MaxMind DB file (GeoLite2 or
//! GeoIP2, City or Country layout): the location a session records.
//!
//! The file is read into memory once, at start; opening it checks its
//! metadata and the layout of its search tree, so a missing or foreign file
//! is refused then. After that a lookup never fails a caller: an address the
//! database has no record for (private, reserved, unknown) and a record that
//! cannot be decoded both answer `None`, the latter logged at debug level.

use std::net::IpAddr;
use std::path::Path;

/// Longest location text kept; names in real databases are far shorter.
const MAX_LOCATION_CHARS: usize = 200;

/// Why a GeoIP database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum GeoIpError {
    #[error("cannot read the file: {0}")]
    Read(#[source] std::io::Error),
    #[error("not a valid MaxMind DB file: {0}")]
    Invalid(String),
}

/// An opened MaxMind DB.
pub struct GeoIp {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let meta = self.reader.metadata();
        f.debug_struct("GeoIp")
            .field("database_type", &meta.database_type)
            .field("build_epoch", &meta.build_epoch)
            .field("node_count", &meta.node_count)
            .finish()
    }
}

impl GeoIp {
    /// Reads and checks the database at `path`.
    pub fn open(path: &Path) -> Result<Self, GeoIpError> {
        let bytes = std::fs::read(path).map_err(GeoIpError::Read)?;
        Self::from_bytes(bytes)
    }

    /// Checks a database already in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, GeoIpError> {
        let reader = maxminddb::Reader::from_source(bytes)
            .map_err(|e| GeoIpError::Invalid(e.to_string()))?;
        Ok(Self { reader })
    }

    /// The `database_type` of the metadata, e.g. `GeoLite2-City`.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// Whether the database looks like one of the City or Country layouts
    /// this module reads names from.
    pub fn has_known_layout(&self) -> bool {
        let t = self.database_type();
        t.contains("City") || t.contains("Country")
    }

    /// "City, Country", or only the country (or only the city) where the
    /// record has one name; `None` where the database has no English name
    /// for `ip`.
    pub fn locate(&self, ip: IpAddr) -> Option<String> {
        // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d;
        // databases file it under its IPv4 address.
        let ip = ip.to_canonical();
        let found = match self.reader.lookup(ip) {
            Ok(found) => found,
            Err(e) => {
                // An IPv6 address in an IPv4-only database, or a corrupt tree.
                tracing::debug!(error = %e, "GeoIP lookup failed");
                return None;
            }
        };
        if !found.has_data() {
            return None;
        }
        let name = |place: &str| -> Option<String> {
            match found.decode_path::<&str>(&[
                maxminddb::PathElement::Key(place),
                maxminddb::PathElement::Key("names"),
                maxminddb::PathElement::Key("en"),
            ]) {
                Ok(name) => name.map(clean).filter(|n| !n.is_empty()),
                Err(e) => {
                    tracing::debug!(error = %e, place, "GeoIP record not readable");
                    None
                }
            }
        };
        match (name("city"), name("country")) {
            (Some(city), Some(country)) => Some(format!("{city}, {country}")),
            (one, other) => one.or(other),
        }
    }
}

/// A name as stored: no control characters, bounded length.
fn clean(name: &str) -> String {
    name.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LOCATION_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_refused_as_unreadable() {
        let err = GeoIp::open(Path::new("/nonexistent/geo.mmdb")).unwrap_err();
        assert!(matches!(err, GeoIpError::Read(_)), "{err}");
    }

    #[test]
    fn bytes_without_metadata_are_not_a_database() {
        let err = GeoIp::from_bytes(b"just some text, no marker".to_vec()).unwrap_err();
        assert!(matches!(err, GeoIpError::Invalid(_)), "{err}");
    }

    #[test]
    fn names_lose_control_characters_and_length() {
        assert_eq!(clean(" Zu\u{0}rich\n "), "Zurich");
        assert_eq!(clean(&"x".repeat(500)).len(), MAX_LOCATION_CHARS);
    }
}
