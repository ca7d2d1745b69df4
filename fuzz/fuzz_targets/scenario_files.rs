//! Scenario folders: the Linjiang files with one of them replaced by the input (its first
//! byte chooses which). A broken file must give an error naming it, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

const STATIONS: &str = include_str!("../../scenarios/linjiang/stations.json");
const GRIDS: &str = include_str!("../../scenarios/linjiang/grids.geojson");
const CATEGORIES: &str = include_str!("../../scenarios/linjiang/categories.toml");
const RESPONDERS: &str = include_str!("../../scenarios/linjiang/responders.csv");
const DEMAND: &str = include_str!("../../scenarios/linjiang/demand.toml");

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut files = scenario::Files {
        stations: STATIONS.into(),
        grids: GRIDS.into(),
        categories: CATEGORIES.into(),
        responders: RESPONDERS.into(),
        demand: DEMAND.into(),
    };
    let slot = match which % 5 {
        0 => &mut files.stations,
        1 => &mut files.grids,
        2 => &mut files.categories,
        3 => &mut files.responders,
        _ => &mut files.demand,
    };
    *slot = text.to_owned();
    let _ = scenario::parse(std::path::Path::new("fuzz"), &files);
});
