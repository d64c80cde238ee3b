//! A small MaxMind DB (format 2.0) writer for tests: a handful of networks
//! with GeoIP2-shaped records, written the way real databases are (one
//! binary search tree over IPv6 with IPv4 under `::/96`, a data section
//! where repeated strings become pointers, the metadata after its marker).
//!
//! It writes what tests need and no more: no merging of adjacent networks,
//! no aliases of `::ffff:0:0/96`, and a network inserted over a smaller one
//! replaces it.

use std::collections::HashMap;
use std::net::IpAddr;

/// The bytes that start the metadata section.
const METADATA_MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";

/// A value of the data section.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Double(f64),
    U16(u16),
    U32(u32),
    U64(u64),
    Map(Vec<(String, Value)>),
    Array(Vec<Value>),
    Bool(bool),
}

impl Value {
    /// A map from string keys.
    pub fn map<const N: usize>(pairs: [(&str, Value); N]) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    pub fn str(s: &str) -> Value {
        Value::Str(s.to_owned())
    }
}

/// A GeoIP2 City record with English (and German) names.
pub fn city_record(city: &str, country: &str, iso_code: &str) -> Value {
    Value::map([
        ("city", place(None, city, 2_643_743)),
        ("country", place(Some(iso_code), country, 2_635_167)),
        (
            "location",
            Value::map([
                ("latitude", Value::Double(51.5)),
                ("longitude", Value::Double(-0.12)),
                ("accuracy_radius", Value::U16(100)),
            ]),
        ),
        (
            "subdivisions",
            Value::Array(vec![place(Some("ENG"), "England", 6_269_131)]),
        ),
    ])
}

/// A GeoIP2 Country record (no city).
pub fn country_record(country: &str, iso_code: &str) -> Value {
    Value::map([
        (
            "continent",
            Value::map([("code", Value::str("EU")), ("names", names("Europe"))]),
        ),
        ("country", place(Some(iso_code), country, 2_921_044)),
        ("is_in_european_union", Value::Bool(true)),
    ])
}

fn names(en: &str) -> Value {
    Value::map([
        ("de", Value::Str(format!("{en} (de)"))),
        ("en", Value::str(en)),
    ])
}

fn place(iso_code: Option<&str>, name: &str, geoname_id: u32) -> Value {
    let mut pairs = vec![("geoname_id".to_owned(), Value::U32(geoname_id))];
    if let Some(code) = iso_code {
        pairs.push(("iso_code".to_owned(), Value::str(code)));
    }
    pairs.push(("names".to_owned(), names(name)));
    Value::Map(pairs)
}

/// A child of a search-tree node while the tree is built.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Child {
    Empty,
    Node(usize),
    Data(usize),
}

/// Networks and their records, written out by [`MmdbWriter::build`].
#[derive(Debug, Clone)]
pub struct MmdbWriter {
    database_type: String,
    record_size: u16,
    ip_version: u16,
    nodes: Vec<[Child; 2]>,
    records: Vec<Value>,
}

impl MmdbWriter {
    /// An empty IPv6 database (IPv4 networks live under `::/96`) with
    /// 28-bit records.
    pub fn new(database_type: &str) -> Self {
        Self {
            database_type: database_type.to_owned(),
            record_size: 28,
            ip_version: 6,
            nodes: vec![[Child::Empty; 2]],
            records: Vec::new(),
        }
    }

    /// Record size in bits: 24, 28 or 32.
    pub fn record_size(mut self, bits: u16) -> Self {
        assert!(matches!(bits, 24 | 28 | 32), "record size {bits}");
        self.record_size = bits;
        self
    }

    /// An IPv4-only database (a 32-bit tree); insert IPv4 networks only.
    pub fn ipv4_only(mut self) -> Self {
        self.ip_version = 4;
        self
    }

    /// Maps a network (`"81.2.69.0/24"`, `"2a02:c7f::/32"`) to `value`.
    pub fn insert(&mut self, network: &str, value: Value) -> &mut Self {
        let (addr, prefix) = network.split_once('/').expect("network/prefix");
        let addr: IpAddr = addr.parse().expect("an address");
        let prefix: usize = prefix.parse().expect("a prefix length");
        let (bits, prefix) = match (addr, self.ip_version) {
            (IpAddr::V4(a), 4) => (u128::from(a.to_bits()) << 96, prefix),
            (IpAddr::V4(a), _) => (u128::from(a.to_bits()), 96 + prefix),
            (IpAddr::V6(a), 6) => (a.to_bits(), prefix),
            (IpAddr::V6(_), _) => panic!("an IPv6 network in an IPv4 database"),
        };
        assert!(prefix >= 1 && prefix <= self.depth(), "prefix of {network}");
        self.records.push(value);
        let data = Child::Data(self.records.len() - 1);
        let mut node = 0;
        for i in 0..prefix {
            let bit = ((bits >> (127 - i)) & 1) as usize;
            if i + 1 == prefix {
                self.nodes[node][bit] = data;
                break;
            }
            node = match self.nodes[node][bit] {
                Child::Node(n) => n,
                // A smaller network inside a larger one: the larger one's
                // record goes on both sides of a new node.
                other => {
                    self.nodes.push([other; 2]);
                    let n = self.nodes.len() - 1;
                    self.nodes[node][bit] = Child::Node(n);
                    n
                }
            };
        }
        self
    }

    fn depth(&self) -> usize {
        if self.ip_version == 4 { 32 } else { 128 }
    }

    /// The database file's bytes.
    pub fn build(&self) -> Vec<u8> {
        let mut data = Encoder::new(true);
        let offsets: Vec<usize> = self.records.iter().map(|v| data.write(v)).collect();
        let node_count = self.nodes.len();
        let record = |child: Child| -> u64 {
            match child {
                Child::Node(n) => n as u64,
                Child::Empty => node_count as u64,
                // Data records point past the 16-byte separator.
                Child::Data(i) => (node_count + 16 + offsets[i]) as u64,
            }
        };
        let max = 1u64 << self.record_size;
        let mut out = Vec::new();
        for [left, right] in &self.nodes {
            let (l, r) = (record(*left), record(*right));
            assert!(
                l < max && r < max,
                "records do not fit {} bits",
                self.record_size
            );
            match self.record_size {
                24 => {
                    out.extend_from_slice(&(l as u32).to_be_bytes()[1..]);
                    out.extend_from_slice(&(r as u32).to_be_bytes()[1..]);
                }
                28 => {
                    out.extend_from_slice(&(l as u32).to_be_bytes()[1..]);
                    out.push((((l >> 24) as u8) << 4) | (r >> 24) as u8);
                    out.extend_from_slice(&(r as u32).to_be_bytes()[1..]);
                }
                _ => {
                    out.extend_from_slice(&(l as u32).to_be_bytes());
                    out.extend_from_slice(&(r as u32).to_be_bytes());
                }
            }
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&data.out);
        out.extend_from_slice(METADATA_MARKER);
        let metadata = Value::map([
            ("binary_format_major_version", Value::U16(2)),
            ("binary_format_minor_version", Value::U16(0)),
            ("build_epoch", Value::U64(1_700_000_000)),
            ("database_type", Value::str(&self.database_type)),
            (
                "description",
                Value::map([("en", Value::str("Usher test database"))]),
            ),
            ("ip_version", Value::U16(self.ip_version)),
            (
                "languages",
                Value::Array(vec![Value::str("de"), Value::str("en")]),
            ),
            ("node_count", Value::U32(node_count as u32)),
            ("record_size", Value::U16(self.record_size)),
        ]);
        // Metadata is decoded on its own: no pointers into the data section.
        let mut meta = Encoder::new(false);
        meta.write(&metadata);
        out.extend_from_slice(&meta.out);
        out
    }
}

/// Writes data-section values; with `share`, a string written before is
/// written again as a pointer to the first copy.
struct Encoder {
    out: Vec<u8>,
    share: bool,
    strings: HashMap<String, usize>,
}

/// Type numbers of the data section.
const POINTER: u8 = 1;
const STRING: u8 = 2;
const DOUBLE: u8 = 3;
const UINT16: u8 = 5;
const UINT32: u8 = 6;
const MAP: u8 = 7;
const UINT64: u8 = 9;
const ARRAY: u8 = 11;
const BOOLEAN: u8 = 14;

impl Encoder {
    fn new(share: bool) -> Self {
        Self {
            out: Vec::new(),
            share,
            strings: HashMap::new(),
        }
    }

    /// Writes `value` and answers the offset it starts at.
    fn write(&mut self, value: &Value) -> usize {
        let start = self.out.len();
        match value {
            Value::Str(s) => {
                if let Some(&at) = self.strings.get(s) {
                    self.pointer(at);
                } else {
                    if self.share {
                        self.strings.insert(s.clone(), start);
                    }
                    self.control(STRING, s.len());
                    self.out.extend_from_slice(s.as_bytes());
                }
            }
            Value::Double(d) => {
                self.control(DOUBLE, 8);
                self.out.extend_from_slice(&d.to_be_bytes());
            }
            Value::U16(n) => self.unsigned(UINT16, u64::from(*n)),
            Value::U32(n) => self.unsigned(UINT32, u64::from(*n)),
            Value::U64(n) => self.unsigned(UINT64, *n),
            Value::Bool(b) => self.control(BOOLEAN, usize::from(*b)),
            Value::Map(pairs) => {
                self.control(MAP, pairs.len());
                for (k, v) in pairs {
                    self.write(&Value::Str(k.clone()));
                    self.write(v);
                }
            }
            Value::Array(items) => {
                self.control(ARRAY, items.len());
                for v in items {
                    self.write(v);
                }
            }
        }
        start
    }

    /// A big-endian unsigned number without its leading zero bytes.
    fn unsigned(&mut self, kind: u8, n: u64) {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        self.control(kind, 8 - skip);
        self.out.extend_from_slice(&bytes[skip..]);
    }

    /// A control byte (type in the top three bits, or 0 and an extended
    /// type byte) and the size, with its extra bytes past 28.
    fn control(&mut self, kind: u8, size: usize) {
        let (marker, extra): (u8, Vec<u8>) = match size {
            0..29 => (size as u8, vec![]),
            29..285 => (29, vec![(size - 29) as u8]),
            285..65_821 => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
            _ => (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec()),
        };
        if kind <= 7 {
            self.out.push((kind << 5) | marker);
        } else {
            self.out.push(marker);
            self.out.push(kind - 7);
        }
        self.out.extend_from_slice(&extra);
    }

    /// A pointer to `offset` in the data section, in the smallest of its
    /// four sizes.
    fn pointer(&mut self, offset: usize) {
        let p = offset as u32;
        let base = POINTER << 5;
        match offset {
            0..2_048 => self
                .out
                .extend_from_slice(&[base | (p >> 8) as u8, p as u8]),
            2_048..526_336 => {
                let v = p - 2_048;
                self.out.push(base | (1 << 3) | (v >> 16) as u8);
                self.out.extend_from_slice(&(v as u16).to_be_bytes());
            }
            526_336..134_744_064 => {
                let v = p - 526_336;
                self.out.push(base | (2 << 3) | (v >> 24) as u8);
                self.out.extend_from_slice(&v.to_be_bytes()[1..]);
            }
            _ => {
                self.out.push(base | (3 << 3));
                self.out.extend_from_slice(&p.to_be_bytes());
            }
        }
    }
}
