//! Photos and pictures people upload. Each is decoded in full — a file that is not really
//! a JPEG, PNG or WebP image (HTML behind a JPEG header, a truncated PNG) is refused — within
//! a pixel limit that keeps a decompression bomb out, turned upright by its EXIF
//! orientation, and encoded anew, so nothing of the original file but its pixels is kept:
//! no GPS position, no camera serial, no hidden payload.

use image::{ImageDecoder, ImageReader};
use std::io::Cursor;

/// Most pixels a photo may have: a 48-megapixel phone camera fits; a 20000×20000 bomb does
/// not.
pub const PIXELS_MAX: u64 = 50_000_000;
/// Memory the decoder may take for one image (4 bytes a pixel at the limit, and some).
const DECODE_BYTES_MAX: u64 = 256 * 1024 * 1024;
/// JPEG quality of re-encoded photos: indistinguishable on a phone, a third of the size.
const JPEG_QUALITY: u8 = 85;

#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not an image of an accepted type, or damaged.
    NotAnImage(String),
    /// More pixels than [`PIXELS_MAX`].
    TooLarge { width: u32, height: u32 },
}

/// Decodes `data` and encodes it anew without metadata: PNG stays PNG (drawings, screen
/// captures), JPEG and WebP become JPEG. Returns the content type and the new bytes.
pub fn clean(data: &[u8]) -> Result<(&'static str, Vec<u8>), Refused> {
    let reader =
        ImageReader::new(Cursor::new(data)).with_guessed_format().map_err(|e| Refused::NotAnImage(e.to_string()))?;
    let format = match reader.format() {
        Some(f @ (image::ImageFormat::Jpeg | image::ImageFormat::Png | image::ImageFormat::WebP)) => f,
        _ => return Err(Refused::NotAnImage("only JPEG, PNG or WebP images are accepted".into())),
    };
    let mut decoder = reader.into_decoder().map_err(|e| Refused::NotAnImage(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    if width as u64 * height as u64 > PIXELS_MAX {
        return Err(Refused::TooLarge { width, height });
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(DECODE_BYTES_MAX);
    decoder.set_limits(limits).map_err(|e| Refused::NotAnImage(e.to_string()))?;
    let orientation = decoder.orientation().ok();
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(|e| Refused::NotAnImage(e.to_string()))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let mut out = Cursor::new(Vec::new());
    let kind = if format == image::ImageFormat::Png {
        img.write_to(&mut out, image::ImageFormat::Png).map_err(|e| Refused::NotAnImage(e.to_string()))?;
        "image/png"
    } else {
        let rgb = img.to_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
            .encode_image(&rgb)
            .map_err(|e| Refused::NotAnImage(e.to_string()))?;
        "image/jpeg"
    };
    Ok((kind, out.into_inner()))
}

/// [`clean`] off the async threads, as an API answer when refused.
pub async fn clean_upload(data: axum::body::Bytes) -> crate::error::ApiResult<(&'static str, Vec<u8>)> {
    use crate::error::ApiError;
    use axum::http::StatusCode;
    if data.is_empty() {
        return Err(ApiError::invalid("the body is empty: send the picture's bytes"));
    }
    match tokio::task::spawn_blocking(move || clean(&data)).await.map_err(ApiError::internal)? {
        Ok(x) => Ok(x),
        Err(Refused::NotAnImage(why)) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("only whole JPEG, PNG or WebP pictures are accepted ({why})"),
        )),
        Err(Refused::TooLarge { width, height }) => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the picture has {width}×{height} pixels; at most {PIXELS_MAX} are accepted"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 90]));
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    /// A JPEG with an EXIF segment carrying a GPS marker and orientation 6 (rotate 90°).
    fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
        let plain = jpeg(w, h);
        // TIFF, little-endian, one IFD entry: Orientation (0x0112) SHORT 1 = 6.
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&[1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
        tiff.extend_from_slice(b"GPS-SECRET-30.2662,120.5700");
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let len = (app1.len() + 2) as u16;
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn metadata_is_stripped_and_the_photo_turned_upright() {
        let raw = jpeg_with_exif(40, 20);
        assert!(raw.windows(10).any(|w| w == b"GPS-SECRET"));
        let (kind, clean) = clean(&raw).unwrap();
        assert_eq!(kind, "image/jpeg");
        assert!(!clean.windows(10).any(|w| w == b"GPS-SECRET"), "metadata survived");
        assert!(!clean.windows(4).any(|w| w == b"Exif"));
        let back = image::load_from_memory(&clean).unwrap();
        // Orientation 6: the 40×20 photo is shown 20 wide, 40 high.
        assert_eq!((back.width(), back.height()), (20, 40));
    }

    #[test]
    fn things_that_are_not_whole_images_are_refused() {
        let mut html = vec![0xFF, 0xD8, 0xFF, 0xE0];
        html.extend_from_slice(b"<html><script>alert(1)</script></html>");
        assert!(matches!(clean(&html), Err(Refused::NotAnImage(_))));
        let mut png = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(image::RgbImage::new(64, 64))
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        let png = png.into_inner();
        assert!(matches!(clean(&png[..png.len() / 2]), Err(Refused::NotAnImage(_))));
        assert_eq!(clean(&png).unwrap().0, "image/png");
        assert!(matches!(clean(b"GIF89a\x01\x00\x01\x00"), Err(Refused::NotAnImage(_))));
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_decoding() {
        // A PNG claiming 20000×20000 pixels, with correct checksums and almost no data.
        let chunk = |png: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
            let body = [kind, data].concat();
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            png.extend_from_slice(&body);
            png.extend_from_slice(&crc32(&body).to_be_bytes());
        };
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let ihdr = [&20_000u32.to_be_bytes()[..], &20_000u32.to_be_bytes(), &[8, 2, 0, 0, 0]].concat();
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        chunk(&mut png, b"IEND", &[]);
        assert_eq!(clean(&png), Err(Refused::TooLarge { width: 20_000, height: 20_000 }));
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
