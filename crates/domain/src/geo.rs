//! Coordinates (WGS-84), polygons and the served area.

use serde::{Deserialize, Serialize};

/// A point on the earth. Only built through [`LatLng::new`], so latitude and longitude are
/// always finite and in range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLng {
    lat: f64,
    lng: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    #[error("latitude must be a number between -90 and 90, got {0}")]
    Latitude(f64),
    #[error("longitude must be a number between -180 and 180, got {0}")]
    Longitude(f64),
}

impl LatLng {
    pub fn new(lat: f64, lng: f64) -> Result<Self, GeoError> {
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(GeoError::Latitude(lat));
        }
        if !(lng.is_finite() && (-180.0..=180.0).contains(&lng)) {
            return Err(GeoError::Longitude(lng));
        }
        Ok(Self { lat, lng })
    }
    pub fn lat(&self) -> f64 {
        self.lat
    }
    pub fn lng(&self) -> f64 {
        self.lng
    }
    /// Great-circle distance in metres (haversine; plenty for a street-sized area).
    pub fn distance_metres(&self, other: &LatLng) -> f64 {
        const EARTH_RADIUS_METRES: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lng - self.lng).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_METRES * a.sqrt().asin()
    }
}

/// A simple polygon given by its outer ring, as `[lng, lat]` pairs (GeoJSON order). Holes are
/// not needed for grids, which tile their community without gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    ring: Vec<[f64; 2]>,
    bbox: [f64; 4],
}

impl Polygon {
    /// Builds a polygon; `None` if the ring has fewer than three distinct points.
    pub fn new(mut ring: Vec<[f64; 2]>) -> Option<Self> {
        if ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        if ring.len() < 3 || ring.iter().any(|p| !p[0].is_finite() || !p[1].is_finite()) {
            return None;
        }
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for p in &ring {
            bbox[0] = bbox[0].min(p[0]);
            bbox[1] = bbox[1].min(p[1]);
            bbox[2] = bbox[2].max(p[0]);
            bbox[3] = bbox[3].max(p[1]);
        }
        Some(Self { ring, bbox })
    }

    pub fn ring(&self) -> &[[f64; 2]] {
        &self.ring
    }

    /// Even-odd ray casting; a point exactly on an edge may fall either way, which the
    /// served area resolves by taking the first grid that claims it.
    pub fn contains(&self, p: &LatLng) -> bool {
        let (x, y) = (p.lng(), p.lat());
        if x < self.bbox[0] || x > self.bbox[2] || y < self.bbox[1] || y > self.bbox[3] {
            return false;
        }
        let mut inside = false;
        let n = self.ring.len();
        let mut j = n - 1;
        for i in 0..n {
            let [xi, yi] = self.ring[i];
            let [xj, yj] = self.ring[j];
            if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                inside = !inside;
            }
            j = i;
        }
        inside
    }

    /// Area in square kilometres (equirectangular projection around the polygon's centre).
    pub fn area_km2(&self) -> f64 {
        let lat0 = ((self.bbox[1] + self.bbox[3]) / 2.0).to_radians();
        let kx = 111.320 * lat0.cos();
        let ky = 110.574;
        let n = self.ring.len();
        let mut twice = 0.0;
        for i in 0..n {
            let [x1, y1] = self.ring[i];
            let [x2, y2] = self.ring[(i + 1) % n];
            twice += (x1 * kx) * (y2 * ky) - (x2 * kx) * (y1 * ky);
        }
        (twice / 2.0).abs()
    }

    pub fn centroid(&self) -> LatLng {
        let n = self.ring.len() as f64;
        let lng = self.ring.iter().map(|p| p[0]).sum::<f64>() / n;
        let lat = self.ring.iter().map(|p| p[1]).sum::<f64>() / n;
        LatLng::new(lat, lng).expect("mean of valid points is valid")
    }
}

/// The area a street serves: its grids, each a polygon with its code.
#[derive(Debug, Clone, Default)]
pub struct ServedArea {
    grids: Vec<(crate::codes::GridCode, Polygon)>,
}

impl ServedArea {
    pub fn new(grids: Vec<(crate::codes::GridCode, Polygon)>) -> Self {
        Self { grids }
    }
    /// The grid a point falls in; `None` outside the served area.
    pub fn locate(&self, p: &LatLng) -> Option<&crate::codes::GridCode> {
        self.grids.iter().find(|(_, poly)| poly.contains(p)).map(|(code, _)| code)
    }
    pub fn grids(&self) -> impl Iterator<Item = &(crate::codes::GridCode, Polygon)> {
        self.grids.iter()
    }
    pub fn area_km2(&self) -> f64 {
        self.grids.iter().map(|(_, p)| p.area_km2()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Polygon {
        Polygon::new(vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]).unwrap()
    }

    #[test]
    fn contains() {
        let sq = square();
        assert!(sq.contains(&LatLng::new(0.5, 0.5).unwrap()));
        assert!(!sq.contains(&LatLng::new(1.5, 0.5).unwrap()));
        assert!(!sq.contains(&LatLng::new(0.5, -0.1).unwrap()));
        // A concave L shape: the notch is outside.
        let l = Polygon::new(vec![[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 2.0], [0.0, 2.0]]).unwrap();
        assert!(l.contains(&LatLng::new(1.5, 0.5).unwrap()));
        assert!(!l.contains(&LatLng::new(1.5, 1.5).unwrap()));
    }

    #[test]
    fn bad_coordinates() {
        assert!(LatLng::new(91.0, 0.0).is_err());
        assert!(LatLng::new(0.0, -180.5).is_err());
        assert!(LatLng::new(f64::NAN, 0.0).is_err());
        assert!(Polygon::new(vec![[0.0, 0.0], [1.0, 1.0]]).is_none());
    }

    #[test]
    fn distance_and_area() {
        let a = LatLng::new(30.30, 120.60).unwrap();
        let b = LatLng::new(30.31, 120.60).unwrap();
        assert!((a.distance_metres(&b) - 1112.0).abs() < 5.0);
        // 0.1° × 0.1° near 30°N is about 106 km².
        let p = Polygon::new(vec![[120.5, 30.25], [120.6, 30.25], [120.6, 30.35], [120.5, 30.35]]).unwrap();
        assert!((p.area_km2() - 106.6).abs() < 2.0, "{}", p.area_km2());
    }
}
