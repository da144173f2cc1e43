//! A shop that ships its colours and sizes as an embedded archive of CSV files and reads them through
//! backstore: the first start builds the cache, every later one loads it.
//!
//! `colour-shop [DATA_DIR]`: the cache goes to DATA_DIR, or the platform data dir of "colour-shop".

use backstore::{ArchiveSource, CacheManager, ManagerOptions};

static ARCHIVE: &[u8] = include_bytes!("../data/databases.tar.gz");
const ARCHIVE_SHA256: [u8; 32] = include!(concat!(env!("OUT_DIR"), "/databases.tar.gz.sha256"));

#[derive(serde::Deserialize)]
struct Colour {
    colour: String,
    hex: String,
    description: Option<String>,
}

#[derive(serde::Deserialize)]
struct Size<'a> {
    size: &'a str,
    chest_cm: u32,
    waist_cm: u32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut options = ManagerOptions::for_app("colour-shop")
        .source(ArchiveSource::prehashed(ARCHIVE, ARCHIVE_SHA256));
    if let Some(dir) = std::env::args_os().nth(1) {
        options = options.data_dir(dir);
    }
    let manager = CacheManager::new(options);
    let loaded = manager.load_or_build()?;
    println!("{}: {}", loaded.report.outcome.word(), loaded.report.reason);

    let colours = loaded.catalog.get("colours").ok_or("no colours database")?;
    let teal = colours.lookup("Teal").ok_or("no Teal")?;
    assert_eq!(teal.get("hex"), Some("#008080"));
    let all: Vec<Colour> = colours.deserialize::<Colour>().collect::<Result<_, _>>()?;
    for colour in &all {
        let about = colour.description.as_deref().unwrap_or("(no description)");
        println!("{} {}: {about}", colour.hex, colour.colour);
    }

    let sizes = loaded.catalog.get("sizes").ok_or("no sizes database")?;
    for size in sizes.deserialize::<Size>() {
        let size = size?;
        println!(
            "size {}: chest {} cm, waist {} cm",
            size.size, size.chest_cm, size.waist_cm
        );
    }
    Ok(())
}
