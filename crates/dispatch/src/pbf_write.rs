//! Writes small OpenStreetMap PBF files (uncompressed blocks, dense nodes, ways with tags).
//!
//! No extract can be downloaded where civicgrid is built and tested, so the tests make their
//! own; a scenario's synthetic roads can be written out the same way for other OSM tools.

/// A node: id and position.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    pub id: i64,
    pub lat: f64,
    pub lng: f64,
}

/// A way: id, node references and tags.
#[derive(Debug, Clone)]
pub struct Way {
    pub id: i64,
    pub refs: Vec<i64>,
    pub tags: Vec<(String, String)>,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    varint(out, ((field << 3) | 2) as u64);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn int_field(out: &mut Vec<u8>, field: u32, v: u64) {
    varint(out, (field << 3) as u64);
    varint(out, v);
}

/// Packed repeated integers, each already encoded as an unsigned varint value.
fn packed(out: &mut Vec<u8>, field: u32, values: impl Iterator<Item = u64>) {
    let mut body = vec![];
    for v in values {
        varint(&mut body, v);
    }
    bytes_field(out, field, &body);
}

fn deltas(values: impl Iterator<Item = i64>) -> Vec<u64> {
    let mut last = 0;
    values
        .map(|v| {
            let d = v - last;
            last = v;
            zigzag(d)
        })
        .collect()
}

fn blob(out: &mut Vec<u8>, kind: &str, data: &[u8]) {
    let mut body = vec![];
    bytes_field(&mut body, 1, data);
    int_field(&mut body, 2, data.len() as u64);
    let mut header = vec![];
    bytes_field(&mut header, 1, kind.as_bytes());
    int_field(&mut header, 3, body.len() as u64);
    out.extend_from_slice(&(header.len() as u32).to_be_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&body);
}

/// The bytes of a PBF file with a header block, then a block of dense nodes and ways.
pub fn write(nodes: &[Node], ways: &[Way]) -> Vec<u8> {
    let mut out = vec![];
    let mut header = vec![];
    bytes_field(&mut header, 4, b"OsmSchema-V0.6");
    bytes_field(&mut header, 4, b"DenseNodes");
    bytes_field(&mut header, 16, b"civicgrid");
    blob(&mut out, "OSMHeader", &header);

    // String table: index 0 is the empty string by convention.
    let mut strings: Vec<String> = vec![String::new()];
    let mut sid = |s: &str| -> u64 {
        match strings.iter().position(|x| x == s) {
            Some(i) => i as u64,
            None => {
                strings.push(s.to_owned());
                (strings.len() - 1) as u64
            }
        }
    };
    let mut dense = vec![];
    packed(&mut dense, 1, deltas(nodes.iter().map(|n| n.id)).into_iter());
    // Granularity 100 nanodegrees: 1e-7 degrees per unit.
    packed(&mut dense, 8, deltas(nodes.iter().map(|n| (n.lat * 1e7).round() as i64)).into_iter());
    packed(&mut dense, 9, deltas(nodes.iter().map(|n| (n.lng * 1e7).round() as i64)).into_iter());
    let mut group_nodes = vec![];
    bytes_field(&mut group_nodes, 2, &dense);
    let mut group_ways = vec![];
    for w in ways {
        let mut way = vec![];
        int_field(&mut way, 1, w.id as u64);
        let keys: Vec<u64> = w.tags.iter().map(|(k, _)| sid(k)).collect();
        let vals: Vec<u64> = w.tags.iter().map(|(_, v)| sid(v)).collect();
        packed(&mut way, 2, keys.into_iter());
        packed(&mut way, 3, vals.into_iter());
        packed(&mut way, 8, deltas(w.refs.iter().copied()).into_iter());
        bytes_field(&mut group_ways, 3, &way);
    }
    let mut table = vec![];
    for s in &strings {
        bytes_field(&mut table, 1, s.as_bytes());
    }
    let mut block = vec![];
    bytes_field(&mut block, 1, &table);
    bytes_field(&mut block, 2, &group_nodes);
    bytes_field(&mut block, 2, &group_ways);
    blob(&mut out, "OSMData", &block);
    out
}
